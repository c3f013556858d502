"""The HTTP side of ``dhe serve`` (aiohttp): signaling, the events WebSocket, health, metrics.

Routes (``docs/architecture.md``, "Contracts"):

* ``GET /`` — the visitor page: ``web_client/index.html`` and its files when present, else a
  minimal placeholder (the AI label is in the HTML, the first ``<video>`` is the avatar).
* ``POST /api/sessions`` — offer in, answer out (201); 400/413 on bad input, 503 when full or
  not ready; ``DELETE /api/sessions/{id}`` — 204.
* ``GET /api/sessions/{id}/events`` — the session's JSON WebSocket.
* ``GET /healthz`` — 200 once the models are loaded, 503 before; ``GET /metrics`` — Prometheus.
* ``GET /demo/phone``, ``GET /demo/phone.json`` — the embedded sandboxes' text messages
  (:mod:`engine.server.demo_phone`).

The app finds and admits sessions through a :class:`~engine.server.registry.SessionRegistry`
(no module-level state; this process's by default); each session is built inside the offer
handler.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from aiohttp import web

from engine.config import EngineConfig
from engine.paths import REPO_ROOT
from engine.server import demo_phone, protocol
from engine.server.registry import Admission, InProcessRegistry, RegistryFull, SessionRegistry
from engine.server.rtc import include_loopback_candidates, is_loopback
from engine.server.runtime import Runtime
from engine.server.sdp_check import check_offer_sdp
from engine.server.session import Session
from engine.server.socket import serve_events

log = logging.getLogger(__name__)

WEB_CLIENT_DIR = REPO_ROOT / "web_client"
RUNTIME_KEY = web.AppKey("runtime", Runtime)
REGISTRY_KEY = web.AppKey("registry", SessionRegistry)

PLACEHOLDER_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Digital employee (AI)</title></head>
<body>
<video id="avatar" autoplay playsinline></video>
<p class="ai-label">AI-generated avatar — you are talking to an AI assistant.</p>
<p>The kiosk page is not installed; this server speaks WebRTC at POST /api/sessions.</p>
</body></html>
"""


def _json_error(exc: protocol.ApiError) -> web.Response:
    return web.json_response(exc.body(), status=exc.status, headers=exc.headers())


@web.middleware
async def errors_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """ApiError → its JSON body; unknown /api routes → JSON 404; anything unexpected → a JSON 500
    ``internal`` with the traceback in the log."""
    try:
        return await handler(request)
    except protocol.ApiError as exc:
        return _json_error(exc)
    except web.HTTPNotFound:
        if request.path.startswith("/api/"):
            return _json_error(protocol.ApiError(404, "not-found", f"no route {request.path}"))
        raise
    except web.HTTPMethodNotAllowed:
        if request.path.startswith("/api/"):
            return _json_error(
                protocol.ApiError(405, "method-not-allowed", f"{request.method} {request.path}")
            )
        raise
    except (web.HTTPException, asyncio.CancelledError):
        raise
    except Exception:  # the HTTP boundary: log the traceback, answer JSON, keep serving
        log.exception("%s %s failed", request.method, request.path[:100])
        return _json_error(protocol.ApiError(500, "internal", "internal error; see the log"))


async def create_session(request: web.Request) -> web.Response:
    """``POST /api/sessions``: validate, admit, build a Session, answer its offer."""
    runtime, registry = request.app[RUNTIME_KEY], request.app[REGISTRY_KEY]
    cfg = runtime.config
    if not runtime.ready:
        runtime.metrics.sessions_rejected.labels(reason="not-ready").inc()
        raise protocol.ApiError(503, "not-ready", "models are still loading; retry in a moment")
    if (
        request.content_length is not None
        and request.content_length > cfg.server.max_sdp_bytes + 4096
    ):
        raise protocol.ApiError(413, "sdp-too-large", "request body too large")
    body = await request.content.read(cfg.server.max_sdp_bytes + 4097)
    offer = protocol.parse_offer(body, max_sdp_bytes=cfg.server.max_sdp_bytes)
    check_offer_sdp(offer.sdp)  # refused here, before a session or peer exists
    admission = await _admit(registry, runtime)
    session: Session | None = None
    renderer = None
    try:
        engine = await runtime.dialog_engine(offer.domain or cfg.dialog.domain)
        session_id = registry.new_session_id()
        language = offer.language or cfg.dialog.language
        renderer = await runtime.take_renderer(offer.video)
        session = Session(
            runtime,
            session_id,
            engine.new_session(session_id, language=language),
            renderer,
            language,
            on_closed=lambda s: _forget(registry, runtime, s),
        )
        answer = await session.answer(offer.sdp)
        await registry.create(admission, session_id, session)
    except BaseException:
        await registry.release(admission)
        if session is not None:
            await session.close("offer-failed")  # gives its renderer back
        elif renderer is not None:
            runtime.give_back_renderer(renderer)
        raise
    runtime.metrics.sessions_total.inc()
    live = (await registry.counts()).live
    runtime.metrics.sessions_active.set(live)
    log.info("session %s started (%d live)", session_id, live)
    return web.json_response(
        {"session_id": session_id, "sdp": answer, "type": "answer"}, status=201
    )


