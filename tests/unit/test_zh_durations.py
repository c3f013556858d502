"""Mandarin rhyme durations (engine.tts.zh_durations): which tokens get longer, and how their
frames are resampled for the decoder."""

from __future__ import annotations

import numpy as np
import pytest

from engine.tts.zh_durations import MIN_RHYME_UNITS, rhyme_floor, stretch


def test_a_short_rhyme_is_lengthened_on_its_shortest_token() -> None:
    # 您 ni↗n: rhyme i + ↗ = 2 units, one short of 3; the coda n is not part of it
    symbols = ["^", *"ni↗n", "$"]
    assert MIN_RHYME_UNITS == 3
    assert rhyme_floor(symbols, np.array([17, 2, 1, 1, 1, 9])).tolist() == [0, 0, 1, 0, 0, 0]
    # 在 ʦai↘ with one unit per token: a, i, ↘ already make 3
    assert rhyme_floor(["^", *"ʦai↘", "$"], np.array([5, 2, 1, 1, 1, 5])).tolist() == [0] * 6
    # a floor of 5 over a(1) i(1) ↘(1): two units, to a then i (shortest, earlier first)
    extra = rhyme_floor(["^", *"ʦai↘", "$"], np.array([5, 2, 1, 1, 1, 5]), floor=5)
    assert extra.tolist() == [0, 0, 1, 1, 0, 0]


def test_neutral_tones_pauses_and_letter_names_keep_their_length() -> None:
    # 吗 ma (neutral: no arrow), a comma, and the letter name A (ˈA, stress-marked)
    symbols = ["^", *"ma", ",", " ", *"ˈA", "$"]
    assert rhyme_floor(symbols, np.ones(len(symbols), int)).tolist() == [0] * len(symbols)


def test_stretch_repeats_features_and_resamples_pitch_within_the_token() -> None:
    units = np.array([1, 2, 1])
    aligned = np.arange(4, dtype=np.float32).reshape(1, 1, 4)  # frame i holds i
    pitch = np.array([[90, 95, 100, 110, 120, 130, 140, 145]], np.float32)
    energy = pitch / 10
    new_units, new_aligned, new_pitch, new_energy = stretch(
        units, aligned, pitch, energy, np.array([0, 1, 0])
    )
    assert new_units.tolist() == [1, 3, 1]
    assert new_aligned.reshape(-1).tolist() == [0, 1, 2, 2, 3]
    # token 1's four F0 frames (100-130 Hz) spread over six, ends held
    np.testing.assert_allclose(
        new_pitch[0], [90, 95, 100, 105, 111.667, 118.333, 125, 130, 140, 145], atol=1e-3
    )
    np.testing.assert_allclose(new_energy, new_pitch / 10, rtol=1e-6)


def test_stretch_without_extra_returns_the_inputs_and_refuses_bad_lengths() -> None:
    units = np.array([2, 1])
    aligned = np.zeros((1, 3, 3), np.float32)
    pitch = np.zeros((1, 6), np.float32)
    out = stretch(units, aligned, pitch, pitch, np.zeros(2, int))
    assert out[1] is aligned and out[2] is pitch
    with pytest.raises(ValueError, match="extra"):
        stretch(units, aligned, pitch, pitch, np.array([0, -1]))
    with pytest.raises(ValueError, match="frames"):
        stretch(units, aligned[..., :2], pitch, pitch, np.array([0, 1]))
