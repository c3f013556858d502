"""A ``text`` slot (a complaint's or a ticket's description) takes the visitor's own words, but
not a bare yes, no or okay: newcomer14 said 是的 at 请告诉我具体情况 and the bank registered a
complaint reading “是的” (dialog.yes_no.is_bare_answer)."""

from __future__ import annotations

import pytest

from dialog.pack import SlotDef
from dialog.slot_values import extract_slot_value
from dialog.templates import render, without_markup, without_pictographs
from dialog.yes_no import is_bare_answer
from tests.support.dialog_visitor import Visitor, bank_nlu, bank_pack, texts

TEXT = SlotDef("complaint_text", "text")


@pytest.mark.parametrize(
    "line",
    [
        "yes",
        "Yes.",
        "ok thanks",
        "no",
        "No, thank you",
        "I don't",
        "yes please",
        "that’s right",
        "是的",
        "好",
        "好的，谢谢",
        "不是",
        "对对对",
        "嗯",
        "可以",
    ],
)
def test_a_bare_yes_or_no_is_no_description(line: str) -> None:
    assert is_bare_answer(line)
    assert extract_slot_value(TEXT, line, {}) is None


@pytest.mark.parametrize(
    "line",
    [
        "no one helped me",
        "the queue was too long",
        "wrong amount",
        "terrible",
        "不对的金额被扣了两次",
        "是的，排队太久了",
        "二号柜台的柜员对我很不耐烦",
        "我要投诉",
        "😡",
        "1234",
    ],
)
def test_any_other_word_is_the_visitors_own(line: str) -> None:
    assert not is_bare_answer(line)
    assert extract_slot_value(TEXT, line, {}) == line


def test_an_any_slot_still_takes_a_yes() -> None:
    assert extract_slot_value(SlotDef("note", "any"), "yes", {}) == "yes"


@pytest.mark.parametrize(
    ("language", "words", "read_back"),
    [
        ("en", "Nobody came to help me.", '"Nobody came to help me." Shall I submit it?'),
        ("en", "Nobody came to help me", '"Nobody came to help me". Shall I submit it?'),
        ("zh", "没有人来帮我。", "“没有人来帮我。”确认提交吗？"),
        ("zh", "没有人来帮我", "“没有人来帮我”。确认提交吗？"),
    ],
)
def test_the_read_back_has_one_full_stop(language: str, words: str, read_back: str) -> None:
    """newcomer14 #6b: a spoken complaint (Whisper ends it with a full stop) was read back as
    '"… help me.". Shall I submit it?'."""
    response = bank_pack().responses["utter_confirm_complaint"]
    assert read_back in render(response, language, {"complaint_text": words}).text


@pytest.mark.parametrize(
    ("language", "opening", "words", "read_back"),
    [
        (
            "en",
            "I want to make a complaint",
            "the queue was awful 😡😡 and nobody helped 👎🏽",
            '"the queue was awful and nobody helped". Shall I submit it?',
        ),
        ("zh", "我要投诉", "排队太久了😤，没人管🙄", "“排队太久了，没人管”。确认提交吗？"),
    ],
)
def test_the_read_back_leaves_out_emoji_and_the_slot_keeps_them(
    language: str, opening: str, words: str, read_back: str
) -> None:
    """newcomer14: the read-back repeated the visitor's emoji, which a voice reads as their
    names; the caption and the voice now leave them out, the stored words keep them."""
    v = Visitor(bank_pack(), bank_nlu(), language=language)
    v.says(opening)
    said = " ".join(texts(v.says(words)))
    assert read_back in said, said
    assert v.state.slots["complaint_text"] == words


def test_pictographs_alone_are_read_back_as_given() -> None:
    assert without_pictographs("😡") == "😡"
    assert without_pictographs("12,345.67 yuan, 我要投诉。") == "12,345.67 yuan, 我要投诉。"


@pytest.mark.parametrize(
    ("words", "spoken"),
    [
        ("排队太久了😤没人管", "排队太久了没人管"),  # Chinese has no spaces: none is put in
        ("等了一小时 😡 没人管", "等了一小时 没人管"),  # the visitor's own space is kept
        ("waited an hour😡and left", "waited an hour and left"),  # words stay apart
    ],
)
def test_a_pictograph_leaves_a_space_only_between_spaced_words(words: str, spoken: str) -> None:
    assert without_pictographs(words) == spoken


@pytest.mark.parametrize(
    ("language", "opening", "words", "read_back"),
    [
        (
            "en",
            "I want to make a complaint",
            "<img src=x onerror=alert(1)> the queue was <b>awful</b> <script>alert(2)</script>",
            '"the queue was awful". Shall I submit it?',
        ),
        ("zh", "我要投诉", "排队太久了<br>没人管<!-- x -->", "“排队太久了没人管”。确认提交吗？"),
    ],
)
def test_the_read_back_leaves_out_markup_and_the_slot_keeps_it(
    language: str, opening: str, words: str, read_back: str
) -> None:
    """newcomer19 F-XSS: a complaint typed with "<img src=x onerror=alert(1)>" was read back
    with the voice spelling the tag out; the caption and the voice now leave tags (and a
    script element whole) out, the stored words keep them as typed."""
    v = Visitor(bank_pack(), bank_nlu(), language=language)
    v.says(opening)
    said = " ".join(texts(v.says(words)))
    assert read_back in said, said
    assert "<" not in said and "alert" not in said
    assert v.state.slots["complaint_text"] == words


def test_what_is_no_tag_is_kept() -> None:
    assert without_markup("a < b and <3, 2<5") == "a < b and <3, 2<5"
    assert without_markup("<p></p>") == "<p></p>"  # tags alone: read back as given
