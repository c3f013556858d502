"""Two flows asked for in one line (flows16): "I lost my card and what is my balance" /
我的卡丢了，顺便查一下余额 started one flow and dropped the other without a word. Now the second
waits its turn: said up front, started when the first ends (done, cancelled or failed) with the
visitor's own words read back, never two at once; a restart, a hand-off or the session's end
drops it. Over real HTTP against the sandbox bank (the fault is the sandbox's own switch)."""

from __future__ import annotations

import pytest

from connectors.embedded import SandboxCluster
from connectors.router import Router
from dialog import DialogEngine
from dialog.types import SessionClosedError
from tests.conftest import trained_dialog
from tests.support.dialog_visitor import said
from tests.support.sandbox import (
    DEMO_LAST4,
    connector,
    demo_card_balance,
    inproc_logs,
    sandbox,
)

__all__ = ["connector", "inproc_logs", "sandbox"]  # fixtures used by this module


@pytest.fixture
def engine(connector: Router) -> DialogEngine:
    return trained_dialog("bank").with_connector(connector)


async def test_the_second_flow_starts_when_the_first_is_done(
    engine: DialogEngine, sandbox: SandboxCluster
) -> None:
    session = engine.new_session("queued-en")
    turn = await session.handle_text("I lost my card and what is my balance")
    assert turn.intent == "report_lost_card", said(turn)
    assert 'then your other request, "what is my balance"' in said(turn), said(turn)
    assert session.awaited_answer() == "digits"  # one flow runs, its question last
    running = [f.flow_id for f in session.state.stack]
    assert running[0] == "report_lost_card" and "check_balance" not in running, running
    assert [q.flow_id for q in session.state.queued] == ["check_balance"]
    await session.handle_text(DEMO_LAST4)
    code = sandbox.read_otp("bank", session.state.slots["verification_id"])
    turn = await session.handle_text(code)
    assert "check_balance" not in [f.flow_id for f in session.state.stack]
    turn = await session.handle_text("no")  # the freeze declined: the lost-card flow is done
    text = said(turn)
    assert "haven't frozen" in text, text
    assert text.index("haven't frozen") < text.index('Now for your other request: "what is my')
    # the balance check runs on (the card verified a moment ago) to the stored balance
    while session.awaited_answer() == "digits" and "last four" in turn.replies[-1].text:
        turn = await session.handle_text(DEMO_LAST4)
        text += " " + said(turn)
    if session.awaited_answer() == "digits":  # a fresh code, when the bank asks for one
        code = sandbox.read_otp("bank", session.state.slots["verification_id"])
        turn = await session.handle_text(code)
        text += " " + said(turn)
    assert f"{demo_card_balance(sandbox):,.2f} yuan" in text, text
    assert not session.state.stack and not session.state.queued
    flows = [e.detail for e in session.audit if e.kind == "flow"]
    assert flows.index("report_lost_card ended") < flows.index("check_balance started"), flows
    session.close()


async def test_cancel_ends_the_first_and_starts_the_second(engine: DialogEngine) -> None:
    session = engine.new_session("queued-zh")
    turn = await session.handle_text("我的卡丢了，顺便查一下余额")
    assert turn.intent == "report_lost_card" and "“查一下余额”" in said(turn), said(turn)
    turn = await session.handle_text("取消")
    assert said(turn).startswith("好的，这件已经为您取消了。"), said(turn)
    assert "接下来为您办刚才说的另一件事：“查一下余额”" in said(turn), said(turn)
    assert "还有什么可以帮您" not in said(turn), said(turn)
    assert session.state.stack[0].flow_id == "check_balance", session.state.stack
    assert session.awaited_answer() == "digits" and not session.state.queued
    # a second cancel cancels the balance check too: nothing is left
    turn = await session.handle_text("取消")
    assert "还有什么可以帮您" in said(turn) and not session.state.stack, said(turn)
    session.close()


@pytest.mark.parametrize("drop", ["start over", "human please", "goodbye"])
async def test_start_over_a_colleague_or_goodbye_drops_the_waiting_flow(
    engine: DialogEngine, drop: str
) -> None:
    session = engine.new_session("queued-drop")
    await session.handle_text("I lost my card and what is my balance")
    assert session.state.queued
    turn = await session.handle_text(drop)
    assert not session.state.stack and not session.state.queued, said(turn)
    assert "other request" not in said(turn), said(turn)
    session.close()


async def test_the_waiting_flow_goes_with_the_session(engine: DialogEngine) -> None:
    session = engine.new_session("queued-close")
    await session.handle_text("I lost my card and what is my balance")
    assert session.state.queued
    session.close()
    with pytest.raises(SessionClosedError):
        session.state  # noqa: B018 - the memory, the queue with it, is gone
    fresh = engine.new_session("queued-close")  # the same id: nothing carried over
    assert not fresh.state.queued and not fresh.state.stack
    fresh.close()


async def test_one_flow_line_queues_nothing(engine: DialogEngine) -> None:
    # a comma or "and" inside one request is not cut into two flows
    session = engine.new_session("queued-one")
    turn = await session.handle_text("I lost my card, I think it was stolen on the bus")
    assert turn.intent == "report_lost_card" and not session.state.queued, said(turn)
    assert "other request" not in said(turn)
    session.close()
