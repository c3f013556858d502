"""Mandarin tone contours on Kokoro's pitch track (engine/tts/zh_tones.py), sans-IO."""

from __future__ import annotations

import numpy as np
import pytest

from engine.tts.zh_g2p import to_phonemes
from engine.tts.zh_tones import FRAMES_PER_UNIT, rhymes, tone_f0, widen_pitch


def _symbols(text: str) -> list[str]:
    return ["^", *to_phonemes(text), "$"]


def test_rhymes_tones_and_sandhi() -> None:
    # 您好: ni↗n xau↓ — a rising tone, then a full third tone before the pause
    assert [r.levels for r in rhymes(_symbols("您好。"))] == [(3, 5), (2, 1, 4)]
    # 你好: a third tone before a third tone is said as a second tone (sandhi)
    assert [r.levels for r in rhymes(_symbols("你好。"))] == [(3, 5), (2, 1, 4)]
    # 他的: the neutral tone after a first tone sits at level 2
    assert [r.levels for r in rhymes(_symbols("他的。"))] == [(5, 5), (2, 2)]
    # 很好 → 很 rises; with a comma between them the sandhi does not apply
    assert [r.levels for r in rhymes(_symbols("很好。"))] == [(3, 5), (2, 1, 4)]
    assert [r.levels for r in rhymes(_symbols("很，好。"))] == [(2, 1, 4), (2, 1, 4)]
    # the rhyme of 帮 covers the vowel, its tone mark and the nasal coda
    symbols = _symbols("帮")
    (rhyme,) = rhymes(symbols)
    assert "".join(symbols[rhyme.start : rhyme.end]) == "a→ŋ"


def test_english_letter_names_get_no_tone() -> None:
    assert len(rhymes(_symbols("ATM。"))) == 0
    assert len(rhymes(_symbols("去ATM。"))) == 1


def test_tone_f0_shapes_rhymes_only() -> None:
    symbols = _symbols("您好，帮")
    units = np.full(len(symbols), 2)
    frames = FRAMES_PER_UNIT * int(units.sum())
    model = np.full(frames, 100.0, dtype=np.float32)
    model[:4] = 0.0  # the leading pad is unvoiced
    shaped = tone_f0(symbols, units, model)
    assert shaped.shape == model.shape and shaped.dtype == np.float32
    assert np.all(shaped[:4] == 0.0)  # outside the rhymes: untouched
    edges = np.concatenate([[0], np.cumsum(units)]) * FRAMES_PER_UNIT
    rising, dipping, level = (shaped[edges[r.start] : edges[r.end]] for r in rhymes(symbols))
    assert rising[-1] > rising[0] * 1.05  # 您 rises
    assert dipping.min() < rising.min()  # 好 dips below it
    inner = level[1:-1]  # the 3-frame smoothing blends the first and last frame
    assert inner.max() - inner.min() < 0.02 * inner.mean()  # 帮 stays level, high
    assert level.mean() > 100.0
    with pytest.raises(ValueError, match="F0 frames"):
        tone_f0(symbols, units, model[:-1])


def test_widen_pitch_scales_semitones_around_the_median_and_keeps_unvoiced_frames() -> None:
    # unvoiced, then 200 Hz (the median), 100 Hz (an octave below) and 300 Hz
    f0 = np.array([[0.0, 200.0, 200.0, 100.0, 300.0, 200.0, 0.0]], dtype=np.float32)
    wide = widen_pitch(f0, 1.5)
    assert wide.shape == (7,) and wide.dtype == np.float32
    assert wide[0] == 0.0 and wide[-1] == 0.0
    assert wide[1] == pytest.approx(200.0)
    assert wide[3] == pytest.approx(200.0 / 2**1.5, rel=1e-5)  # 12 semitones below -> 18
    assert wide[4] == pytest.approx(200.0 * 1.5**1.5, rel=1e-5)
    np.testing.assert_array_equal(widen_pitch(f0, 1.0), f0.reshape(-1))
    np.testing.assert_array_equal(widen_pitch(np.zeros(4), 2.0), np.zeros(4))
    with pytest.raises(ValueError, match="positive"):
        widen_pitch(f0, 0.0)
