"""The events socket's subscription to a session's bus: events in, JSON messages queued out.

A :class:`ClientFeed` is one observer on the session's :class:`~engine.observers.EventBus`
(Home Assistant's ``websocket_api`` subscribing to a pipeline run). Each event the visitor's page
receives is serialised by :func:`engine.server.messages.serialise` and queued, in publish
order, until the socket sends it; events without a message type are not queued. Messages are
kept while no socket is attached (the page connects after the offer), the oldest dropped past
:data:`OUTBOX_LIMIT`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from engine.events import Event
from engine.server import messages

#: Most messages kept for an events socket that is not (yet) attached.
OUTBOX_LIMIT = 256


class ClientFeed:
    """Queued server → client messages of one session.

    Attributes:
        attached: an events socket is sending this feed (a second one is refused).
    """

    def __init__(self, limit: int = OUTBOX_LIMIT) -> None:
        self.limit = limit
        self.attached = False
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    def __call__(self, event: Event) -> None:
        """Bus observer: queue the event's message (oldest dropped when full)."""
        message = messages.serialise(event)
        if message is None:
            return
        if self._queue.qsize() >= self.limit:
            self._queue.get_nowait()
        self._queue.put_nowait(message)

    async def next(self) -> dict[str, Any]:
        """The next message to send (waits for one)."""
        return await self._queue.get()

    def pending(self) -> int:
        """Messages waiting."""
        return self._queue.qsize()
