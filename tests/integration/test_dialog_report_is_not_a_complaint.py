"""A visitor who reports a lost or stolen card gets the card's flow, not the complaint
(review16). flows16 read a line's opening request words alone when the whole line was not read
as a free-text flow; its request words included "report", and "I want to report" alone reads as
the complaint, so "I want to report a lost card" asked what happened for the branch manager
instead of offering to freeze the card. Through the trained bank dialog."""

from __future__ import annotations

import pytest

from tests.conftest import trained_dialog
from tests.support.dialog_visitor import said


@pytest.mark.parametrize(
    "line",
    [
        "I want to report a lost card",
        "I want to report that my card was stolen",
        "I want to report, my card was stolen",  # the opening clause read alone: the same
    ],
)
async def test_a_lost_card_reported_starts_the_cards_flow(line: str) -> None:
    session = trained_dialog("bank").new_session("report", language="auto")
    turn = await session.handle_text(line)
    assert turn.intent == "report_lost_card", said(turn)
    assert session.state.slots.get("complaint_text") is None


async def test_a_complaint_told_in_one_line_is_still_a_complaint() -> None:
    session = trained_dialog("bank").new_session("report", language="auto")
    turn = await session.handle_text("I want to complain that my card was stolen at your branch")
    assert turn.intent == "complaint", said(turn)
    assert session.state.slots["complaint_text"] == "my card was stolen at your branch"
