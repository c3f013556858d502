"""The HTTP side of ``dhe serve`` (aiohttp): signaling, the events WebSocket, health, metrics.

Routes (``docs/architecture.md``, "Contracts"):

* ``GET /`` — the visitor page: ``web_client/index.html`` and its files when present, else a
  minimal placeholder (the AI label is in the HTML, the first ``<video>`` is the avatar).
* ``POST /api/sessions`` — offer in, answer out (201); 400/401/403/413/429 on bad or unwelcome
  input, 503 when full or not ready; ``DELETE /api/sessions/{id}`` — 204;
  ``GET /api/sessions/{id}/events`` — the session's JSON WebSocket (:mod:`engine.server.offers`).
* ``GET /healthz`` — readiness (:mod:`engine.server.health`); ``GET /livez`` — liveness;
  ``GET /metrics`` — Prometheus.
* ``GET /demo/phone``, ``GET /demo/phone.json`` — the embedded sandboxes' text messages
  (:mod:`engine.server.demo_phone`).

The app finds and admits sessions through a :class:`~engine.server.registry.SessionRegistry`
(no module-level state; this process's by default), behind the :class:`~engine.server.admission.Gate`
that keeps offers whose media has not connected out of it; each session is built inside the
offer handler. Every response carries the page's security headers (:mod:`engine.server.security`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from engine.config import EngineConfig
from engine.paths import REPO_ROOT
from engine.server import demo_phone, protocol
from engine.server.admission import Gate
from engine.server.health import (
    DependencyMonitor,
    models_check,
    readiness,
    registry_check,
    sessions_check,
)
from engine.server.limits import AddressLimits, parse_networks
from engine.server.offers import Access, SessionRoutes
from engine.server.registry import InProcessRegistry, RegistryUnavailable, SessionRegistry
from engine.server.rtc import report_connect_failures, restrict_host_candidates
from engine.server.runtime import Runtime
from engine.server.security import kiosk_token, security_headers
from engine.server.session import Session
from engine.server.video_codec import use_avatar_encoders
from engine.systems import apply_retention

log = logging.getLogger(__name__)

WEB_CLIENT_DIR = REPO_ROOT / "web_client"
RUNTIME_KEY = web.AppKey("runtime", Runtime)
REGISTRY_KEY = web.AppKey("registry", SessionRegistry)
GATE_KEY = web.AppKey("gate", Gate)
#: How often the audit retention runs in a long-lived server, seconds (daily).
RETENTION_PERIOD_S = 86_400.0

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


async def _allowed_methods(request: web.Request) -> set[str]:
    """The methods the API routes (``/api/…``) answer on ``request.path`` (empty: no such
    path)."""
    allowed: set[str] = set()
    for resource in request.app.router.resources():
        if resource.canonical.startswith("/api/"):
            allowed |= (await resource.resolve(request))[1]
    return allowed


def _method_not_allowed(request: web.Request, allowed: set[str]) -> web.Response:
    """A JSON 405 ``method-not-allowed`` with ``Allow`` (RFC 9110 §15.5.6)."""
    methods = ", ".join(sorted(allowed))
    exc = protocol.ApiError(
        405,
        "method-not-allowed",
        f"{request.method} is not allowed on {request.path[:100]}; allowed: {methods}",
    )
    response = _json_error(exc)
    response.headers["Allow"] = methods
    return response


@web.middleware
async def errors_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """ApiError → its JSON body; under ``/api/`` every refusal is JSON too: an unknown path a 404
    ``not-found``, a known path with another method a 405 ``method-not-allowed`` with ``Allow``,
    aiohttp's other 4xx its reason as the code (``bad-request``); anything unexpected → a JSON
    500 ``internal`` with the traceback in the log. Outside ``/api/`` a 405 is the same JSON
    ``method-not-allowed`` (``POST /demo/phone.json``); a 404 stays the page's plain one."""
    try:
        return await handler(request)
    except protocol.ApiError as exc:
        return _json_error(exc)
    except (web.HTTPNotFound, web.HTTPMethodNotAllowed) as exc:
        if not request.path.startswith("/api/"):
            if isinstance(exc, web.HTTPMethodNotAllowed):  # POST /demo/phone.json: JSON too
                return _method_not_allowed(request, set(exc.allowed_methods))
            raise
        # by the API routes alone: the page's catch-all GET route also matches /api/… paths
        allowed = await _allowed_methods(request)
        if allowed and request.method not in allowed:
            return _method_not_allowed(request, allowed)
        return _json_error(protocol.ApiError(404, "not-found", f"no route {request.path[:100]}"))
    except web.HTTPClientError as exc:  # aiohttp's own (a WebSocket request without Upgrade)
        if not request.path.startswith("/api/"):
            raise
        code = exc.reason.lower().replace(" ", "-")
        return _json_error(protocol.ApiError(exc.status, code, (exc.text or exc.reason)[:200]))
    except (web.HTTPException, asyncio.CancelledError):
        raise
    except Exception:  # the HTTP boundary: log the traceback, answer JSON, keep serving
        log.exception("%s %s failed", request.method, request.path[:100])
        return _json_error(protocol.ApiError(500, "internal", "internal error; see the log"))


