"""The aiohttp application shell shared by the sandbox bank and tax services.

It adds, around a service's own ``/v1`` routes:

* ``GET /healthz`` — ``{"status": "ok", "system"}``, no auth;
* client auth on ``/v1/…`` — header ``X-API-Key: <api key>``, or ``Authorization: Bearer <t>``
  with a token from ``POST /oauth/token`` (OAuth2 client credentials: ``client_id=dhe-engine``,
  ``client_secret=<api key>``);
* test-only routes, present only when a test key is configured, each requiring
  ``X-Test-Key: <test key>``: ``GET /_test/otp/{verification_id}`` → ``{"code"}`` and
  ``GET /_test/issued`` → ``{"codes", "tokens"}`` (what this process issued, from its memory:
  the database holds only their hashes),
  ``GET /_test/messages`` → ``{"messages": [{"to", "text", "sent_at"}]}`` (the text messages
  "sent" to phones, oldest first: :mod:`connectors.sandbox.outbox`),
  ``PUT /_test/faults`` (a :class:`FaultConfig` JSON) and ``GET /_test/faults``;
* fault injection (:mod:`connectors.sandbox.faults`), errors as ``{"error": {"code", "message"}}``
  and one masked log line per request.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import structlog
from aiohttp import web
from pydantic import ValidationError

from connectors.masking import mask_digits
from connectors.sandbox.faults import FaultConfig, FaultState
from connectors.sandbox.outbox import Outbox, code_message
from connectors.sandbox.store import OTP_TTL_S, ApiError, Store, Stored

log = structlog.get_logger("connectors.sandbox")

OAUTH_CLIENT_ID = "dhe-engine"
OAUTH_TOKEN_TTL_S = 600
#: Largest request body the sandbox reads, bytes.
MAX_BODY_BYTES = 64 * 1024

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class SandboxSettings:
    """How one sandbox process runs.

    Attributes:
        system: ``bank`` or ``tax``.
        db_path: the SQLite file (seeded on first start).
        api_key: the client API key (a secret; never logged).
        test_key: enables the ``/_test`` routes when set (a secret; never logged).
        demo_otp: the demo customers get the fixed code ``123456``.
        faults: initial fault injection.
        code_key: the HMAC key of the stored one-time codes (a secret; random when None).
    """

    system: str
    db_path: Path
    api_key: str
    test_key: str | None = None
    demo_otp: bool = False
    faults: FaultConfig = field(default_factory=FaultConfig)
    code_key: bytes | None = field(default=None, repr=False)


class Service(Protocol):
    """One fictional business system: its schema, seed data and routes."""

    name: str
    schema: str

    def seed(self, store: Store) -> None:
        """Fill an empty database with the fictional customers (deterministic)."""

    def routes(self, ctx: SandboxContext) -> list[web.RouteDef]:
        """The ``/v1`` routes, closing over ``ctx``."""


def masked(number: str) -> str:
    """A card/account/phone number with all but its last 4 digits as ``*``."""
    return "*" * (len(number) - 4) + number[-4:]


#: One-time codes and customer tokens the test-only routes can show, per process (memory only).
KEEP_ISSUED = 500


@dataclass(slots=True)
class Issued:
    """The codes (by verification id) and customer tokens this process issued, newest last, in
    memory only and only with the test routes on: the database keeps their hashes, tests read
    them here (``/_test/otp/{id}``, ``/_test/issued``)."""

    codes: OrderedDict[str, str] = field(default_factory=OrderedDict)
    tokens: deque[str] = field(default_factory=lambda: deque(maxlen=KEEP_ISSUED))

    def code(self, verification_id: str, code: str) -> None:
        """Keep a code."""
        self.codes[verification_id] = code
        while len(self.codes) > KEEP_ISSUED:
            self.codes.popitem(last=False)


@dataclass(slots=True)
class SandboxContext:
    """Per-process state handed to a service's routes."""

    settings: SandboxSettings
    store: Store
    faults: FaultState
    oauth_tokens: dict[str, float] = field(default_factory=dict)
    outbox: Outbox = field(default_factory=Outbox)
    issued: Issued | None = None  # kept only when the test routes are on

    def customer(self, request: web.Request) -> str:
        """The verified customer of a request (``X-Customer-Token``), or 401 ``not_verified``."""
        return self.store.subject_for_token(request.headers.get("X-Customer-Token"))

    def fixed_code(self, is_demo: bool) -> str | None:
        """The demo code when demo OTP is on and the customer is a demo customer."""
        from connectors.sandbox.store import DEMO_OTP_CODE

        return DEMO_OTP_CODE if (self.settings.demo_otp and is_demo) else None

    def send_code(self, subject: Any) -> web.Response:
        """Start a one-time-code verification for a looked-up subject (a row with ``id``,
        ``phone``, ``is_demo``) and text the code to its phone (the in-memory outbox):
        201 ``{"verification_id", "phone_masked", "expires_in_s"}``."""
        vid, code = self.store.start_verification(
            subject["id"], fixed_code=self.fixed_code(bool(subject["is_demo"]))
        )
        if self.issued is not None:
            self.issued.code(vid, code)
        phone = masked(subject["phone"])
        self.outbox.send(
            phone, code_message(self.settings.system, code, OTP_TTL_S), dt.datetime.now(dt.UTC)
        )
        body = {"verification_id": vid, "phone_masked": phone, "expires_in_s": OTP_TTL_S}
        return web.json_response(body, status=201)

    async def verify(self, request: web.Request) -> web.Response:
        """``POST /v1/verifications/{vid}/verify`` ``{"code"}`` → ``{"token", "expires_in_s"}``."""
        body = await read_json(request)
        token, ttl = self.store.verify(request.match_info["vid"], str(body.get("code", "")))
        if self.issued is not None:
            self.issued.tokens.append(token)
        return web.json_response({"token": token, "expires_in_s": ttl})

    def once(
        self, request: web.Request, scope: str, fields: dict[str, Any], effect: Callable[[], Stored]
    ) -> web.Response:
        """Run a side effect at most once per ``Idempotency-Key`` header and send its response
        (a repeat with the same key and ``fields`` replays the stored one: :meth:`Store.once`).

        Raises:
            ApiError: 400 ``idempotency_key_required`` without a key, 409
                ``idempotency_key_reuse`` when it was used with other ``fields``; whatever
                ``effect`` raises; 500 ``injected_after_commit`` (:meth:`respond`).
        """
        key = request.headers.get("Idempotency-Key")
        return self.respond(self.store.once(scope, key, fields, effect))

    def respond(self, stored: Stored) -> web.Response:
        """Send a stored (possibly replayed) side-effect response; may lose it on purpose.

        Raises:
            ApiError: 500 ``injected_after_commit`` when that fault is armed (the effect is
                committed; a retry with the same idempotency key replays it).
        """
        if self.faults.take_fail_after_commit():
            raise ApiError(500, "injected_after_commit", "injected failure after commit")
        return web.json_response(stored.body, status=stored.status)


