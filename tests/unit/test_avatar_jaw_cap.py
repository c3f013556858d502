"""Loudness opens the jaw no wider than the open vowel's own shape (:data:`avatar.speech.
JAW_OPEN_MAX`, ``aa`` in the viseme table): newcomer12 #11 saw loud open vowels of Piper's
English drop the jaw to a shout's gape (gain 1.4 on ``aa``'s 0.62: 0.87)."""

from __future__ import annotations

import numpy as np
import pytest

from avatar.expressions import VISEME_TO_ARKIT
from avatar.speech import JAW_OPEN_MAX, LOUDNESS_MAX, SpeechSchedule
from avatar.visemes import VisemeCue, VisemeTrack

RATE = 48_000


def schedule(viseme: str) -> SpeechSchedule:
    """One second of ``viseme``: 0.8 s at a speaking level, then 0.2 s four times as loud."""
    pcm = np.full(RATE, 1000, np.int16)
    pcm[int(0.8 * RATE) :] = 4000
    sched = SpeechSchedule(RATE, crossfade_ms=60.0)
    sched.add(VisemeTrack(RATE, (VisemeCue(viseme, 0, RATE),)), 0, pcm)
    return sched


def test_a_loud_open_vowel_keeps_the_open_vowels_shape() -> None:
    _, mouth = schedule("aa").mouth_at(int(0.9 * RATE))
    table = VISEME_TO_ARKIT["aa"]
    assert JAW_OPEN_MAX == table["jawOpen"] == 0.62
    assert table["jawOpen"] * LOUDNESS_MAX > 0.85  # what it opened to before the cap
    assert mouth["jawOpen"] == pytest.approx(JAW_OPEN_MAX)
    # the lower lip stops with the jaw, in proportion
    ratio = table["mouthLowerDownLeft"] / table["jawOpen"]
    assert mouth["mouthLowerDownLeft"] == pytest.approx(JAW_OPEN_MAX * ratio)


def test_a_narrower_viseme_still_opens_with_loudness() -> None:
    sched = schedule("DD")
    _, speaking = sched.mouth_at(int(0.4 * RATE))
    _, loud = sched.mouth_at(int(0.9 * RATE))
    assert speaking["jawOpen"] == pytest.approx(VISEME_TO_ARKIT["DD"]["jawOpen"], rel=0.05)
    assert loud["jawOpen"] == pytest.approx(VISEME_TO_ARKIT["DD"]["jawOpen"] * LOUDNESS_MAX)
