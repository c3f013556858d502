"""Where a visitor's line holds several requests (:func:`dialog.several_requests.clauses`):
cut at a certain joiner, and at a comma or "and" only between two requests of their own."""

from __future__ import annotations

import pytest

from dialog.several_requests import clauses, opening_clause


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        (
            "what time do you open and what is my balance?",
            "en",
            ["what time do you open", "what is my balance"],
        ),
        (
            "I lost my card and also want to know the opening hours",
            "en",
            ["I lost my card", "want to know the opening hours"],
        ),
        (
            "Where is the branch? Can I park there?",
            "en",
            ["Where is the branch", "Can I park there"],
        ),
        ("办税大厅几点上班，要带什么材料", "zh", ["办税大厅几点上班", "要带什么材料"]),
        ("我的卡丢了，还有你们几点关门", "zh", ["我的卡丢了", "你们几点关门"]),
    ],
)
def test_a_line_of_several_requests_is_cut_into_them(
    text: str, language: str, expected: list[str]
) -> None:
    assert clauses(text, language) == expected


@pytest.mark.parametrize(
    ("text", "language"),
    [  # one request each: a cut at every comma and "and" changed 69 of 212 readable dev answers
        ("I typed the wrong PIN three times and now it's locked", "en"),
        ("my father is in a wheelchair, can he get into the branch", "en"),
        ("I'd like to get a current account, how does it work", "en"),
        ("When I swapped money in the app I got less than I expected, is there a charge?", "en"),
        ("what time do you open and close", "en"),
        ("hi, what is my balance?", "en"),  # a greeting is no request of its own
        ("汇算我忘了办，现在补有没有罚款", "zh"),
        ("我今天来办个税汇算，该排哪个窗口啊", "zh"),
        ("你好，我想查余额", "zh"),
        ("what is my balance", "fr"),  # no joiners known for the language
    ],
)
def test_one_request_is_left_whole(text: str, language: str) -> None:
    assert clauses(text, language) == []


def test_the_opening_clause_is_the_first_of_several() -> None:
    line = "I want to complain, the cash machine swallowed my card"
    assert opening_clause(line, "en") == "I want to complain"
    assert opening_clause("I want to complain", "en") is None
