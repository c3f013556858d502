"""What the benchmarks' visitor says: questions synthesized with espeak-ng (**synthetic**
speech, unlike a visitor's), and where the speech lies in a clip (Silero VAD, the server's own
segmenter). Used by ``realtime_latency.py``, ``realtime_bargein.py``, ``cluster_proxy.py`` and
``gpu_capacity.py``.
"""

from __future__ import annotations

import io
import subprocess

import av
import numpy as np

from engine.audio.vad import SileroVAD, SpeechSegmenter, speech_segments


def espeak(text: str, voice: str = "en-us+m3") -> np.ndarray:
    """Synthesize ``text`` with espeak-ng (``voice``) → float32 16 kHz mono."""
    wav = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", "160", "--stdout", text],
        check=True,
        capture_output=True,
    ).stdout
    with av.open(io.BytesIO(wav)) as container:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=16000)
        out = [
            f.to_ndarray().reshape(-1)
            for frame in container.decode(audio=0)
            for f in resampler.resample(frame)
        ]
    return np.concatenate(out).astype(np.float32)


def speech_bounds(audio: np.ndarray) -> tuple[float, float]:
    """(first speech, last speech) in seconds from the clip start (Silero, same segmenter)."""
    segments = speech_segments(SileroVAD().process(audio), SpeechSegmenter())
    return segments[0][0] / 16000, segments[-1][1] / 16000
