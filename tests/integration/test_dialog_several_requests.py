"""A line that asks for two things gets both (newcomer15: "I lost my card and also want to know
the opening hours" got the hours only, the lost card dropped without a word), through the
trained dialog as the server runs it: FAQ answers in the order asked, and the one flow last,
its question the turn's last words."""

from __future__ import annotations

import pytest

from tests.conftest import trained_dialog
from tests.support.dialog_visitor import said


@pytest.mark.parametrize(
    ("domain", "typed", "sources", "intent"),
    [
        (
            "bank",
            "I lost my card and also want to know the opening hours",
            ["faq.en.md § Opening hours"],
            "report_lost_card",
        ),
        (
            "bank",
            "what time do you open and what is my balance?",
            ["faq.en.md § Opening hours"],
            "check_balance",
        ),
        ("bank", "我的卡丢了，还有你们几点关门", ["faq.zh.md § 营业时间"], "report_lost_card"),
        (
            "bank",
            "how do I send money abroad and what are your opening hours?",
            ["faq.en.md § Sending money abroad", "faq.en.md § Opening hours"],
            "faq",
        ),
        ("tax", "我想查一下退税进度，另外停车场在哪里", ["faq.zh.md § 停车"], "filing_status"),
    ],
)
async def test_each_request_of_a_line_is_answered(
    domain: str, typed: str, sources: list[str], intent: str
) -> None:
    session = trained_dialog(domain).new_session("several")
    turn = await session.handle_text(typed)
    assert turn.intent == intent, said(turn)
    answered = [r.source for r in turn.replies if r.source]
    assert answered == sources, said(turn)
    if intent != "faq":  # the flow's first question ends the turn
        assert session.awaited_answer() is not None and not turn.replies[-1].source, said(turn)
    session.close()


async def test_a_complaint_told_after_a_comma_is_taken_as_the_complaint() -> None:
    session = trained_dialog("bank").new_session("complaint")
    typed = "I want to complain, the cash machine at the door swallowed my card and nobody helped"
    turn = await session.handle_text(typed)
    assert turn.intent == "complaint", said(turn)
    assert "swallowed my card" in turn.replies[-1].text, said(turn)
    session.close()


async def test_one_request_in_two_clauses_gets_one_answer() -> None:
    session = trained_dialog("bank").new_session("one")
    turn = await session.handle_text("I typed the wrong PIN three times and now it's locked")
    assert [r.source for r in turn.replies] == ["faq.en.md § Forgotten or blocked PIN"], said(turn)
    session.close()
