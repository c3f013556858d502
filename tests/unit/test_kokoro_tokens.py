"""Kokoro's token side (engine/tts/kokoro_tokens.py): the vocabulary filter, the cut of a long
sentence into runs the voice packs cover, and the estimated viseme track's timing."""

from __future__ import annotations

from engine.tts.kokoro_tokens import (
    MAX_TOKENS,
    SAMPLE_RATE_HZ,
    SAMPLES_PER_UNIT,
    estimate_weight,
    estimated_track,
    runs,
    to_tokens,
)

VOCAB = {"a": 43, "n": 56, " ": 16, ",": 3, "↓": 170}


def test_characters_outside_the_vocabulary_are_left_out() -> None:
    assert to_tokens(VOCAB, "na↓n, xa") == [
        ("n", 56), ("a", 43), ("↓", 170), ("n", 56), (",", 3), (" ", 16), ("a", 43),
    ]  # fmt: skip


def test_a_long_sentence_is_cut_after_its_last_break_before_the_limit() -> None:
    clause = [("a", 43)] * 300 + [(",", 3)]
    tokens = clause + [("n", 56)] * 400
    pieces = runs(tokens)
    assert [len(p) for p in pieces] == [301, 400]
    assert pieces[0][-1] == (",", 3)
    assert runs([("a", 43)] * (MAX_TOKENS + 5)) == [[("a", 43)] * MAX_TOKENS, [("a", 43)] * 5]
    assert runs([]) == []


def test_the_estimated_track_times_vowels_twice_consonants_and_pauses_four_times() -> None:
    assert [estimate_weight(s) for s in ("a", "n", " ", ",", "↓", "^")] == [2, 1, 0.3, 4, 0, 4]
    track = estimated_track(["^", "n", "a", "↓", "$"])
    units = 8 + 2 + 4 + 0 + 8  # 2 x weight per symbol, rounded
    assert track.num_samples == units * SAMPLES_PER_UNIT
    assert track.sample_rate == SAMPLE_RATE_HZ
    first = track.cues[0]
    assert (first.viseme, first.start_sample, first.end_sample) == ("sil", 0, 8 * SAMPLES_PER_UNIT)