async def healthz(request: web.Request) -> web.Response:
    """Readiness (:mod:`engine.server.health`): 200 ``ok`` or ``degraded``, 503 ``down`` with
    reasons; ``ready`` and ``sessions`` (live; null while a shared registry does not answer)
    kept beside them."""
    runtime, gate = request.app[RUNTIME_KEY], request.app[GATE_KEY]
    checks = [models_check(runtime.ready, runtime.startup_error)]
    shared = not isinstance(request.app[REGISTRY_KEY], InProcessRegistry)  # a cluster's
    try:
        counts = await gate.counts()
    except RegistryUnavailable as exc:  # no slot can be counted: nobody can be admitted
        checks.append(registry_check(str(exc)))
        live = None
    else:
        checks.append(
            sessions_check(counts.live, counts.pending, counts.connecting, counts.capacity)
        )
        checks += [registry_check(None)] if shared else []
        live = counts.live
    monitor = request.app[BACKGROUND_KEY].monitor
    if monitor is not None:
        checks += monitor.checks()
    status, body = readiness(checks)
    body.update(ready=runtime.ready, sessions=live)
    if runtime.startup_error:
        body["error"] = runtime.startup_error
    return web.json_response(body, status=status, headers={"Cache-Control": "no-store"})


async def livez(_request: web.Request) -> web.Response:
    """Liveness for process supervisors: 200 while the event loop answers."""
    return web.json_response({"status": "alive"}, headers={"Cache-Control": "no-store"})


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


#: What the visitor page is made of; any other file of ``web_client/`` (its README, a
#: developer's notes or editor files) is not served (newcomer18: ``/README.md`` was).
PAGE_SUFFIXES = frozenset(
    (".html", ".js", ".mjs", ".css", ".json", ".svg", ".png", ".ico", ".webp", ".woff2")
)


async def web_client_file(request: web.Request) -> web.StreamResponse:
    """Files of the visitor page (``web_client/``), by relative path; no listing, no ``..``,
    only the kinds of file a page is made of (:data:`PAGE_SUFFIXES`).

    Raises:
        web.HTTPNotFound: the path leaves ``web_client/``, names no file, or names a file of
            another kind.
    """
    root = WEB_CLIENT_DIR.resolve()
    path = (root / request.match_info["name"]).resolve()
    if (
        not path.is_relative_to(root)
        or not path.is_file()
        or path.suffix.lower() not in PAGE_SUFFIXES
    ):
        raise web.HTTPNotFound()
    return web.FileResponse(path)


@dataclass(slots=True)
class Background:
    """What runs beside the sessions once the runtime started: the dependency monitor and the
    daily audit retention."""

    monitor: DependencyMonitor | None = None
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        """Keep a background task until it ends."""
        task = asyncio.create_task(coro, name=name)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def stop(self) -> None:
        """Cancel the tasks, stop the monitor."""
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.monitor is not None:
            await self.monitor.stop()


