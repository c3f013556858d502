"""A recorded MP4's mouth is in step with its sound: each frame is posed at the middle of the
interval it is on screen (:func:`engine.show.frame_sample`). Posed at the interval's start,
the jaw followed the audio one frame late (newcomer12: best match one frame late in all four
clips). Measured here on the timeline the MP4 renders: the jaw opening per frame against the
audio RMS of the same frame, the project's English voice (Piper) saying a sentence."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np

from avatar import AvatarTimeline
from engine.avatar_preview import PreviewRequest, _speech
from engine.config import EngineConfig
from engine.show import MEDIA_RATE_HZ, frame_sample


def _correlation(rms: np.ndarray, jaw: np.ndarray, lag: int) -> float:
    """Pearson correlation of audio frame i with jaw frame i + ``lag``."""
    n = rms.size
    a = rms[max(0, -lag) : n - max(0, lag)]
    j = jaw[max(0, lag) : n - max(0, -lag)]
    return float(np.corrcoef(a, j)[0, 1])


def test_the_jaw_follows_the_sound_in_the_same_frame() -> None:
    text = "Our branch is open Monday to Friday from nine to five."
    req = PreviewRequest(None, "neutral", None, text, "en", 512, 512, None, False, Path("x.mp4"))
    timeline = AvatarTimeline(MEDIA_RATE_HZ)
    audio = asyncio.run(_speech(req, EngineConfig(), timeline)).astype(np.float64)
    per_frame = MEDIA_RATE_HZ // 25
    n = audio.size // per_frame
    rms = np.sqrt((audio[: n * per_frame].reshape(n, per_frame) ** 2).mean(axis=1))
    jaw = np.array(
        [timeline.pose_at(frame_sample(i, per_frame)).weights.get("jawOpen", 0.0) for i in range(n)]
    )
    same, late, early = (_correlation(rms, jaw, lag) for lag in (0, 1, -1))
    assert same > max(late, early), (same, late, early)
    assert same >= 0.8, same
