"""A page that dies without a word (a crashed or killed browser, a kiosk switched off) frees its
session slot within seconds: its events socket closes, no DELETE comes, and the peer connection
would fail only when ICE consent expires (~30 s; newcomer9 saw 30.2 s, and a kiosk whose browser
restarted twice got 429 too-many-sessions-from-address meanwhile). On the English-only server
shared with the perception tests (``tests/integration/conftest.py``)."""

from __future__ import annotations

import asyncio
import time

import pytest

from engine.server.session import SOCKET_GONE_S
from tests.support.visitor import VisitorClient

pytestmark = [pytest.mark.slow]


@pytest.fixture(scope="module")
def shared(english_server):
    english_server.idle()
    return english_server


async def test_a_session_whose_events_socket_closed_ends_within_seconds(shared) -> None:
    client = VisitorClient(shared.url)
    await client.connect()
    try:
        await client.wait_event(lambda m: m.get("state") == "idle", timeout=60)
        assert shared.live_sessions() == 1
        t0 = time.monotonic()
        await client._ws.close()  # the socket only: no DELETE, no DTLS close (a dead browser)
        while shared.live_sessions() and time.monotonic() - t0 < SOCKET_GONE_S + 10:
            await asyncio.sleep(0.2)
        gone_s = time.monotonic() - t0
        assert shared.live_sessions() == 0
        assert SOCKET_GONE_S - 0.5 <= gone_s < SOCKET_GONE_S + 10, gone_s
    finally:
        await client.close(delete=False)
