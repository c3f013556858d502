"""IPA → Oculus viseme mapping and viseme tracks (avatar/phoneme_visemes.py, avatar/visemes.py)."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from avatar.phoneme_visemes import (
    UnknownPhonemeError,
    viseme_for_mandarin_phoneme,
    viseme_for_phoneme,
    visemes_for_pinyin,
)
from avatar.visemes import OCULUS_VISEMES, VisemeCue, track_from_alignment, track_from_onsets


@pytest.fixture(scope="module")
def joe_phoneme_map(piper_voice_path: Path) -> dict[str, list[int]]:
    return json.loads(Path(f"{piper_voice_path}.json").read_text(encoding="utf-8"))[
        "phoneme_id_map"
    ]


def test_every_phoneme_of_the_joe_voice_maps_to_an_oculus_viseme(joe_phoneme_map) -> None:
    assert len(joe_phoneme_map) > 100
    for symbol in joe_phoneme_map:
        assert viseme_for_phoneme(symbol) in OCULUS_VISEMES, symbol


def test_joe_voice_letters_are_not_silent(joe_phoneme_map) -> None:
    """Every IPA letter of the voice gets a mouth shape; only pauses and marks are 'sil'."""
    silent = {s for s in joe_phoneme_map if viseme_for_phoneme(s) == "sil"}
    assert {"_", "^", "$", " ", ".", ",", "ˈ", "ː"} <= silent
    # letters (not modifier letters such as ˈ ː ʰ) always move the mouth
    assert not {s for s in silent if s.isalpha() and unicodedata.category(s) != "Lm"}


@pytest.mark.parametrize(
    ("word_phonemes", "viseme"),
    # the Oculus Viseme Reference's own example words
    [
        (("p", "b", "m"), "PP"),  # put, bat, mat
        (("f", "v"), "FF"),  # fat, vat
        (("θ", "ð"), "TH"),  # think, that
        (("t", "d"), "DD"),  # tip, doll
        (("k", "ɡ"), "kk"),  # call, gas
        (("tʃ", "dʒ", "ʃ"), "CH"),  # chair, join, she
        (("s", "z"), "SS"),  # sir, zeal
        (("n", "l"), "nn"),  # lot, not
        (("ɹ", "r"), "RR"),  # red
        (("ɑː", "ˈɑ"), "aa"),  # car
        (("ɛ",), "E"),  # bed
        (("ɪ",), "I"),  # tip
        (("oʊ", "ˈoʊ"), "O"),  # toe
        (("ʊ",), "U"),  # book
    ],
)
def test_oculus_reference_examples(word_phonemes: tuple[str, ...], viseme: str) -> None:
    for ph in word_phonemes:
        assert viseme_for_phoneme(ph) == viseme, ph


@pytest.mark.parametrize(
    ("ipa", "viseme"),
    [
        ("ˈæ", "aa"),
        ("ə", "aa"),
        ("ɐ", "aa"),
        ("ɚ", "RR"),
        ("ɾ", "DD"),
        ("ŋ", "kk"),
        ("ʒ", "CH"),
        ("aɪ", "aa"),
        ("eɪ", "E"),
        ("ɔɪ", "O"),
        ("aʊ", "aa"),
        ("uː", "U"),
        ("iə", "aa"),
        ("j", "I"),
        ("w", "U"),
        (" ", "sil"),
        ("", "sil"),
        ("?", "sil"),
        ("ˈ", "sil"),
    ],
)
def test_espeak_ipa(ipa: str, viseme: str) -> None:
    assert viseme_for_phoneme(ipa) == viseme


def test_unknown_symbol_raises() -> None:
    with pytest.raises(UnknownPhonemeError):
        viseme_for_phoneme("Ж")


@pytest.mark.parametrize(
    ("symbol", "viseme"),
    [
        ("ts.", "CH"),
        ("ts.h", "CH"),
        ("s.", "CH"),
        ("tɕh", "CH"),
        ("tsh", "SS"),
        ("i.", "I"),
        ("i̪", "I"),
        ("o-", "E"),
        ("ər", "RR"),
        ("uo", "O"),
        ("iou", "O"),
        ("uei", "E"),
        ("yɛ", "E"),
        ("ɑu", "aa"),
        ("χ", "kk"),
        ("kh", "kk"),
    ],
)
def test_espeak_mandarin_symbols(symbol: str, viseme: str) -> None:
    assert viseme_for_mandarin_phoneme(symbol) == viseme


@pytest.mark.parametrize(
    ("syllable", "visemes"),
    [
        ("zhang1", ("CH", "aa", "kk")),
        ("nin2", ("nn", "I", "nn")),
        ("hao3", ("kk", "aa")),
        ("lv4", ("nn", "U")),
        ("lü4", ("nn", "U")),
        ("er2", ("RR",)),
        ("me5", ("PP", "E")),
        ("a1", ("aa",)),
        ("yuan2", ("I", "aa", "nn")),
        ("shui4", ("CH", "E")),  # ui = uei
        ("liu2", ("nn", "O")),  # iu = iou
        ("lun2", ("nn", "E", "nn")),  # un = uen
        ("jun1", ("CH", "U", "nn")),  # un after j = ün,
    ],
)
def test_pinyin(syllable: str, visemes: tuple[str, ...]) -> None:
    assert visemes_for_pinyin(syllable) == visemes


@pytest.mark.parametrize("bad", ["", "hello!", "银", "x9y"])
def test_pinyin_rejects_non_pinyin(bad: str) -> None:
    with pytest.raises(UnknownPhonemeError):
        visemes_for_pinyin(bad)


def test_track_folds_stress_forward_and_length_backward_and_merges() -> None:
    # Piper's alignment of "Your balance" (counts in samples at 22050 Hz)
    phonemes = ["^", "j", "ʊ", "ɹ", " ", "b", "ˈ", "æ", "ː", "l", "ə", "n", "s", ".", "$"]
    counts = [1280, 768, 1280, 768, 1024, 1024, 1024, 1280, 256, 1792, 1280, 768, 1024, 0, 256]
    track = track_from_alignment(phonemes, counts, 22050)
    assert track.cues == (
        VisemeCue("sil", 0, 1280),
        VisemeCue("I", 1280, 2048),
        VisemeCue("U", 2048, 3328),
        VisemeCue("RR", 3328, 4096),
        VisemeCue("sil", 4096, 5120),
        VisemeCue("PP", 5120, 6144),
        VisemeCue("aa", 6144, 8704),  # ˈ (1024) + æ (1280) + ː (256)
        VisemeCue("nn", 8704, 10496),
        VisemeCue("aa", 10496, 11776),
        VisemeCue("nn", 11776, 12544),
        VisemeCue("SS", 12544, 13568),
        VisemeCue("sil", 13568, 13824),  # '.' had 0 samples and is dropped, '$' kept
    )
    assert track.num_samples == sum(counts)


def test_short_word_gaps_are_bridged_but_edges_keep_silence() -> None:
    phonemes = ["^", "n", " ", "n", " ", "s", "$"]
    counts = [500, 1000, 300, 1000, 2000, 1000, 400]
    track = track_from_alignment(phonemes, counts, 22050, min_pause_samples=1000)
    assert [c.viseme for c in track.cues] == ["sil", "nn", "sil", "SS", "sil"]
    assert track.cues[1] == VisemeCue("nn", 500, 2800)  # the 300-sample gap joined "nn"
    assert track.cues[2] == VisemeCue("sil", 2800, 4800)  # 2000 samples: a real pause


def test_track_is_contiguous_and_valid() -> None:
    phonemes = list("^həlˈoʊ wˈɜːld$")
    counts = [256 * (i % 4) for i in range(len(phonemes))]
    track = track_from_alignment(phonemes, counts, 22050)
    assert track.cues[0].start_sample == 0
    assert track.num_samples == sum(counts)
    for a, b in zip(track.cues, track.cues[1:], strict=False):
        assert a.end_sample == b.start_sample
        assert a.viseme != b.viseme
    assert all(c.end_sample > c.start_sample for c in track.cues)
    assert all(c.viseme in OCULUS_VISEMES for c in track.cues)


def test_track_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        track_from_alignment(["a"], [1, 2], 22050)
    with pytest.raises(ValueError):
        track_from_alignment(["a"], [-1], 22050)
    with pytest.raises(ValueError):
        track_from_alignment(["a"], [1], 0)
    with pytest.raises(UnknownPhonemeError):
        track_from_alignment(["Ж"], [1], 22050, strict=True)
    assert track_from_alignment(["Ж"], [5], 22050).cues == (VisemeCue("sil", 0, 5),)


def test_track_from_onsets_uses_next_onset_as_end() -> None:
    # libespeak-ng events for "nin2 hao3" (cmn-latn-pinyin, 22050 Hz)
    onsets = [("n", 0), ("i", 1792), ("n", 3904), ("", 6003), ("χ", 6267), ("ɑu", 8579)]
    track = track_from_onsets(onsets, 13318, 22050, mapper=viseme_for_mandarin_phoneme)
    assert [(c.viseme, c.start_sample, c.end_sample) for c in track.cues] == [
        ("nn", 0, 1792),
        ("I", 1792, 3904),
        ("nn", 3904, 6003),
        ("sil", 6003, 6267),
        ("kk", 6267, 8579),
        ("aa", 8579, 13318),
    ]
    with pytest.raises(ValueError):
        track_from_onsets([("n", 10), ("i", 5)], 100, 22050)
