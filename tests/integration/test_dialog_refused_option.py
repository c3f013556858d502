"""At a flow's choice question an option the visitor refuses is not chosen (fixes19 #5): "not
the second one" booked the second free slot (asked to confirm it), 不要第二个 likewise. The
choice is asked again; an option picked beside a refused one ("not the first, the second one")
is kept. Real dialog, the sandbox tax bureau over HTTP; the slots expected are read from its
SQLite (:func:`tests.integration.test_dialog_option_and_question.free_slots`)."""

from __future__ import annotations

import pytest

from connectors.embedded import SandboxCluster
from dialog import DialogEngine
from tests.integration.test_dialog_option_and_question import CONFIRM, engine, free_slots
from tests.support.dialog_visitor import said
from tests.support.sandbox import connector, inproc_logs, sandbox

__all__ = ["connector", "engine", "inproc_logs", "sandbox"]  # fixtures used by this module

ASKED = {"en": "which one", "zh": "哪个"}


@pytest.mark.parametrize(
    ("language", "line", "pick"),
    [
        ("en", "not the second one", None),
        ("en", "not the first one, the second one", 1),
        ("en", "no, the second one", 1),  # a bare "no" is no refusal: it corrects, and picks
        ("zh", "不要第二个", None),
        ("zh", "不要第一个，要第二个", 1),
    ],
)
async def test_a_refused_option_is_not_chosen(
    engine: DialogEngine, sandbox: SandboxCluster, language: str, line: str, pick: int | None
) -> None:
    day, free = free_slots(sandbox)
    opening = (
        f"I'd like to book an appointment on {day.isoformat()}"
        if language == "en"
        else f"我想预约{day.month}月{day.day}日"
    )
    session = engine.new_session(f"tax-refused-{language}-{abs(hash(line))}")
    try:
        turn = await session.handle_text(opening)
        assert turn.intent == "book_appointment" and all(s in said(turn) for _, s in free)
        turn = await session.handle_text(line)
        chosen = session.state.slots.get("chosen_slot")
        if pick is None:
            assert chosen is None, (chosen, said(turn))
            assert CONFIRM[language] not in said(turn), said(turn)
            assert ASKED[language] in said(turn).lower(), said(turn)  # asked again
        else:
            assert chosen is not None and chosen["slot_id"] == free[pick][0], said(turn)
            assert free[pick][1] in said(turn) and CONFIRM[language] in said(turn)
    finally:
        session.close()
