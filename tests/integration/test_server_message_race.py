"""A handoff message racing the session's close is dropped, not a failure (fixes18): the
handoff button's words read the dialog's language when the session's language is ``auto``,
and on a dialog closed meanwhile that raised ``SessionClosedError`` in the events socket's
handler (a traceback in the server's log, the socket torn down mid-message). Now a message
that arrives once the session closes is dropped, as the timers' callbacks already were.

One real ``dhe serve`` and a real aiortc visitor (offer language ``auto``). The fault injected
on purpose: the server's ``Session.handle_message`` waits :data:`DELAY_S` before it handles a
handoff message (a busy event loop), through a ``sitecustomize`` module given to the server
process only, so the visitor's DELETE closes the session while the message is in hand, every
time."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.server_setups import delay_hook, hooked_server
from tests.support.visitor import VisitorClient

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

#: Seconds the injected fault holds a handoff message back: longer than a session's close.
DELAY_S = 3.0

SITECUSTOMIZE = delay_hook(
    "DHE_TEST_HANDOFF_DELAY_S",
    """
from engine.server import protocol as _protocol
from engine.server import session as _session

_handle = _session.Session.handle_message

async def _slow_handle(self, message):
    if isinstance(message, _protocol.HandoffMessage):
        await asyncio.sleep(_delay)
    return await _handle(self, message)

_session.Session.handle_message = _slow_handle
""",
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    env = {"DHE_TEST_HANDOFF_DELAY_S": str(DELAY_S)}
    with hooked_server(tmp_path_factory, "slow-handoff", SITECUSTOMIZE, env) as proc:
        yield proc


async def test_a_handoff_racing_the_close_is_dropped(server) -> None:
    visitor = VisitorClient(server.base_url, decode_video=False)
    await visitor.connect(language="auto")
    try:
        await visitor.wait_event(lambda m: m.get("state") == "idle", timeout=60)
        await visitor.send_event({"type": "handoff"})
        await asyncio.sleep(0.3)  # the message is in the server's hands, held back
    finally:
        await visitor.close()  # DELETE: the session closes while the message waits
    await asyncio.sleep(DELAY_S + 3.0)  # the held message is handled (or fails) meanwhile
    assert any("ended (" in line for line in server.log), server.log[-20:]
    assert server.problems == [], "\n".join(server.problems)
