"""The session routes of ``dhe serve``: offers in, sessions out, their socket and their end.

* ``POST /api/sessions`` — checked in order, cheapest first, each refusal a 4xx/503 JSON error
  before any session exists: the page's ``Origin`` and kiosk token
  (:mod:`engine.server.security`), readiness, the client address's offer rate and pool
  (:mod:`engine.server.limits`), the body and the SDP (:mod:`engine.server.protocol`,
  :mod:`engine.server.sdp_check`), a free slot (503), the address's pool and share of
  sessions (live and connecting), checked again and its place taken in one step before the
  offer's awaits (dialog engine, renderer, answer), so offers overlapping them cannot all pass.
  Then a :class:`~engine.server.session.Session` answers the offer and waits in the gate's connecting pool (:mod:`engine.server.admission`)
  until its media connects and it takes a slot.
* ``DELETE /api/sessions/{id}`` — 204; ``GET /api/sessions/{id}/events`` — the session's
  WebSocket (:mod:`engine.server.socket`), its messages rate-limited per client address.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from engine.server import protocol
from engine.server.admission import Gate
from engine.server.heap import trim_heap
from engine.server.limits import IPNetwork, MessageLimiter, client_address
from engine.server.registry import RegistryFull, RegistryUnavailable
from engine.server.runtime import Runtime
from engine.server.sdp_check import check_offer_sdp
from engine.server.security import check_kiosk_token, check_origin
from engine.server.session import Session
from engine.server.socket import serve_events

log = logging.getLogger(__name__)

#: ``Retry-After`` (s) of a ``start-up-failed`` refusal: nothing changes until someone fixes
#: the setting and restarts the server, so pages ask again once a minute (the page's
#: ``config_retry_ms``), not every 5 s as while models load.
STARTUP_FAILED_RETRY_S = 60


@dataclass(frozen=True, slots=True)
class Access:
    """Who may use the session routes.

    Attributes:
        proxies: ``server.trusted_proxies`` (whose ``X-Forwarded-For`` is believed).
        kiosk_token: the token offers must carry, or None.
        origins: ``server.allowed_origins`` besides the server's own.
    """

    proxies: tuple[IPNetwork, ...]
    kiosk_token: str | None
    origins: tuple[str, ...]

    def client(self, request: web.Request) -> str:
        """The visitor's address (``X-Forwarded-For`` only from a trusted proxy)."""
        forwarded = request.headers.getall("X-Forwarded-For", [])
        return client_address(request.remote, forwarded, self.proxies)