async def read_json(request: web.Request) -> dict[str, Any]:
    """The request's JSON object body (``{}`` when there is none).

    Raises:
        ApiError: 413 ``too_large`` over :data:`MAX_BODY_BYTES`; 400 ``invalid_json`` for a
            body that is not JSON or not an object.
    """
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise ApiError(413, "too_large", "request body too large")
    try:
        body = await request.json() if request.can_read_body else {}
    except ValueError as exc:
        raise ApiError(400, "invalid_json", "the body is not JSON") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "the body must be a JSON object")
    return body


def read_limit(request: web.Request, *, default: int, most: int) -> int:
    """The ``limit`` query parameter: how many rows to list, 1 to ``most`` (``default`` when
    absent).

    Raises:
        ApiError: 400 ``invalid_limit`` for a value that is not an integer or out of range.
    """
    try:
        limit = int(request.query.get("limit", str(default)))
    except ValueError as exc:
        raise ApiError(400, "invalid_limit", "limit must be an integer") from exc
    if not 1 <= limit <= most:
        raise ApiError(400, "invalid_limit", f"limit must be 1..{most}")
    return limit


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


def _middlewares(ctx: SandboxContext) -> list[Any]:
    """The request pipeline, outermost first: errors and the request log, client auth, faults."""
    return [_errors_and_log(ctx.settings.system), _client_auth(ctx), _inject_faults(ctx)]


def _errors_and_log(system: str) -> Any:
    """Middleware: every refusal or failure answered as JSON ``{"error": {"code", "message"}}``
    (a handler bug as 500 ``internal``, logged with its traceback), and one log line per request
    (path masked; a healthy ``/healthz`` probe is not logged)."""

    @web.middleware
    async def errors_and_log(request: web.Request, handler: Handler) -> web.StreamResponse:
        t0 = time.perf_counter()
        try:
            response = await handler(request)
        except ApiError as exc:
            response = _error(exc.status, exc.code, exc.message)
        except web.HTTPException as exc:
            response = _error(exc.status, "http_error", exc.reason)
        except Exception as exc:  # a sandbox bug: answer JSON 500 and say what it was
            log.error("handler_failed", system=system, error=type(exc).__name__, exc_info=True)
            response = _error(500, "internal", "internal error")
        if request.path == "/healthz" and response.status == 200:
            return response  # probed every second by the engine: a line each would fill the log
        log.info(
            "request",
            system=system,
            method=request.method,
            path=mask_digits(request.path),
            status=response.status,
            latency_ms=round((time.perf_counter() - t0) * 1000, 1),
        )
        return response

    return errors_and_log


