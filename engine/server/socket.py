"""``GET /api/sessions/{id}/events``: the session's JSON WebSocket, both ways.

Out: the session's :class:`~engine.server.feed.ClientFeed` — its bus's events, serialised —
sent in order until the ``ended`` state, after which the socket closes. In: client messages,
validated (:func:`engine.server.protocol.parse_client_message`) and handed to the session; a
refused one becomes an ``error`` event on the session's bus, and the socket lives on. Messages
over the client address's rate (``server.limits``) are dropped unread; at most one in 5 s is
answered with a ``rate-limited`` error event.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time

from aiohttp import WSMsgType, web

from engine.config import ServerConfig
from engine.server import protocol
from engine.server.limits import MessageLimiter
from engine.server.metrics import ServerMetrics
from engine.server.session import Session

log = logging.getLogger(__name__)


async def serve_events(
    request: web.Request,
    session: Session,
    cfg: ServerConfig,
    limiter: MessageLimiter,
    metrics: ServerMetrics,
) -> web.StreamResponse:
    """Run the events socket of ``session`` until either side closes it.

    Args:
        request: the handshake.
        session: whose events.
        cfg: the message size limits.
        limiter: the client address's message rate; a message over it is dropped (at most
            one in 5 s answered with a ``rate-limited`` error event).
        metrics: counts the dropped messages.

    Raises:
        protocol.ApiError: 409 ``socket-in-use`` when the session already has one.
    """
    if session.feed.attached:
        raise protocol.ApiError(409, "socket-in-use", "this session already has an events socket")
    # Messages over the limit get an error event; far over it (4×) aiohttp closes with 1009.
    ws = web.WebSocketResponse(heartbeat=20.0, max_msg_size=4 * cfg.max_ws_message_bytes)
    await ws.prepare(request)
    session.feed.attached = True
    session.socket_attached()
    pumping = asyncio.create_task(_pump(ws, session))
    try:
        async for msg in ws:
            if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                if msg.type == WSMsgType.ERROR:
                    # aiohttp closes the socket itself for frames over max_msg_size (1009)
                    log.info("session %s events socket: %s", session.id, ws.exception())
                continue
            verdict = limiter.verdict(time.monotonic())
            if verdict != "handle":
                metrics.messages_dropped.inc()
                if verdict == "refuse":
                    session.refuse("rate-limited", "too many messages; some were dropped")
            elif msg.type == WSMsgType.TEXT:
                await _receive(session, msg.data, cfg)
            else:
                session.refuse("bad-message", "binary frames are not used")
    finally:
        pumping.cancel()
        session.feed.attached = False
        session.socket_detached()
    return ws


async def _pump(ws: web.WebSocketResponse, session: Session) -> None:
    while True:
        message = await session.feed.next()
        await ws.send_str(json.dumps(message, ensure_ascii=False))
        if message.get("type") == "state" and message.get("state") == "ended":
            await ws.close()
            return


async def _receive(session: Session, data: str, cfg: ServerConfig) -> None:
    try:
        parsed = protocol.parse_client_message(
            data, max_bytes=cfg.max_ws_message_bytes, max_text_chars=cfg.max_text_chars
        )
    except protocol.MessageError as exc:
        session.refuse(exc.code, exc.message)
        return
    await session.handle_message(parsed)
