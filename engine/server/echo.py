"""Server-side echo guard: is the speech in the microphone the avatar's own voice? (sans-IO)

A kiosk's loudspeaker reaches its microphone. The browser's acoustic echo canceller removes most
of it, but what is left (or all of it, where AEC is off or the loudspeaker is an external
amplifier the browser cannot reference) would make the avatar interrupt itself. This guard
compares **spectral envelopes**: the log-energy in :data:`BANDS` speech bands
(:data:`BAND_EDGES_HZ`) of what the server sent, per 10 ms hop on the wall clock, and of what
it hears, per 10 ms hop. An echo is the sent envelope delayed (loudspeaker + room + network +
jitter buffers, up to ``max_lag_s``) and scaled (the coupling), so over the last ``window_s``
the heard envelope correlates with the sent envelope at some lag. A visitor's own speech is independent of the avatar's, so it does not correlate —
including when the visitor talks over the avatar, where the mixture's envelope follows the louder
talker. A window judged echo does not count towards an onset (:mod:`engine.server.endpointing`),
so the avatar's own voice can neither barge in nor become a visitor turn.

What it does not do: remove the echo from the audio (no adaptive filter), nor catch an echo whose
envelope the room smears beyond recognition (long reverberation); those rely on the browser's AEC
(``echoCancellation: true``, which the kiosk page requests). The Pearson correlation of log
envelopes is scale-free, so the coupling level need not be known or learned.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field

import numpy as np

#: Envelope hop (seconds). 10 ms resolves syllables (~4–6 Hz) with room to spare.
HOP_S = 0.01
#: Log-energy floor (dBFS): digital silence and the noise floor read as this.
FLOOR_DB = -70.0
#: Below this level (dBFS) the avatar counts as silent over the window: no echo possible.
ACTIVE_DB = -50.0


#: Band edges (Hz) of the spectral envelope: log-spaced over the speech band Opus keeps.
BAND_EDGES_HZ: tuple[float, ...] = (
    150.0,
    300.0,
    500.0,
    800.0,
    1200.0,
    1800.0,
    2600.0,
    3600.0,
    5000.0,
)
BANDS = len(BAND_EDGES_HZ) - 1
#: A heard hop within this many dB of the window's loudest hop is sound (a visitor's soft
#: lead-in counts, a microphone's noise floor does not).
ONSET_RANGE_DB = 20.0
#: :func:`_onset_score` compares each band's levels down to this far below the
#: band's loudest hop in the window (a floor): a syllable's shape, not how deep the quiet between
#: syllables is (digital silence in what was sent, a microphone's noise floor in what was
#: heard). Chosen on recordings of the tests' data (not the benchmark's clip): 6-12 dB alike.
ONSET_DEPTH_DB = 10.0
#: Hops of the quiet before a heard sound that :func:`_onset_score` keeps.
ONSET_PRE_HOPS = 1
#: A sound that began inside the window is judged once it has lasted this many hops (120 ms);
#: before, :func:`_onset_score` says echo (1.0), so a hold waits for the verdict.
MIN_JUDGED_HOPS = 12
#: Hops after the avatar's sound in which its echo may still be heard (room reverberation,
#: soft sounds below :data:`ACTIVE_DB`): 150 ms.
TAIL_HOPS = 15
#: A lag is a possible echo path when at most this share of the heard sound's hops fall where
#: the avatar was silent at that lag: an echo has a source (the idea of the Geigel double-talk
#: detector, on envelopes).
MAX_UNSOURCED = 0.1


@functools.lru_cache(maxsize=8)
def _hop_bands(hop: int, sample_rate: int) -> tuple[np.ndarray, tuple[slice, ...]]:
    """The Hann window of a ``hop``-sample hop and each band's run of rFFT bins (the bins of a
    band are contiguous): made once per rate, not once per 10 ms of audio."""
    freqs = np.fft.rfftfreq(hop, 1.0 / sample_rate)
    runs = []
    for lo, hi in itertools.pairwise(BAND_EDGES_HZ):
        (bins,) = np.nonzero((freqs >= lo) & (freqs < hi))
        runs.append(slice(int(bins[0]), int(bins[-1]) + 1) if bins.size else slice(0, 0))
    return np.hanning(hop), tuple(runs)


def hop_energies_db(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Band log-energies of consecutive 10 ms hops (a coarse spectrogram).

    A hop whose whole energy ``sum(x**2)`` is below :data:`FLOOR_DB` reads the floor in every
    band without a transform: a band's power (rFFT bins of the Hann-windowed hop, ``|X|² / n``)
    is at most the hop's energy (Parseval; the window is ≤ 1), so its level would be floored
    anyway. A microphone's silence between visitors costs no FFT.

    Args:
        samples: float32 in [-1, 1] or int16, shape (n,), mono.
        sample_rate: Hz of ``samples`` (≥ 10 kHz).

    Returns:
        float64 (n // hop, :data:`BANDS`) band levels in dBFS, floored at :data:`FLOOR_DB`.
    """
    x = np.asarray(samples)
    if x.dtype == np.int16:
        x = x.astype(np.float32) / 32768.0
    hop = round(sample_rate * HOP_S)
    k = x.size // hop
    out = np.full((k, BANDS), FLOOR_DB)
    if k == 0:
        return out
    frames = x[: k * hop].reshape(k, hop).astype(np.float64)
    loud = np.einsum("ij,ij->i", frames, frames) >= 10.0 ** (FLOOR_DB / 10.0)
    if not loud.any():
        return out
    window, runs = _hop_bands(hop, sample_rate)
    power = np.abs(np.fft.rfft(frames[loud] * window, axis=1)) ** 2 / hop
    bands = np.stack([power[:, run].sum(axis=1) for run in runs], axis=1)
    out[loud] = np.maximum(10.0 * np.log10(np.maximum(bands, 1e-12)), FLOOR_DB)
    return out


