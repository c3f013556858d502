"""Booking a service-hall slot by a time said with the day ("tomorrow at 3 pm"), over real HTTP
against the sandbox tax bureau, through the real interpreter: the time waits for the slot
question (:attr:`dialog.steps.DialogState.said_time`), not for whichever question comes
next, and never answers a question the pack asks every time (``ask_before_filling``). Free
slots are read from the sandbox's SQLite."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from connectors.embedded import SandboxCluster
from connectors.router import Router
from connectors.sandbox.tax import SLOT_DAYS, bureau_today
from dialog import DialogEngine
from dialog.pack import DEFAULT_PACKS_DIR, load_pack
from tests.conftest import trained_dialog
from tests.support.dialog_visitor import said
from tests.support.sandbox import connector, inproc_logs, sandbox, sandbox_rows

__all__ = ["connector", "inproc_logs", "sandbox"]  # fixtures used by this module


@pytest.fixture
def engine(connector: Router) -> DialogEngine:
    return trained_dialog("tax").with_connector(connector)


def closed_day() -> date:
    """The first weekend day ahead: the bureau has no slots then (the sandbox opens weekdays)."""
    day = bureau_today() + timedelta(days=1)
    while day.weekday() < 5:
        day += timedelta(days=1)
    return day


def day_free_at(cluster: SandboxCluster, start: str, after: date) -> date:
    """The first day after ``after`` whose slot at ``start`` is free, from the sandbox's DB."""
    rows = sandbox_rows(
        cluster,
        "tax",
        "SELECT s.day FROM slots s WHERE s.day > ? AND s.day < ? AND s.start = ? AND NOT EXISTS"
        " (SELECT 1 FROM appointments a WHERE a.slot_id = s.id AND a.status = 'booked')"
        " ORDER BY s.day LIMIT 1",
        after.isoformat(),
        (bureau_today() + timedelta(days=SLOT_DAYS)).isoformat(),
        start,
    )
    return date.fromisoformat(rows[0][0])


async def test_a_time_said_waits_for_the_slot_question_past_other_questions(
    engine: DialogEngine, sandbox: SandboxCluster
) -> None:
    """fixes13: the time said with a closed day was used up by the next question of any kind
    (the day question asked again), so the visitor who named 3 pm was asked "which one?"
    later. It outlives the day question and a complaint taken meanwhile (whose own yes/no it
    does not answer), and picks the 15:00 slot of the day said next."""
    session = engine.new_session("tax-book-time-kept")
    turn = await session.handle_text(
        f"I'd like to book an appointment on {closed_day().isoformat()} at 3:00 pm"
    )
    assert "no free slots that day" in said(turn), said(turn)
    turn = await session.handle_text("I want to make a complaint")
    assert turn.intent == "complaint" and "what happened" in said(turn), said(turn)
    turn = await session.handle_text("The queue at window three took an hour")
    assert "Shall I submit it?" in said(turn), said(turn)
    assert session.state.slots["confirm_ticket"] is None
    turn = await session.handle_text("yes")
    assert session.state.slots["ticket_id"], said(turn)
    assert "Which day" in said(turn), said(turn)  # back at the day question
    day = day_free_at(sandbox, "15:00", closed_day())
    turn = await session.handle_text(day.isoformat())
    chosen = session.state.slots["chosen_slot"]
    assert (chosen["date"], chosen["start"]) == (day.isoformat(), "15:00"), said(turn)
    assert "Shall I book" in said(turn) and session.state.slots["confirm_booking"] is None


async def test_a_time_said_never_answers_a_question_asked_every_time(
    connector: Router, sandbox: SandboxCluster, tmp_path: Path
) -> None:
    """fixes13: a slot question marked ``ask_before_filling`` was cleared on arrival and then
    filled from the time said with the day, so it was never asked. The tax pack with its slot
    question so marked asks "which one?" after "<day> at 3 pm"."""
    root = tmp_path / "tax"
    shutil.copytree(DEFAULT_PACKS_DIR / "tax", root)
    flows = root / "flows.yaml"
    text = flows.read_text(encoding="utf-8")
    pick = "        collect: chosen_slot\n"
    assert text.count(pick) == 1
    flows.write_text(text.replace(pick, pick + "        ask_before_filling: true\n"), "utf-8")
    base = trained_dialog("tax")
    engine = DialogEngine(load_pack(root), connector, understanding=base.understanding)
    day = day_free_at(sandbox, "15:00", bureau_today())
    session = engine.new_session("tax-book-ask-first")
    turn = await session.handle_text(
        f"I'd like to book an appointment on {day.isoformat()} at 3:00 pm"
    )
    assert session.state.slots["chosen_slot"] is None, said(turn)
    assert "Which one would you like?" in said(turn)
    turn = await session.handle_text("3 pm")
    assert session.state.slots["chosen_slot"]["start"] == "15:00", said(turn)
