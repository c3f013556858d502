"""A line with no word and no digit (emoji, punctuation) answers nothing: newcomer12's "😀😀"
was classified as a yes (affirm), "😀🎉🏦" got the offer of a colleague. Outside a flow it gets
"How can I help you today?"; at a flow's question (a yes/no one included) the question is asked
again, with no failed attempt counted and nothing confirmed."""

from __future__ import annotations

import pytest

from tests.conftest import trained_dialog


@pytest.mark.parametrize(
    ("typed", "language", "help_line"),
    [
        ("😀😀", "zh", "请问有什么可以帮您？"),
        ("😀🎉🏦", "en", "How can I help you today?"),
        ("?!", "en", None),
    ],
)
async def test_a_wordless_line_outside_a_flow_asks_how_to_help(
    typed: str, language: str, help_line: str | None
) -> None:
    session = trained_dialog("bank").new_session("wordless", language=language)
    turn = await session.handle_text(typed)
    texts = [r.text for r in turn.replies]
    assert texts == [help_line or "How can I help you today?"], texts
    assert turn.intent is None and not session.state.offered_handoff


async def test_a_wordless_line_at_a_question_asks_it_again() -> None:
    session = trained_dialog("bank").new_session("wordless-question", language="en")
    asked = await session.handle_text("what's my balance")
    question = asked.replies[-1].text
    for _ in range(3):  # three misses would hand off: a wordless line is no miss
        turn = await session.handle_text("👍🙂")
        assert [r.text for r in turn.replies] == [question]
    assert session.engine.interpreter.waiting_slot(session.state).name == "card_last4"
