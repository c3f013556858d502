"""A call's deadline that a stall of the engine's own event loop does not turn into a timeout.

On a busy machine (rendering and speech on few cores) the event loop can stall for a second or
more. A deadline timer that fires after such a stall fires together with the I/O that arrived
during it, and ``asyncio.timeout`` cancels the call before the answer already in the socket is
read: newcomer9 saw the bank answer verify_otp in 784 ms and the engine give up 5 s later, the
one-time code used up. :func:`within` measures how late its deadline fired and, when the loop
itself was stalled, gives the call a short grace of running loop once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import TypeVar

import structlog

log = structlog.get_logger("connectors.deadline")

T = TypeVar("T")

#: A deadline that fired this late (s) fired after the event loop stalled, not after the
#: system kept us waiting.
STALL_S = 0.25
#: Running-loop seconds a call gets after such a deadline (once): enough to read an answer
#: that is already in the socket, far less than a real timeout.
STALL_GRACE_S = 1.0


async def within(budget_s: float, call: Awaitable[T]) -> T:
    """``call``'s result within ``budget_s`` of event-loop time, with :data:`STALL_GRACE_S`
    more when the deadline fired :data:`STALL_S` late (the loop itself was stalled: an answer
    that came in meanwhile is still read, not thrown away as a timeout).

    Raises:
        TimeoutError: no result in time (``call`` is cancelled).
        whatever ``call`` raises; cancelling the caller cancels ``call``.
    """
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(call)
    deadline, graced = loop.time() + budget_s, False
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=max(0.0, deadline - loop.time()))
            if done:
                return task.result()
            late = loop.time() - deadline
            if graced or late < STALL_S:
                raise TimeoutError
            log.info("connector_deadline_after_stall", late_ms=round(late * 1000))
            deadline, graced = loop.time() + STALL_GRACE_S, True
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