def sourced_lags(sent_active: np.ndarray, heard_loud: np.ndarray, n: int, first: int) -> np.ndarray:
    """Which lags can be the echo path of a heard sound.

    Args:
        sent_active: bool (n + lags,), the avatar audible per hop, oldest first (the span
            :func:`_full_score` compares, every lag included).
        heard_loud: bool (n - first,), the heard sound per hop from window hop ``first`` on.
        n: hops in the window.
        first: the window hop where the heard sound began.

    Returns:
        bool (lags + 1,), lag 0 first: at most :data:`MAX_UNSOURCED` of the heard sound's hops
        fall more than :data:`TAIL_HOPS` after the avatar's last audible hop at that lag.
    """
    counts = np.cumsum(np.concatenate([[0], sent_active.astype(np.int32)]))
    lo = np.maximum(np.arange(sent_active.size) + 1 - TAIL_HOPS, 0)
    sourced = counts[1:] - counts[lo] > 0  # audible at some hop in (i - TAIL_HOPS, i]
    per_lag = np.lib.stride_tricks.sliding_window_view(sourced, n)[::-1][:, first:]
    unsourced = (heard_loud & ~per_lag).sum(axis=1)
    return unsourced <= MAX_UNSOURCED * max(1, int(heard_loud.sum()))


def _best_correlation(windows: np.ndarray, heard: np.ndarray, lags_ok: np.ndarray) -> float:
    """Max Pearson correlation of ``heard`` (m, B) with ``windows[lag]`` (lags+1, m, B) over
    the lags in ``lags_ok``, each band's mean removed; 0.0 when none is defined."""
    w = windows - windows.mean(axis=1, keepdims=True)
    h = heard - heard.mean(axis=0)
    w_norm = np.sqrt((w * w).sum(axis=(1, 2)))
    h_norm = np.sqrt((h * h).sum())
    ok = lags_ok & (w_norm > 1e-6 * np.sqrt(w.shape[1] * w.shape[2]))
    if not ok.any() or h_norm == 0.0:
        return 0.0
    corr = np.einsum("lnb,nb->l", w[ok], h) / (w_norm[ok] * h_norm)
    return float(corr.max())