BACKGROUND_KEY = web.AppKey("background", Background)


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
        host: the address the server listens on; ICE candidates are gathered on it only
            (:func:`~engine.server.rtc.restrict_host_candidates`).
        var: sandboxes' data folder (default ``var/``).
        registry: where sessions are admitted and found (default: this process's,
            :class:`~engine.server.registry.InProcessRegistry` of ``server.max_sessions``).

    Raises:
        ValueError: ``server.kiosk_token_env`` names an unset variable.
    """
    server = config.server
    app = web.Application(
        middlewares=[security_headers, errors_middleware],
        client_max_size=server.max_sdp_bytes + 4096,
    )
    runtime = Runtime(config, var)
    app[RUNTIME_KEY] = runtime
    app[REGISTRY_KEY] = registry if registry is not None else InProcessRegistry(server.max_sessions)
    gate = app[GATE_KEY] = Gate(app[REGISTRY_KEY], AddressLimits(server.limits.settings()))
    background = app[BACKGROUND_KEY] = Background()
    access = Access(
        parse_networks(server.trusted_proxies),
        kiosk_token(server.kiosk_token_env),
        tuple(server.allowed_origins),
    )
    restrict_host_candidates(host, server.ice_addresses)
    use_avatar_encoders()
    app.router.add_get("/", index)
    app.router.add_routes(SessionRoutes(runtime, gate, access).routes())
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/livez", livez)
    app.router.add_get("/metrics", metrics)
    app.router.add_routes(demo_phone.routes(runtime, WEB_CLIENT_DIR))
    app.router.add_get("/{name:[^/].*}", web_client_file)  # after the API routes

    async def lifecycle(app: web.Application):
        loop = asyncio.get_running_loop()
        # aiortc encodes on the default executor; TTS and renderer set-up use it too.
        loop.set_default_executor(ThreadPoolExecutor(max_workers=16, thread_name_prefix="dhe"))
        report_connect_failures(loop)
        startup = asyncio.create_task(_start(runtime, background))
        yield
        startup.cancel()
        await background.stop()
        for session in gate.local():
            await session.close("server-stopping")
        await runtime.close()

    async def close_sessions(_app: web.Application) -> None:
        # aiohttp waits for open handlers (every events socket) before the clean-up context
        # runs; sessions closed only there kept a stopping server ~30 s (past systemd's
        # TimeoutStopSec) and their pages uninformed. Closed here, each page is told at once
        # (``ended``: server-stopping) and its socket closes.
        for session in gate.local():
            await session.close("server-stopping")

    app.on_shutdown.append(close_sessions)
    app.cleanup_ctx.append(lifecycle)
    return app


async def _start(runtime: Runtime, background: Background) -> None:
    try:
        report = await runtime.start()
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # start-up failure: stay unready (healthz 503) and say why
        runtime.startup_error = f"start-up failed: {exc}"
        # the reason in one line (it names the setting); where it was raised only with -vv
        log.error("server start-up failed; /healthz stays 503: %s", exc)
        log.debug("start-up failure", exc_info=True)
        return
    down = "; ".join(f"{system} ({why})" for system, why in runtime.unavailable.items())
    log.info(  # shown by default: ``dhe serve`` sets engine.server to INFO
        "ready in %.1f s (ASR languages: %s; business systems unavailable: %s)",
        report.seconds,
        ", ".join(report.languages),
        down or "none",
    )
    cfg, metrics = runtime.config, runtime.metrics
    runtime.connectors.observe(metrics.observe_call)
    cluster = runtime.sandboxes
    background.monitor = DependencyMonitor(
        runtime.connectors.health,
        cluster.status if cluster is not None else None,
        cfg.server.health_interval_s,
        on_probe=metrics.observe_dependencies,
    )
    await background.monitor.probe_once()
    background.monitor.start()
    if runtime.audit is not None and cfg.privacy.audit_retention_days > 0:
        engine = runtime.audit.engine
        background.spawn(_daily_retention(engine, cfg.privacy.audit_retention_days), "retention")


async def _daily_retention(engine: Engine, retention_days: int) -> None:
    """Apply the audit retention once a day (it was applied at start by ``open_systems``)."""
    while True:
        await asyncio.sleep(RETENTION_PERIOD_S)
        try:
            await apply_retention(engine, retention_days)
        except SQLAlchemyError:  # a locked or full disk: say so, try again tomorrow
            log.exception("audit retention failed")