def _client_auth(ctx: SandboxContext) -> Any:
    """Middleware: ``/v1/`` needs the API key (``X-API-Key``) or a live OAuth bearer token
    (401 ``unauthenticated``); ``/_test/`` needs the test key and is 404 without it."""
    settings = ctx.settings

    @web.middleware
    async def client_auth(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/v1/"):
            key = request.headers.get("X-API-Key", "")
            bearer = request.headers.get("Authorization", "")
            ok = bool(key) and secrets.compare_digest(key, settings.api_key)
            if not ok and bearer.startswith("Bearer "):
                expiry = ctx.oauth_tokens.get(bearer[7:])
                ok = expiry is not None and expiry > time.time()
            if not ok:
                raise ApiError(401, "unauthenticated", "missing or wrong client credentials")
        elif request.path.startswith("/_test/"):
            given = request.headers.get("X-Test-Key", "")
            if not settings.test_key or not secrets.compare_digest(given, settings.test_key):
                raise ApiError(404, "not_found", "no such route")
        return await handler(request)

    return client_auth


def _inject_faults(ctx: SandboxContext) -> Any:
    """Middleware: the configured faults (:mod:`connectors.sandbox.faults`) on the paths they
    apply to: added latency, an injected 500 ``injected_error``, or a malformed JSON body."""

    @web.middleware
    async def inject_faults(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not ctx.faults.applies_to(request.path):
            return await handler(request)
        cfg = ctx.faults.config
        if cfg.latency_ms > 0:
            await asyncio.sleep(cfg.latency_ms / 1000)
        action = ctx.faults.decide()
        if action == "error":
            raise ApiError(500, "injected_error", "injected server error")
        if action == "malformed":
            return web.Response(
                status=200, body=b'{"result": [1, 2', content_type="application/json"
            )
        return await handler(request)

    return inject_faults


def _common_routes(ctx: SandboxContext) -> list[web.RouteDef]:
    settings = ctx.settings

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "system": settings.system})

    async def oauth_token(request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("grant_type") != "client_credentials":
            raise ApiError(400, "unsupported_grant_type", "use client_credentials")
        client_id = str(form.get("client_id", ""))
        client_secret = str(form.get("client_secret", ""))
        if client_id != OAUTH_CLIENT_ID or not secrets.compare_digest(
            client_secret, settings.api_key
        ):
            raise ApiError(401, "invalid_client", "wrong client credentials")
        token = secrets.token_urlsafe(24)
        ctx.oauth_tokens[token] = time.time() + OAUTH_TOKEN_TTL_S
        return web.json_response(
            {"access_token": token, "token_type": "Bearer", "expires_in": OAUTH_TOKEN_TTL_S}
        )

    async def test_otp(request: web.Request) -> web.Response:
        assert ctx.issued is not None  # the test routes exist only with it
        code = ctx.issued.codes.get(request.match_info["vid"])
        if code is None:
            raise ApiError(404, "verification_not_found", "no such verification in this process")
        return web.json_response({"code": code})

    async def test_issued(_request: web.Request) -> web.Response:
        assert ctx.issued is not None
        issued = {"codes": list(ctx.issued.codes.values()), "tokens": list(ctx.issued.tokens)}
        return web.json_response(issued)

    async def test_messages(_request: web.Request) -> web.Response:
        return web.json_response({"messages": ctx.outbox.messages()})

    async def test_faults_put(request: web.Request) -> web.Response:
        try:
            cfg = FaultConfig.model_validate(await read_json(request))
        except ValidationError as exc:
            raise ApiError(400, "invalid_faults", str(exc.errors()[0]["msg"])) from exc
        ctx.faults.replace(cfg)
        return web.json_response(cfg.model_dump())

    async def test_faults_get(_request: web.Request) -> web.Response:
        return web.json_response(ctx.faults.config.model_dump())

    routes = [web.get("/healthz", healthz), web.post("/oauth/token", oauth_token)]
    if settings.test_key:
        routes += [
            web.get("/_test/otp/{vid}", test_otp),
            web.get("/_test/issued", test_issued),
            web.get("/_test/messages", test_messages),
            web.put("/_test/faults", test_faults_put),
            web.get("/_test/faults", test_faults_get),
        ]
    return routes


def build_app(settings: SandboxSettings, service: Service) -> web.Application:
    """Create the aiohttp application of one sandbox service (opens and seeds its database).

    Args:
        settings: how to run.
        service: the bank or tax service.

    Returns:
        The application; its SQLite connection closes on cleanup.
    """
    store = Store(settings.db_path, service.schema, settings.code_key)
    if store.is_empty("customers_seeded"):
        service.seed(store)
        store.db.execute("INSERT INTO customers_seeded (at) VALUES (?)", (time.time(),))
    faults = FaultState()
    faults.replace(settings.faults)
    issued = Issued() if settings.test_key else None
    ctx = SandboxContext(settings=settings, store=store, faults=faults, issued=issued)
    app = web.Application(middlewares=_middlewares(ctx), client_max_size=MAX_BODY_BYTES)
    app.add_routes(_common_routes(ctx) + service.routes(ctx))

    async def close_store(_app: web.Application) -> None:
        store.close()

    app.on_cleanup.append(close_store)
    return app