class SessionRoutes:
    """The three session routes over one runtime and gate (module docstring).

    Args:
        runtime: what sessions share.
        gate: admission and the connecting pool.
        access: origins, kiosk token, trusted proxies.
    """

    def __init__(self, runtime: Runtime, gate: Gate[Session], access: Access) -> None:
        self.runtime = runtime
        self.gate = gate
        self.access = access

    def routes(self) -> list[web.RouteDef]:
        """The route table entries."""
        return [
            web.post("/api/sessions", self.create),
            web.delete("/api/sessions/{session_id}", self.delete),
            web.get("/api/sessions/{session_id}/events", self.events),
        ]

    async def create(self, request: web.Request) -> web.Response:
        """``POST /api/sessions`` (module docstring): 201 ``{"session_id", "sdp", "type"}``.

        Raises:
            protocol.ApiError: 403 ``bad-origin``, 401 ``bad-kiosk-token``, 503
                ``start-up-failed`` (the models never loaded; the reason, which may name
                server paths, stays in the log and ``/healthz``), ``not-ready`` or
                ``too-many-sessions`` (with ``Retry-After``), 429 per-address limits, 413
                ``body-too-large`` or ``sdp-too-large``, 400 for a bad body or SDP
                (:func:`protocol.parse_offer`, :func:`~engine.server.sdp_check.check_offer_sdp`),
                400 ``bad-sdp`` when aiortc refuses the offer.
        """
        runtime, cfg = self.runtime, self.runtime.config
        check_origin(request, self.access.origins)
        check_kiosk_token(request, self.access.kiosk_token)
        if runtime.startup_error is not None:  # nothing is loading: staff must act
            runtime.metrics.sessions_rejected.labels(reason="start-up-failed").inc()
            raise protocol.ApiError(
                503,
                "start-up-failed",
                "the server could not start (its log and /healthz say why); it needs fixing "
                "and a restart",
                retry_after_s=STARTUP_FAILED_RETRY_S,
            )
        if not runtime.ready:
            runtime.metrics.sessions_rejected.labels(reason="not-ready").inc()
            raise protocol.ApiError(
                503, "not-ready", "models are still loading; retry in a moment", retry_after_s=5
            )
        address = self.access.client(request)
        self._limited(self.gate.check_offer, address)
        limit = cfg.server.max_sdp_bytes + 4096
        if request.content_length is not None and request.content_length > limit:
            raise protocol.ApiError(
                413, "body-too-large", f"request body over {limit} bytes (Content-Length)"
            )
        body = await request.content.read(limit + 1)
        offer = protocol.parse_offer(body, max_sdp_bytes=cfg.server.max_sdp_bytes)
        check_offer_sdp(offer.sdp)  # refused here, before a session or peer exists
        await self._check_capacity()
        # the address's pool and share checked again and its place taken at once, before the
        # awaits below (newcomer #10: offers overlapping them all passed)
        self._limited(self.gate.reserve, address)
        session_id = self.gate.registry.new_session_id()
        answer = await self._answer(offer, session_id, address)
        runtime.metrics.sessions_total.inc()
        counts = await self._count()
        log.info("session %s offered (%d live, %d connecting)", session_id, *counts)
        return web.json_response(
            {"session_id": session_id, "sdp": answer, "type": "answer"}, status=201
        )

    def _limited(self, check: Callable[[str], None], address: str) -> None:
        """Run a per-address check; a refusal (429) is counted by its code."""
        try:
            check(address)
        except protocol.ApiError as exc:
            self.runtime.metrics.sessions_rejected.labels(reason=exc.code).inc()
            raise

    async def _answer(self, offer: protocol.OfferRequest, session_id: str, address: str) -> str:
        """Build the session, hold it in the connecting pool (the place :meth:`Gate.reserve`
        took for ``address``) and answer its offer; a failure closes it (its renderer goes back,
        it leaves the pool), or gives the reservation back when no session was made."""
        runtime, cfg = self.runtime, self.runtime.config
        session: Session | None = None
        renderer = None
        held = False
        try:
            engine = await runtime.dialog_engine(offer.domain or cfg.dialog.domain)
            language = offer.language or cfg.dialog.language
            renderer = await runtime.take_renderer(offer.video)
            session = Session(
                runtime,
                session_id,
                # "auto" answers in the page's language until the visitor's words show one
                engine.new_session(session_id, language=language, start_language=offer.ui_language),
                renderer,
                language,
                label_language=offer.ui_language,
                shown_height=offer.shown_height,
                on_closed=self._forget,
                on_connected=self._went_live,
            )
            self.gate.hold(session, address, reserved=True)
            held = True
            return await session.answer(offer.sdp)
        except BaseException:
            if not held:
                self.gate.unreserve(address)
            if session is not None:
                await session.close("offer-failed")
            elif renderer is not None:
                runtime.give_back_renderer(renderer)
            raise

    async def _check_capacity(self) -> None:
        """Would a session get a slot now? Else 503 ``too-many-sessions``."""
        try:
            await self.gate.check_capacity()
        except RegistryFull as exc:
            self.runtime.metrics.sessions_rejected.labels(reason="full").inc()
            raise protocol.ApiError(
                503,
                "too-many-sessions",
                f"this terminal server is serving its maximum of {exc.capacity} visitors; "
                "try again shortly",
                retry_after_s=10,
            ) from exc

    async def _went_live(self, session: Session) -> None:
        """A session's media connected: it takes a slot, or ends when none is left."""
        if not await self.gate.connected(session):
            if not session.ended.is_set():
                self.runtime.metrics.sessions_rejected.labels(reason="full").inc()
                session.refuse("too-many-sessions", "every session slot was taken meanwhile")
                await session.close("too-many-sessions")
            return
        try:
            live = str((await self._count())[0])
        except RegistryUnavailable:  # a Redis blip ends no live session; /healthz says so
            live = "unknown"
        log.info("session %s connected (%s live)", session.id, live)

    async def _forget(self, session: Session) -> None:
        await self.gate.closed(session)
        with contextlib.suppress(RegistryUnavailable):  # /healthz says so; gauges set later
            await self._count()
        # not awaited: the heap is trimmed beside the next requests, not before this one's answer
        asyncio.get_running_loop().run_in_executor(None, trim_heap)

    async def _count(self) -> tuple[int, int]:
        """Live and connecting sessions, also set on the gauges."""
        counts = await self.gate.counts()
        self.runtime.metrics.sessions_active.set(counts.live)
        self.runtime.metrics.sessions_connecting.set(counts.connecting)
        return counts.live, counts.connecting

    async def _session(self, request: web.Request) -> Session:
        check_origin(request, self.access.origins)
        session = await self.gate.get(request.match_info["session_id"])
        if session is None:
            raise protocol.ApiError(404, "no-such-session", "no live session with that id")
        return session

    async def delete(self, request: web.Request) -> web.Response:
        """``DELETE /api/sessions/{id}``: end the session (204)."""
        await (await self._session(request)).close("deleted")
        return web.Response(status=204)

    async def events(self, request: web.Request) -> web.StreamResponse:
        """``GET /api/sessions/{id}/events``: the session's JSON WebSocket."""
        session = await self._session(request)
        limiter = MessageLimiter(self.gate.limits, self.access.client(request))
        return await serve_events(
            request, session, self.runtime.config.server, limiter, self.runtime.metrics
        )
