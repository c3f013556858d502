"""Mandarin phonemes for Kokoro and their visemes (engine/tts/zh_g2p.py)."""

from __future__ import annotations

import pytest
from pypinyin import Style, lazy_pinyin

from avatar.visemes import OCULUS_VISEMES, track_from_alignment
from engine.tts.zh_g2p import (
    LETTER_IPA,
    TONE_MARKS,
    fold_tones,
    numeral_yi,
    syllable_ipa,
    to_phonemes,
    viseme_for_zh_phoneme,
)
from engine.tts.zh_text import CODE_LETTERS

REPLIES = [
    "您好，欢迎光临海港银行！请问有什么可以帮您？",
    "抱歉，这个问题我不太清楚。柜台的工作人员可以帮您解答，您可以说“转人工”。",
    "很抱歉，验证码错误次数过多，本次服务的身份验证已锁定。",
]


@pytest.mark.parametrize("text", REPLIES)
def test_plain_chinese_matches_the_phonemes_kokoro_was_trained_on(text: str) -> None:
    """Without digits or letters our front end writes exactly what misaki's legacy Chinese G2P
    (the one Kokoro-82M v1.0 was trained with) writes."""
    from misaki.zh import ZHG2P

    assert to_phonemes(text) == ZHG2P()(text)[0]


def test_numbers_and_letters_are_spoken() -> None:
    phonemes = to_phonemes("尾号4417的ATM")
    # a code as a clerk reads it out: a pause between its digit groups, 1 as 一 yi1
    assert phonemes == to_phonemes("尾号四四、一七的ATM")
    assert "sɨ↘sɨ↘, i→ʨʰi→" in phonemes
    assert phonemes.endswith("ˈA tˈi ˈɛm")  # A-T-M, English letter names

    assert not any(ch.isdigit() for ch in phonemes)
    # a minus sign and a range are said (负, 至), so the visemes move for them too
    assert to_phonemes("工资，-256.80元") == to_phonemes("工资，负二百五十六点八元")
    assert to_phonemes("9:00-17:00") == to_phonemes("九点至十七点")
    assert to_phonemes("App") == to_phonemes("APP")
    assert to_phonemes("——") == "—" * 2 or not any(ch.isalpha() for ch in to_phonemes("——"))


def test_every_letter_and_syllable_has_visemes() -> None:
    """Every pinyin syllable of the common Han characters (U+4E00-9FA5) and every letter name
    gives phonemes, and every phoneme character maps to an Oculus viseme."""
    chars = "".join(chr(c) for c in range(0x4E00, 0x9FA6))
    readings = lazy_pinyin(chars, style=Style.TONE3, neutral_tone_with_five=True)
    syllables = {s for s in readings if s.isascii() and s.isalnum()}  # rare characters: none
    assert len(syllables) > 1200
    symbols = set()
    for syllable in syllables:
        ipa = syllable_ipa(syllable)
        assert ipa or syllable[:-1] in ("r", "hm", "hng"), syllable  # interjections only
        symbols |= set(ipa)
    symbols |= {ch for name in LETTER_IPA.values() for ch in name} - {"ˈ"}
    for symbol in symbols - TONE_MARKS:
        if symbol in "\u0303":  # a nasal diacritic: a modifier, folded by the track builder
            continue
        assert viseme_for_zh_phoneme(symbol) in OCULUS_VISEMES, symbol


def test_mouth_shapes_of_a_syllable() -> None:
    """帮 (bang1): lips closed, open vowel, back nasal; the tone's time stays with the vowel."""
    phonemes = syllable_ipa("bang1")
    assert phonemes == "pa→ŋ"
    symbols, counts = fold_tones(list(phonemes), [600, 1200, 600, 1200])
    assert symbols == ["p", "a", "ŋ"] and counts == [600, 1800, 1200]
    track = track_from_alignment(symbols, counts, 24_000, mapper=viseme_for_zh_phoneme)
    assert [c.viseme for c in track.cues] == ["PP", "aa", "kk"]
    assert track.num_samples == sum(counts)
    assert [viseme_for_zh_phoneme(ch) for ch in "ꭧʨʦɻ"] == ["CH", "CH", "SS", "CH"]


@pytest.mark.parametrize(
    ("text", "syllables", "said"),
    [
        ("第一个", ["di4", "yi2", "ge4"], ["di4", "yi1", "ge4"]),  # ordinal
        ("十一点", ["shi2", "yi4", "dian3"], ["shi2", "yi1", "dian3"]),  # a digit of 11
        ("说第一", ["di4", "yi1"], ["di4", "yi1"]),  # previous word's character as context
        ("一个", ["yi2", "ge4"], ["yi2", "ge4"]),  # the count word keeps its sandhi
        ("统一", ["tong3", "yi1"], ["tong3", "yi1"]),
    ],
)
def test_yi_after_di_or_a_numeral_keeps_its_first_tone(
    text: str, syllables: list[str], said: list[str]
) -> None:
    assert numeral_yi(text, syllables) == said


def test_ordinals_and_numbers_reach_the_phonemes_with_yi1() -> None:
    """pypinyin's phrase reading says 第一个 di4 yi2 ge4 and 十一点 shi2 yi4 dian3; the voice
    gets the dictionary's yi1 in both, and the count word 一个 keeps yi2."""
    assert lazy_pinyin("第一个", style=Style.TONE3) == ["di4", "yi2", "ge4"]  # the reason
    assert to_phonemes("说“第一个”。") == "ʂwo→“ti↘i→kɤ↘”."
    assert to_phonemes("11点") == "ʂɨ↗i→tjɛ↓n"
    assert to_phonemes("一个") == "i↗kɤ↘"


def test_a_codes_letters_are_said_with_chinese_letter_names() -> None:
    """K-3F07A2C1 (the bank's complaint reference): K kēi, F èfu, A ēi, C sēi as pinyin
    syllables (:data:`engine.tts.zh_text.CODE_LETTERS`), the digits one by one in groups; the
    same letters outside a code (an acronym) keep their English names, and a letter the table
    does not list (E) keeps its English name inside a code too."""
    assert to_phonemes("编号是K-3F07A2C1。") == (
        "pjɛ→nxau↘ ʂɨ↘ kʰei→, sa→n ɛ↘fu li↗ŋʨʰi→, ei→ ɚ↘ sei→ i→."
    )
    assert to_phonemes("工单号是T000135").startswith("kʊ→ŋta→n xau↘ ʂɨ↘ tʰi→ li↗ŋ")
    assert to_phonemes("预约号AP0042").endswith("ei→ pʰi→ li↗ŋli↗ŋ, sɨ↘ɚ↘")
    assert to_phonemes("ATM") == "ˈA tˈi ˈɛm"
    assert to_phonemes("E702").startswith("ˈi ")
    for letter, pinyin in CODE_LETTERS.items():
        ipa = "".join(syllable_ipa(s) for s in pinyin.split())
        assert all(syllable_ipa(s) for s in pinyin.split()), letter  # every syllable is said
        for symbol in set(ipa) - TONE_MARKS:  # and moves the mouth (the visemes follow it)
            assert viseme_for_zh_phoneme(symbol) in OCULUS_VISEMES, (letter, symbol)
