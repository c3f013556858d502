"""A verified visitor who walks away does not leave the account open to the next person
(newcomer #15): before, a session kept the bank's verification for the whole idle timeout
(``server.idle_timeout_s``, 300 s), "are you still there?" changing nothing. Now after
``server.verified_idle_s`` without the visitor the account details are forgotten, the avatar
says so, and the balance asked again needs the card and a fresh one-time code.

One real ``dhe serve`` (the embedded sandbox bank with its documented demo code), a real aiortc
visitor typing on the events socket, the real dialog; the lapse shortened to 4 s."""

from __future__ import annotations

import asyncio

import pytest

from dialog.lapse import LAPSED
from tests.support.server_setups import lapse_server, reply_with
from tests.support.visitor import VisitorClient

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

LAPSE_S = 4.0


@pytest.fixture(scope="module")
def server():
    env = {
        "DHE_SERVER__IDLE_TIMEOUT_S": "120",
        "DHE_SANDBOX__DEMO_OTP": "true",  # the demo customer's code is 123456
    }
    with lapse_server(LAPSE_S, env) as proc:
        yield proc


async def test_a_verified_session_forgets_the_account_after_the_short_idle(server) -> None:
    visitor = VisitorClient(server.base_url, decode_video=False)
    loop = asyncio.get_running_loop()
    await visitor.connect()
    try:
        await visitor.wait_event(lambda m: m.get("state") == "idle", timeout=60)
        await visitor.send_event({"type": "text", "text": "What is my balance?"})
        await visitor.wait_event(reply_with("last four digits"), timeout=60)
        await visitor.send_event({"type": "keypad", "digits": "4417"})
        await visitor.wait_event(reply_with("six-digit code"), timeout=60)
        await visitor.send_event({"type": "keypad", "digits": "123456"})
        balance = await visitor.wait_event(reply_with("In total"), timeout=60)
        told_at = loop.time()
        assert balance["card"]["kind"] == "balance"
        # the visitor walks away: the lapse comes once the balance has been said and 4 s pass
        lapse = await visitor.wait_event(reply_with(LAPSED["en"][:40]), timeout=60, after=told_at)
        assert lapse["text"] == LAPSED["en"] and lapse["language"] == "en"
        assert lapse["turn_id"] != balance["turn_id"]  # a new turn: the page clears the card
        lapsed_at = loop.time()
        assert lapsed_at - told_at >= LAPSE_S - 0.5
        # the next person asks for the balance: the card is asked for, no balance is told
        await visitor.send_event({"type": "text", "text": "What is my balance?"})
        again = await visitor.wait_event(
            reply_with("last four digits"), timeout=60, after=lapsed_at
        )
        assert "In total" not in again["text"]
        told = [
            m for t, m in visitor.received.events if t >= lapsed_at and reply_with("In total")(m)
        ]
        assert told == []
    finally:
        await visitor.close()
