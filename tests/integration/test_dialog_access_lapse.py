"""A verified visitor's account details are forgotten when the server says they were idle too
long (newcomer #15, ``dialog.lapse``): the visitor is told so in their language, and the next
question about the account asks for the card and sends a fresh one-time code. The real bank
pack and dialog over real HTTP against the sandbox bank; the server's timer is
tests/integration/test_server_access_lapse.py."""

from __future__ import annotations

import pytest

from connectors.embedded import SandboxCluster
from connectors.router import Router
from dialog import DialogEngine
from dialog.lapse import LAPSED
from dialog.session import DialogSession
from tests.conftest import trained_dialog
from tests.support.dialog_visitor import said
from tests.support.sandbox import DEMO_LAST4, connector, inproc_logs, sandbox

__all__ = ["connector", "inproc_logs", "sandbox"]  # fixtures used by this module


@pytest.fixture
def engine(connector: Router) -> DialogEngine:
    return trained_dialog("bank").with_connector(connector)


async def verified(session: DialogSession, cluster: SandboxCluster, ask: str) -> str:
    """Verify the demo customer (card ending, then the texted code); the balance reply."""
    await session.handle_text(ask)
    await session.handle_text(DEMO_LAST4)
    first_id = session.state.slots["verification_id"]
    turn = await session.handle_text(cluster.read_otp("bank", first_id))
    assert session.state.slots["bank_token"], said(turn)
    return first_id


@pytest.mark.parametrize(
    ("language", "ask", "card_question"),
    [("en", "What's my balance?", "last four digits"), ("zh", "我想查一下余额", "后四位")],
)
async def test_a_lapse_forgets_the_account_and_says_so_in_the_visitors_language(
    engine: DialogEngine, sandbox: SandboxCluster, language: str, ask: str, card_question: str
) -> None:
    session = engine.new_session(f"t-lapse-{language}")
    first_id = await verified(session, sandbox, ask)
    assert session.holds_access
    turn = await session.lapse_access()
    assert [r.text for r in turn.replies] == [LAPSED[language]]
    assert turn.language == language
    assert not session.holds_access
    assert session.state.slots["bank_token"] is None and session.state.slots["card_last4"] is None
    assert session.state.stack == ()
    # the balance again: the card is asked for and a new code texted, not the balance told
    turn = await session.handle_text(ask)
    assert card_question in said(turn), said(turn)
    await session.handle_text(DEMO_LAST4)
    assert session.state.slots["verification_id"] not in (None, first_id)
    # nothing held: a second lapse says nothing
    again = engine.new_session(f"t-lapse-none-{language}")
    assert not again.holds_access and (await again.lapse_access()).replies == []


async def test_a_lock_is_not_reset_by_walking_away(
    engine: DialogEngine, sandbox: SandboxCluster
) -> None:
    session = engine.new_session("t-lapse-lock")
    await session.handle_text("What's my balance?")
    await session.handle_text(DEMO_LAST4)
    for _ in range(3):
        await session.handle_text("000000")
    assert session.state.slots["bank_locked"] is True
    await session.lapse_access()  # the card's digits were held: forgotten
    assert session.state.slots["bank_locked"] is True
    assert session.state.slots["otp_failures"] == 3
