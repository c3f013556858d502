"""The outbound media rate and PCM resampling, shared by the file and the live transport."""

from __future__ import annotations

import av
import numpy as np

#: Outbound media rate of both transports: the session media clock, the MP4's audio, the Opus
#: track (Opus runs at 48 kHz, RFC 7587).
MEDIA_RATE_HZ = 48_000


def resample_pcm(pcm: bytes, rate_hz: int, out_rate_hz: int = MEDIA_RATE_HZ) -> np.ndarray:
    """Resample int16 mono PCM with FFmpeg's swresample (through PyAV).

    Args:
        pcm: int16 mono little-endian bytes at ``rate_hz``.
        rate_hz: the input rate (Hz).
        out_rate_hz: the output rate (Hz; default the media clock's).

    Returns:
        int16 (n,) at ``out_rate_hz``.
    """
    samples = np.frombuffer(pcm, dtype=np.int16)
    if rate_hz == out_rate_hz or samples.size == 0:
        return samples.copy()
    frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate = rate_hz
    resampler = av.AudioResampler(format="s16", layout="mono", rate=out_rate_hz)
    out = [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
    out += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(out) if out else np.zeros(0, np.int16)
