"""Whisper's log-mel spectrogram in numpy (the front end of Smart Turn v3).

The recipe is Whisper's (Radford et al. 2022, §2.2; ``openai/whisper`` ``audio.py``), which
Hugging Face's ``WhisperFeatureExtractor`` and faster-whisper's ``FeatureExtractor`` reproduce:

1. a 400-sample (25 ms) periodic Hann window every 160 samples (10 ms) over 16 kHz audio,
   centred (the signal is reflect-padded by 200 samples on each side);
2. the power spectrum ``|rfft|²`` (201 bins), projected on ``n_mels`` triangular mel filters
   between 0 Hz and 8 kHz — Slaney's mel scale (linear below 1 kHz, logarithmic above) and
   Slaney's area normalisation (each filter scaled by ``2 / bandwidth``), as librosa's
   ``filters.mel`` builds them by default and Whisper ships them;
3. ``log10`` of the mel energies floored at ``1e-10``; the last frame dropped (Whisper keeps
   ``n_samples / 160`` frames); values below the clip's maximum minus 8 raised to it; then
   ``(x + 4) / 4``, so the features lie roughly in [-1, 1].

Smart Turn v3 (pipecat-ai/smart-turn, read through ``transformers.WhisperFeatureExtractor`` with
``chunk_length=8`` and ``do_normalize=True``) feeds 80 bins over exactly 8 s: the waveform is
first scaled to zero mean and unit variance over the whole 8 s buffer (variance + 1e-7).
"""

from __future__ import annotations

import functools

import numpy as np

SAMPLE_RATE_HZ = 16_000
N_FFT = 400  # 25 ms window (Whisper)
HOP_SAMPLES = 160  # 10 ms hop (Whisper)
#: Floor of the mel energies before the logarithm, and the dynamic range kept (log10 units).
LOG_FLOOR = 1e-10
DYNAMIC_RANGE = 8.0
#: Added to the variance when a waveform is normalised (transformers' ``zero_mean_unit_var_norm``).
NORM_EPS = 1e-7


