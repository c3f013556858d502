"""The system still down when the request is tried again: a colleague is called (review19).
Digits said right after a connector failure start the request again
(:meth:`dialog.interpreter.Interpreter._retry_stopped`), which calls the system at once; while it
was still down the visitor heard the same apology a second time ("the bank's system is not
available right now…") and could go round again. Now the system's second failure in a row
calls a colleague (the pack's ``utter_handoff``) instead of the apology.

Real dialog, real sandbox bank over HTTP; the only fault is injected on purpose through the
sandbox's own fault switch (every request answered 503), left on for the retry.
"""

from __future__ import annotations

import pytest

from connectors.embedded import SandboxCluster
from connectors.router import Router
from dialog import DialogEngine
from tests.conftest import trained_dialog
from tests.support.dialog_visitor import domain_pack, said
from tests.support.sandbox import DEMO_LAST4, connector, inproc_logs, sandbox

__all__ = ["connector", "inproc_logs", "sandbox"]  # fixtures used by this module


@pytest.fixture
def engine(connector: Router) -> DialogEngine:
    return trained_dialog("bank").with_connector(connector)


@pytest.mark.parametrize(
    ("ask", "card", "language"),
    [("What is my balance?", DEMO_LAST4, "en"), ("我想查一下余额", "四四一七", "zh")],
)
async def test_a_second_failure_in_a_row_calls_a_colleague(
    engine: DialogEngine, sandbox: SandboxCluster, ask: str, card: str, language: str
) -> None:
    apology = domain_pack("bank").responses["utter_error_unavailable"].texts[language]
    restarted = domain_pack("bank").responses["utter_retry_stopped"].texts[language]
    colleague = domain_pack("bank").responses["utter_handoff"].texts[language]
    session = engine.new_session(f"t-failure-twice-{language}")
    await session.handle_text(ask)
    sandbox.set_faults("bank", {"error_rate": 1.0})  # fault injected on purpose: the bank is down
    turn = await session.handle_text(card)
    assert said(turn).count(apology) == 1 and not turn.handoff, said(turn)
    turn = await session.handle_text(card)  # tried again while the bank is still down
    assert restarted in said(turn) and colleague in said(turn), said(turn)
    assert apology not in said(turn)  # before: the same apology again
    assert turn.handoff and session.state.handed_off and not session.state.stack
    assert session.state.stopped is None  # digits said next restart nothing


async def test_a_later_request_failing_once_gets_the_apology(
    engine: DialogEngine, sandbox: SandboxCluster
) -> None:
    """Review19 F6: the balance check failed, the visitor asked a question and later took a
    queue number, whose call failed once: that request had never failed and was not tried
    again, so it gets the apology like the first, not a colleague at once (the old code called
    one: the earlier failure was still counted, no call having succeeded between)."""
    pack = domain_pack("bank")
    apology = pack.responses["utter_error_unavailable"].texts["en"]
    colleague = pack.responses["utter_handoff"].texts["en"]
    session = engine.new_session("t-failure-later-request")
    await session.handle_text("What is my balance?")
    sandbox.set_faults("bank", {"error_rate": 1.0})  # fault injected on purpose: the bank is down
    turn = await session.handle_text(DEMO_LAST4)
    assert said(turn).count(apology) == 1 and not turn.handoff, said(turn)
    turn = await session.handle_text("What time do you open?")  # another question between
    assert not turn.handoff and apology not in said(turn), said(turn)
    turn = await session.handle_text("Can I have a queue number for cash?")
    assert "queue number for cash services" in said(turn), said(turn)
    turn = await session.handle_text("yes please")  # the queue's call fails, once
    assert apology in said(turn) and colleague not in said(turn), said(turn)
    assert not turn.handoff and not session.state.handed_off
    session.close()