@dataclass(slots=True)
class EchoGuard:
    """Envelope-correlation echo detector for one session.

    Times are seconds on one monotonic clock, passed in (sans-IO): the outbound audio's send
    deadlines and the inbound audio's arrival times.

    Attributes:
        threshold: Pearson correlation (0–1) of the heard and sent envelopes at the best lag
            above which the heard speech is the avatar's own voice.
        window_s: envelope span compared (seconds).
        max_lag_s: longest echo delay searched (seconds): loudspeaker, room, both jitter buffers.
        keep_s: history kept (seconds).
    """

    threshold: float = 0.7
    window_s: float = 0.8
    max_lag_s: float = 1.5  # a loaded 2-core kiosk adds jitter-buffer and scheduling delay
    keep_s: float = 3.0
    _out: dict[int, np.ndarray] = field(default_factory=dict, repr=False)
    _in: dict[int, np.ndarray] = field(default_factory=dict, repr=False)

    def note_outbound(self, t_s: float, samples: np.ndarray, sample_rate: int) -> None:
        """Record audio sent to the visitor, its first sample leaving at ``t_s`` (seconds);
        ``samples`` (n,) float32 in [-1, 1] or int16, mono, at ``sample_rate`` Hz.

        Digital silence (all samples zero: the 100 frames a second sent between replies) is
        not analysed: its hops read :data:`FLOOR_DB` in every band, the level a hop with no
        record reads, so skipping it changes no score (~0.08 ms of CPU a frame saved)."""
        if not samples.any():
            return
        self._note(self._out, t_s, hop_energies_db(samples, sample_rate))

    def note_inbound(self, t_s: float, samples: np.ndarray, sample_rate: int) -> None:
        """Record audio heard from the visitor, its first sample captured at ``t_s``
        (seconds); ``samples`` as in :meth:`note_outbound`."""
        self._note(self._in, t_s, hop_energies_db(samples, sample_rate))

    def _note(self, env: dict[int, np.ndarray], t_s: float, levels: np.ndarray) -> None:
        first = round(t_s / HOP_S)
        for i, level in enumerate(levels):
            env[first + i] = level
        horizon = first + len(levels) - round(self.keep_s / HOP_S)
        if len(env) > 2 * round(self.keep_s / HOP_S):
            for key in [k for k in env if k < horizon]:
                del env[key]

    def _envelopes(self, t_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Heard (n, B), sent (n + lags, B) and the sent windows (lags+1, n, B; ``[lag]`` is
        the sent envelope ``lag`` hops before the heard one) ending at ``t_s``; None when the
        avatar was silent or the heard envelope is flat (no echo possible)."""
        end = round(t_s / HOP_S)
        n = round(self.window_s / HOP_S)
        lags = round(self.max_lag_s / HOP_S)
        silent = np.full(BANDS, FLOOR_DB)
        heard = np.stack([self._in.get(i, silent) for i in range(end - n + 1, end + 1)])
        sent = np.stack([self._out.get(i, silent) for i in range(end - n + 1 - lags, end + 1)])
        if sent.max() < ACTIVE_DB or heard.std(axis=0).max() < 1.0:
            return None
        windows = np.lib.stride_tricks.sliding_window_view(sent, n, axis=0)[::-1]
        return heard, sent, np.moveaxis(windows, -1, 1)

    def judge(self, t_s: float, *, onset: bool) -> EchoVerdict:
        """Both verdicts on what was heard up to ``t_s``, the envelopes built once.

        Args:
            t_s: end of the heard window (seconds, the clock of :meth:`note_inbound`).
            onset: also judge it as a possible barge-in's onset (:func:`_onset_score`); when
                False, :attr:`EchoVerdict.onset_echo` is False without being computed.

        Returns:
            :class:`EchoVerdict`: each score compared with :attr:`threshold`; both scores are
            0.0 (not echo) when the avatar was silent over the window or the heard envelope is
            flat.
        """
        env = self._envelopes(t_s)  # None: avatar silent or heard flat, both scores 0.0
        full = 0.0 if env is None else _full_score(*env)
        onset_echo = onset and (0.0 if env is None else _onset_score(*env)) >= self.threshold
        return EchoVerdict(echo=full >= self.threshold, onset_echo=onset_echo)


@dataclass(frozen=True, slots=True)
class EchoVerdict:
    """The echo guard's verdicts on one heard window (:meth:`EchoGuard.judge`).

    Attributes:
        echo: the window is (mostly) the avatar's own voice (:func:`_full_score`): it does
            not count towards an onset.
        onset_echo: a sound that may have just begun in it may be the avatar's own voice
            (:func:`_onset_score`): no hold of the reply yet. False when not asked.
    """

    echo: bool
    onset_echo: bool


def _full_score(heard: np.ndarray, sent: np.ndarray, windows: np.ndarray) -> float:
    """Best correlation (−1…1) of the heard spectral envelope with the sent one at any lag in
    ``[0, max_lag_s]`` (the envelopes of :meth:`EchoGuard._envelopes`). Each band's mean over
    the window is removed first, so a fixed loudspeaker/room colouring and the coupling level
    do not matter."""
    del sent
    return _best_correlation(windows, heard, np.ones(windows.shape[0], bool))


def _onset_score(heard: np.ndarray, sent: np.ndarray, windows: np.ndarray) -> float:
    """:func:`_full_score` for a sound that may have just begun (the hold of a possible
    barge-in asks it): the quiet before the heard sound is left out of the window, and only
    lags at which the avatar was sounding when the heard sound would have left the loudspeaker
    count (:func:`sourced_lags`); levels are compared down to :data:`ONSET_DEPTH_DB` below
    each band's peak. 1.0 (echo) while the sound is shorter than :data:`MIN_JUDGED_HOPS`.

    Why: in :func:`_full_score`, the step from silence to speech where a visitor starts talking
    correlates with the step where the reply (or one of its sentences) began, at the lag
    between the two, whatever follows; a visitor starting up to ``max_lag_s`` after a reply or
    sentence began was taken for its echo for ~0.5 s."""
    n = heard.shape[0]
    level = heard.max(axis=1)
    loud = level >= level.max() - ONSET_RANGE_DB
    first = max(0, int(np.argmax(loud)) - ONSET_PRE_HOPS)
    if n - first < MIN_JUDGED_HOPS:
        return 1.0
    possible = sourced_lags(sent.max(axis=1) >= ACTIVE_DB, loud[first:], n, first)
    heard, windows = heard[first:], windows[:, first:]
    heard = np.maximum(heard, heard.max(axis=0) - ONSET_DEPTH_DB)
    windows = np.maximum(windows, windows.max(axis=1, keepdims=True) - ONSET_DEPTH_DB)
    return _best_correlation(windows, heard, possible)
