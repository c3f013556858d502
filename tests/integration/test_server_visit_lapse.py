"""An anonymous visit's results do not wait for the next person (fixes18): the lapse after
``server.verified_idle_s`` came only when account details were held, so a queue ticket taken
without verification (or a tax appointment, a complaint number) stayed in the session until
``server.idle_timeout_s``; the next person at the kiosk could cancel that appointment with a
yes. Now the lapse closes the visit too, and says so.

One real ``dhe serve`` (the embedded sandbox bank), a real aiortc visitor typing on the events
socket, the real dialog; the lapse shortened to 3 s, the idle timeout to 20 s with no "are you
still there?" question (``idle_warning_s`` 0)."""

from __future__ import annotations

import asyncio

import pytest

from dialog.lapse import VISIT_LAPSED
from tests.support.server_setups import lapse_server, reply_with
from tests.support.visitor import VisitorClient

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

LAPSE_S = 3.0
TIMEOUT_S = 20.0


@pytest.fixture(scope="module")
def server():
    env = {"DHE_SERVER__IDLE_TIMEOUT_S": str(TIMEOUT_S), "DHE_SERVER__IDLE_WARNING_S": "0"}
    with lapse_server(LAPSE_S, env) as proc:
        yield proc


async def take_ticket(visitor: VisitorClient) -> dict:
    """A queue ticket for the cash counter, no verification asked: the ticket's reply."""
    await visitor.wait_event(lambda m: m.get("state") == "idle", timeout=60)
    await visitor.send_event({"type": "text", "text": "I need a queue number"})
    await visitor.wait_event(reply_with("Which counter service"), timeout=60)
    await visitor.send_event({"type": "text", "text": "cash"})
    await visitor.wait_event(reply_with("Shall I take a queue number"), timeout=60)
    await visitor.send_event({"type": "text", "text": "yes"})
    return await visitor.wait_event(reply_with("Your number is"), timeout=60)


async def test_an_anonymous_ticket_lapses_after_the_short_idle(server) -> None:
    visitor = VisitorClient(server.base_url, decode_video=False)
    loop = asyncio.get_running_loop()
    await visitor.connect()
    try:
        ticket = await take_ticket(visitor)
        told_at = loop.time()
        # the visitor walks away: the visit is closed once the ticket was said and 3 s pass
        lapse = await visitor.wait_event(
            reply_with(VISIT_LAPSED["en"][:40]), timeout=60, after=told_at
        )
        assert lapse["text"] == VISIT_LAPSED["en"] and lapse["language"] == "en"
        assert lapse["turn_id"] != ticket["turn_id"]  # a new turn: the page clears the card
        assert loop.time() - told_at >= LAPSE_S - 0.5
        assert server.problems == []
    finally:
        await visitor.close()


async def test_a_silent_session_ends_the_timeout_after_its_last_reply(server) -> None:
    """fixes18: the lapse's own reply counted the silence anew, so a silent session ended the
    lapse (3 s) and its reply (~8 s said) later than ``idle_timeout_s`` after it fell silent."""
    visitor = VisitorClient(server.base_url, decode_video=False)
    loop = asyncio.get_running_loop()
    await visitor.connect()
    try:
        await take_ticket(visitor)
        told_at = loop.time()
        await visitor.wait_event(lambda m: m.get("state") == "idle", timeout=60, after=told_at)
        silent_from = next(
            t for t, m in visitor.received.events if t >= told_at and m.get("state") == "idle"
        )
        await visitor.wait_event(reply_with(VISIT_LAPSED["en"][:40]), timeout=60, after=told_at)
        await visitor.wait_event(
            lambda m: m.get("code") == "idle-timeout", timeout=TIMEOUT_S + 30, after=told_at
        )
        ended_at = next(t for t, m in visitor.received.events if m.get("code") == "idle-timeout")
        assert ended_at - silent_from == pytest.approx(TIMEOUT_S, abs=2.5)
        assert server.problems == []
    finally:
        await visitor.close()
