"""Digits or a code typed right after a connector failure ended a flow (dialogfix18 #1): the
bank sandbox stopped answering between "What is my balance?" and the card digits, the visitor
heard "the bank's system is not available right now…", and the six code digits typed next got
"How can I help you today?". Now the request is said to have stopped and starts again: the card
it was given (kept, as the card is for the visit) gets a new code at once, and that code gives
the balance.

Real dialog, real sandbox bank over HTTP; the only fault is injected on purpose through the
sandbox's own fault switch (every request answered 503), then switched off (the system is back).
"""

from __future__ import annotations

import pytest

from connectors.embedded import SandboxCluster
from connectors.router import Router
from dialog import DialogEngine
from tests.conftest import trained_dialog
from tests.support.dialog_visitor import said
from tests.support.sandbox import DEMO_LAST4, connector, demo_card_balance, inproc_logs, sandbox

__all__ = ["connector", "inproc_logs", "sandbox"]  # fixtures used by this module

RESTARTED = {
    "en": "Your last request stopped because the bank's system could not complete it",
    "zh": "刚才的业务因为银行系统出现问题而中断了",
}


@pytest.fixture
def engine(connector: Router) -> DialogEngine:
    return trained_dialog("bank").with_connector(connector)


@pytest.mark.parametrize(
    ("ask", "card", "code", "language", "code_sent"),
    [
        ("What is my balance?", DEMO_LAST4, "482913", "en", "sent a six-digit code"),
        ("我想查一下余额", "四四一七", "四八二九一三", "zh", "发送了一条短信"),
    ],
)
async def test_code_digits_after_a_failure_start_the_request_again(
    engine: DialogEngine,
    sandbox: SandboxCluster,
    ask: str,
    card: str,
    code: str,
    language: str,
    code_sent: str,
) -> None:
    session = engine.new_session(f"t-after-failure-{language}")
    await session.handle_text(ask)
    sandbox.set_faults("bank", {"error_rate": 1.0})  # fault injected on purpose: the bank is down
    turn = await session.handle_text(card)
    assert not session.state.stack and session.state.stopped == "check_balance"
    sandbox.set_faults("bank", None)  # the bank is back
    turn = await session.handle_text(code)  # the code the visitor was about to type
    assert RESTARTED[language] in said(turn), said(turn)
    assert code_sent in said(turn) and turn.intent == "check_balance"
    assert "How can I help" not in said(turn) and "有什么可以帮您" not in said(turn)
    # the new code gives the balance as usual
    turn = await session.handle_text(
        sandbox.read_otp("bank", session.state.slots["verification_id"])
    )
    assert f"{demo_card_balance(sandbox):,.2f}" in said(turn)


async def test_the_same_card_digits_after_a_failure_retry_the_call(
    engine: DialogEngine, sandbox: SandboxCluster
) -> None:
    session = engine.new_session("t-after-failure-same")
    await session.handle_text("What is my balance?")
    sandbox.set_faults("bank", {"error_rate": 1.0})  # fault injected on purpose
    turn = await session.handle_text(DEMO_LAST4)
    assert "not available right now" in said(turn)
    sandbox.set_faults("bank", None)
    turn = await session.handle_text(DEMO_LAST4)  # the same answer, once the system is back
    assert RESTARTED["en"] in said(turn) and "ending in 1288" in said(turn), said(turn)
    assert turn.timings_ms["connector"] is not None


async def test_digits_later_or_after_no_failure_still_ask_nothing(
    engine: DialogEngine, sandbox: SandboxCluster
) -> None:
    session = engine.new_session("t-after-failure-later")
    await session.handle_text("What is my balance?")
    sandbox.set_faults("bank", {"error_rate": 1.0})  # fault injected on purpose
    await session.handle_text(DEMO_LAST4)
    sandbox.set_faults("bank", None)
    await session.handle_text("what time do you open?")  # another line: the failure is past
    assert session.state.stopped is None
    turn = await session.handle_text("482913")
    assert "How can I help you today?" in said(turn) and not session.state.stack


def test_the_access_lapse_forgets_the_stopped_request() -> None:
    """The next person at the kiosk: their digits restart nothing of the visitor before."""
    from dialog.lapse import lapsed
    from dialog.pack import DEFAULT_PACKS_DIR, load_pack
    from dialog.steps import DialogState

    pack = load_pack(DEFAULT_PACKS_DIR / "bank")
    assert lapsed(pack, DialogState(stopped="check_balance")).stopped is None