async def _admit(registry: SessionRegistry[Session], runtime: Runtime) -> Admission:
    """A slot for a new offer, or 503 ``too-many-sessions``."""
    try:
        return await registry.admit()
    except RegistryFull as exc:
        runtime.metrics.sessions_rejected.labels(reason="full").inc()
        raise protocol.ApiError(
            503,
            "too-many-sessions",
            f"this terminal server is serving its maximum of {exc.capacity} visitors; "
            "try again shortly",
            retry_after_s=10,
        ) from exc


async def _forget(registry: SessionRegistry[Session], runtime: Runtime, session: Session) -> None:
    await registry.remove(session.id)
    runtime.metrics.sessions_active.set((await registry.counts()).live)


async def _session(request: web.Request) -> Session:
    session = await request.app[REGISTRY_KEY].get(request.match_info["session_id"])
    if session is None:
        raise protocol.ApiError(404, "no-such-session", "no live session with that id")
    return session


async def delete_session(request: web.Request) -> web.Response:
    """``DELETE /api/sessions/{id}``: end the session (204)."""
    await (await _session(request)).close("deleted")
    return web.Response(status=204)


async def session_events(request: web.Request) -> web.StreamResponse:
    """``GET /api/sessions/{id}/events``: the session's JSON WebSocket (:mod:`.socket`)."""
    session = await _session(request)
    return await serve_events(request, session, request.app[RUNTIME_KEY].config.server)


async def healthz(request: web.Request) -> web.Response:
    """200 once models are loaded, 503 before (with ``error`` when start-up failed)."""
    runtime = request.app[RUNTIME_KEY]
    counts = await request.app[REGISTRY_KEY].counts()
    body: dict[str, object] = {"ready": runtime.ready, "sessions": counts.live}
    if runtime.startup_error:
        body["error"] = runtime.startup_error
    return web.json_response(body, status=200 if runtime.ready else 503)


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text exposition."""
    body = request.app[RUNTIME_KEY].metrics.render()
    return web.Response(body=body, headers={"Content-Type": "text/plain; version=0.0.4"})


async def index(request: web.Request) -> web.StreamResponse:
    """The visitor page (web_client/index.html when present, else the placeholder)."""
    page = WEB_CLIENT_DIR / "index.html"
    if page.is_file():
        return web.FileResponse(page)
    return web.Response(text=PLACEHOLDER_PAGE, content_type="text/html")


async def web_client_file(request: web.Request) -> web.StreamResponse:
    """Files of the visitor page (``web_client/``), by relative path; no listing, no ``..``."""
    root = WEB_CLIENT_DIR.resolve()
    path = (root / request.match_info["name"]).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(path)


def build_app(
    config: EngineConfig,
    *,
    host: str = "127.0.0.1",
    var: Path | None = None,
    registry: SessionRegistry[Session] | None = None,
) -> web.Application:
    """The aiohttp application; models and sandboxes start in the background on startup
    (``/healthz`` says when they are ready).

    Args:
        config: the engine config.
        host: the address the server listens on (loopback adds a 127.0.0.1 ICE candidate).
        var: sandboxes' data folder (default ``var/``).
        registry: where sessions are admitted and found (default: this process's,
            :class:`~engine.server.registry.InProcessRegistry` of ``server.max_sessions``).
    """
    app = web.Application(
        middlewares=[errors_middleware], client_max_size=config.server.max_sdp_bytes + 4096
    )
    runtime = Runtime(config, var)
    app[RUNTIME_KEY] = runtime
    app[REGISTRY_KEY] = (
        registry if registry is not None else InProcessRegistry(config.server.max_sessions)
    )
    if is_loopback(host):
        include_loopback_candidates()
    app.router.add_get("/", index)
    app.router.add_post("/api/sessions", create_session)
    app.router.add_delete("/api/sessions/{session_id}", delete_session)
    app.router.add_get("/api/sessions/{session_id}/events", session_events)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    app.router.add_routes(demo_phone.routes(runtime, WEB_CLIENT_DIR))
    app.router.add_get("/{name:[^/].*}", web_client_file)  # after the API routes

    async def lifecycle(app: web.Application):
        loop = asyncio.get_running_loop()
        # aiortc encodes on the default executor; TTS and renderer set-up use it too.
        loop.set_default_executor(ThreadPoolExecutor(max_workers=16, thread_name_prefix="dhe"))
        startup = asyncio.create_task(_start(runtime))
        yield
        startup.cancel()
        for session in app[REGISTRY_KEY].local():
            await session.close("server-stopping")
        await runtime.close()

    app.cleanup_ctx.append(lifecycle)
    return app


async def _start(runtime: Runtime) -> None:
    try:
        report = await runtime.start()
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # start-up failure: stay unready (healthz 503) and say why
        runtime.startup_error = f"start-up failed: {exc}"
        log.exception("server start-up failed; /healthz stays 503")
        return
    down = "; ".join(f"{system} ({why})" for system, why in runtime.unavailable.items())
    log.warning(
        "ready in %.1f s (ASR languages: %s; business systems unavailable: %s)",
        report.seconds,
        ", ".join(report.languages),
        down or "none",
    )