def _hz_to_mel(freq_hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: 3 mels per 200 Hz up to 1 kHz (15 mels), then log-spaced with
    27 mels per factor 6.4 (Slaney 1998, Auditory Toolbox; librosa ``hz_to_mel(htk=False)``)."""
    freq_hz = np.asarray(freq_hz, dtype=np.float64)
    linear = 3.0 * freq_hz / 200.0
    logarithmic = 15.0 + np.log(np.maximum(freq_hz, 1e-12) / 1000.0) * (27.0 / np.log(6.4))
    return np.where(freq_hz >= 1000.0, logarithmic, linear)


def _mel_to_hz(mels: np.ndarray) -> np.ndarray:
    """Inverse of :func:`_hz_to_mel`."""
    mels = np.asarray(mels, dtype=np.float64)
    linear = 200.0 * mels / 3.0
    logarithmic = 1000.0 * np.exp((mels - 15.0) * (np.log(6.4) / 27.0))
    return np.where(mels >= 15.0, logarithmic, linear)


@functools.cache
def mel_filters(n_mels: int = 80, n_fft: int = N_FFT, rate_hz: int = SAMPLE_RATE_HZ) -> np.ndarray:
    """Triangular mel filter bank, Slaney scale and area normalisation.

    Args:
        n_mels: number of filters (80 for Whisper ≤ v3-turbo's small models and Smart Turn v3,
            128 for large-v3).
        n_fft: FFT size in samples (bins = ``n_fft // 2 + 1``).
        rate_hz: sample rate; the filters span 0 Hz … ``rate_hz / 2``.

    Returns:
        float64 (n_mels, n_fft // 2 + 1), read-only (cached).
    """
    bins_hz = np.linspace(0.0, rate_hz / 2.0, n_fft // 2 + 1)
    edges_hz = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(rate_hz / 2.0), n_mels + 2))
    lower, centre, upper = edges_hz[:-2, None], edges_hz[1:-1, None], edges_hz[2:, None]
    rising = (bins_hz[None, :] - lower) / (centre - lower)
    falling = (upper - bins_hz[None, :]) / (upper - centre)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights *= 2.0 / (upper - lower)  # Slaney: every filter has the same area
    weights.setflags(write=False)
    return weights


@functools.cache
def _hann(n: int) -> np.ndarray:
    """Periodic Hann window of ``n`` samples (``torch.hann_window(n)``, as Whisper's STFT)."""
    window = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)
    window.setflags(write=False)
    return window


def power_spectrogram(audio: np.ndarray, n_fft: int = N_FFT, hop: int = HOP_SAMPLES) -> np.ndarray:
    """Centred short-time power spectrum.

    Args:
        audio: float (n,) samples; n > ``n_fft // 2`` (reflect padding needs it).
        n_fft: window and FFT size in samples.
        hop: hop in samples.

    Returns:
        float64 (n_fft // 2 + 1, 1 + n // hop): ``|rfft(window · frame)|²`` per frame.

    Raises:
        ValueError: ``audio`` is not 1-D or too short to reflect-pad.
    """
    if audio.ndim != 1:
        raise ValueError(f"audio must be 1-D, got shape {audio.shape}")
    half = n_fft // 2
    if audio.size <= half:
        raise ValueError(f"audio of {audio.size} samples is too short for a {n_fft}-point STFT")
    padded = np.pad(audio.astype(np.float64), half, mode="reflect")
    frames = np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::hop]
    spectrum = np.fft.rfft(frames * _hann(n_fft), axis=-1)
    return (spectrum.real**2 + spectrum.imag**2).T


@functools.cache
def _bands(n_mels: int) -> tuple[tuple[int, int, np.ndarray], ...]:
    """Each filter's non-zero bins ``[lo, hi)`` and weights: 391 of the 16,080 weights of the
    80-filter bank are non-zero."""
    bands = []
    for row in mel_filters(n_mels):
        nonzero = np.flatnonzero(row)
        lo, hi = (int(nonzero[0]), int(nonzero[-1]) + 1) if nonzero.size else (0, 0)
        bands.append((lo, hi, row[lo:hi]))
    return tuple(bands)


def mel_energies(power: np.ndarray, n_mels: int = 80) -> np.ndarray:
    """``mel_filters(n_mels) @ power``, filter by filter over its non-zero bins.

    The dense product is ~40× more arithmetic, and multi-threaded OpenBLAS took 12–50 ms for it
    on a busy 2-core machine (1.4 ms on one thread); the banded sum takes ~0.6 ms.

    Args:
        power: float64 (201, frames) power spectrogram.
        n_mels: number of filters.

    Returns:
        float64 (n_mels, frames).
    """
    by_frame = np.ascontiguousarray(power.T)
    out = np.zeros((n_mels, by_frame.shape[0]))
    for i, (lo, hi, weights) in enumerate(_bands(n_mels)):
        if hi > lo:
            out[i] = by_frame[:, lo:hi] @ weights
    return out


def log_mel(audio: np.ndarray, n_mels: int = 80) -> np.ndarray:
    """Whisper's log-mel features of ``audio`` (steps 1–3 of the module docstring).

    Args:
        audio: float32 (n,), 16 kHz mono, n > 200.
        n_mels: 80 or 128 filters.

    Returns:
        float32 (n_mels, n // 160): one frame per 10 ms.

    Raises:
        ValueError: ``audio`` is not 1-D or too short.
    """
    mel = mel_energies(power_spectrogram(audio), n_mels)
    logs = np.log10(np.maximum(mel, LOG_FLOOR))[:, :-1]
    logs = np.maximum(logs, logs.max() - DYNAMIC_RANGE)
    return ((logs + 4.0) / 4.0).astype(np.float32)


def normalise(audio: np.ndarray) -> np.ndarray:
    """Zero mean, unit variance (float32), as ``WhisperFeatureExtractor(do_normalize=True)``."""
    x = audio.astype(np.float32)
    return (x - x.mean()) / np.sqrt(x.var() + NORM_EPS)
