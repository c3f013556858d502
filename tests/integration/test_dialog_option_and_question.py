"""At a flow's choice question, a line that picks an option and asks a FAQ question beside it
gets the answer and keeps the option (dialogfix18 #3): "The second one, and is there parking
for my car?" at the free slots was answered, then asked "which one?" again, the option lost.
A question holding an option's word is still only a question. Real dialog, the sandbox tax
bureau over HTTP; the slots expected are read from its SQLite."""

from __future__ import annotations

from datetime import date

import pytest

from connectors.embedded import SandboxCluster
from connectors.router import Router
from connectors.sandbox.tax import bureau_today
from dialog import DialogEngine
from tests.conftest import trained_dialog
from tests.support.dialog_visitor import said
from tests.support.sandbox import connector, inproc_logs, sandbox, sandbox_rows

__all__ = ["connector", "inproc_logs", "sandbox"]  # fixtures used by this module

PARKING = {"en": "car park behind the building", "zh": "大楼后面的停车场"}
CONFIRM = {"en": "yes or no", "zh": "确认"}


@pytest.fixture
def engine(connector: Router) -> DialogEngine:
    return trained_dialog("tax").with_connector(connector)


def free_slots(cluster: SandboxCluster) -> tuple[date, list[tuple[str, str]]]:
    """The first day with a free slot and its first four free slots ``(id, start)``."""
    day = sandbox_rows(
        cluster,
        "tax",
        "SELECT s.day FROM slots s WHERE s.day >= ? AND NOT EXISTS (SELECT 1 FROM appointments a"
        " WHERE a.slot_id = s.id AND a.status = 'booked') ORDER BY s.day, s.start LIMIT 1",
        bureau_today().isoformat(),
    )[0][0]
    rows = sandbox_rows(
        cluster,
        "tax",
        "SELECT s.id, s.start FROM slots s WHERE s.day = ? AND NOT EXISTS (SELECT 1 FROM"
        " appointments a WHERE a.slot_id = s.id AND a.status = 'booked') ORDER BY s.start LIMIT 4",
        day,
    )
    return date.fromisoformat(day), [(str(r[0]), str(r[1])) for r in rows]


@pytest.mark.parametrize(
    ("language", "line"),
    [
        ("en", "The second one, and is there parking for my car?"),
        ("zh", "第二个吧，有地方停车吗？"),
    ],
)
async def test_an_option_said_with_a_question_is_kept(
    engine: DialogEngine, sandbox: SandboxCluster, language: str, line: str
) -> None:
    day, free = free_slots(sandbox)
    opening = (
        f"I'd like to book an appointment on {day.isoformat()}"
        if language == "en"
        else f"我想预约{day.month}月{day.day}日"
    )
    session = engine.new_session(f"tax-option-question-{language}")
    turn = await session.handle_text(opening)
    assert turn.intent == "book_appointment" and all(s in said(turn) for _, s in free)
    turn = await session.handle_text(line)
    assert PARKING[language] in said(turn), said(turn)  # the question answered
    assert session.state.slots["chosen_slot"]["slot_id"] == free[1][0]  # the option kept
    assert free[1][1] in said(turn) and CONFIRM[language] in said(turn)  # on to confirming
    assert said(turn).index(PARKING[language]) < said(turn).index(free[1][1])


async def test_a_question_alone_keeps_the_choice_open(
    engine: DialogEngine, sandbox: SandboxCluster
) -> None:
    """Only a question (no clause of its own naming an option): answered, the choice still
    open and asked again."""
    day, _ = free_slots(sandbox)
    session = engine.new_session("tax-option-question-only")
    await session.handle_text(f"I'd like to book an appointment on {day.isoformat()}")
    turn = await session.handle_text("is there parking for my car?")
    assert PARKING["en"] in said(turn) and session.state.slots["chosen_slot"] is None
    assert session.state.stack and "yes or no" not in said(turn)
