"""The HTTP connector of one backend system, built from its YAML declaration.

Per backend: one httpx client (keep-alive), a concurrency limit (``max_concurrency``), a circuit
breaker (purgatory: opens after N consecutive backend failures, half-opens after a TTL) and
retries with exponential backoff + jitter (tenacity) — only for retry-safe operations (idempotent
ones, or those whose backend honours an idempotency key, which is then always sent).

Failures that count against the circuit: timeouts, connection errors, 5xx/429, malformed bodies.
The visitor's own mistakes (404, 401, 400, 409) do not.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Mapping
from typing import Any

import httpx
import structlog
from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import OpenedState
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from connectors.auth import ClientAuth, client_auth, ssl_context
from connectors.base import (
    BadResponse,
    Conflict,
    ConnectorError,
    ConnectorTimeout,
    ConnectorUnavailable,
    InvalidInput,
    NotFound,
    Result,
    SlowCallback,
    Unauthorized,
)
from connectors.deadline import within
from connectors.declaration import OperationDecl, SystemDecl
from connectors.http_mapping import (
    MAX_RESPONSE_BYTES,
    args_model,
    build_request,
    parse_response,
    validate_args,
)

log = structlog.get_logger("connectors.http")

#: Errors that are the caller's or visitor's, not the backend's: they never open the circuit.
_NOT_BACKEND_FAILURES = [NotFound, Unauthorized, InvalidInput, Conflict, asyncio.CancelledError]
#: An attempt is not started with less than this much time left before the deadline, seconds.
MIN_ATTEMPT_S = 0.05


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, ConnectorUnavailable | ConnectorTimeout) and exc.reason != "circuit_open"


class HttpConnector:
    """Runs the declared operations of one system over HTTP.

    Args:
        decl: the system's declaration.
        env: environment holding the base URL and secrets the declaration names.
        transport: an httpx transport to use instead of the network (tests of the runtime with
            injected transport faults only).

    Raises:
        DeclarationError: a named environment variable is unset.
    """

    def __init__(
        self,
        decl: SystemDecl,
        env: Mapping[str, str],
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.system = decl.system
        self.decl = decl
        self.base_url = decl.resolve_base_url(env)
        self._auth: ClientAuth = client_auth(decl, env, self.base_url)
        self._client = httpx.AsyncClient(
            base_url=self.base_url,
            verify=ssl_context(decl.tls, env, decl.system),
            transport=transport,
            timeout=decl.timeout_ms / 1000,
            follow_redirects=False,
            limits=httpx.Limits(max_connections=decl.max_concurrency),
        )
        self._limit = asyncio.Semaphore(decl.max_concurrency)
        self._breakers = AsyncCircuitBreakerFactory(
            default_threshold=decl.circuit.failure_threshold,
            default_ttl=decl.circuit.reset_after_s,
            exclude=list(_NOT_BACKEND_FAILURES),
        )
        self._models = {
            name: args_model(f"{self.system}.{name}", op) for name, op in decl.operations.items()
        }

    @property
    def operations(self) -> dict[str, str]:
        """Operation name (without system) → one-line description."""
        return self.decl.descriptions()

    def secret_params(self, op: str) -> frozenset[str]:
        """Argument names of ``op`` declared ``secret`` (masked fully in logs and the audit)."""
        return self.decl.secret_args(op)

    def default_budget_s(self, op: str) -> float:
        """Seconds a call of ``op`` may take in all when the caller gives no deadline."""
        decl = self.decl.operations.get(op.split(".", 1)[-1])
        timeout_s = ((decl.timeout_ms if decl else None) or self.decl.timeout_ms) / 1000
        attempts = self.decl.retry.max_attempts if (decl and decl.retry_safe) else 1
        return timeout_s * attempts + self.decl.retry.backoff_max_ms / 1000 * (attempts - 1)

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._client.aclose()

    async def reachable(self, timeout_s: float = 2.0) -> str | None:
        """Whether the backend answers HTTP at all (``GET`` of its base URL; any status counts,
        nothing is sent but the request line): ``None`` when it does, else why not (one line,
        no secrets). A start-up report, not a health check: calls go on being tried."""
        try:
            await self._client.get("/", timeout=timeout_s)
        except httpx.TimeoutException:
            return f"{self.base_url}: no answer within {timeout_s:.0f} s"
        except httpx.TransportError as exc:
            return f"{self.base_url}: unreachable ({type(exc).__name__})"
        return None

    async def health(self, timeout_s: float = 1.0) -> str | None:
        """The declared health probe (``health.path`` answering 2xx; without one,
        :meth:`reachable`): ``None`` when healthy, else why not (one line, no secrets).

        Args:
            timeout_s: the longest wait; the declaration's ``health.timeout_ms`` if shorter.
        """
        health = self.decl.health
        if health is None:
            return await self.reachable(timeout_s)
        timeout_s = min(timeout_s, health.timeout_ms / 1000)
        try:
            resp = await self._client.get(health.path, timeout=timeout_s)
        except httpx.TimeoutException:
            return f"{self.base_url}{health.path}: no answer within {timeout_s:g} s"
        except httpx.TransportError as exc:
            return f"{self.base_url}: unreachable ({type(exc).__name__})"
        if not resp.is_success:
            return f"{self.base_url}{health.path}: HTTP {resp.status_code}"
        return None

    async def circuit_state(self) -> str:
        """``closed`` | ``opened`` | ``half-opened`` (the backend's circuit, for tests/metrics)."""
        breaker = await self._breakers.get_breaker(self.system)
        return breaker.context.state

    async def call(
        self,
        op: str,
        params: Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
        deadline: float | None = None,
        session_id: str | None = None,
        on_slow: SlowCallback | None = None,
    ) -> Result:
        """Run ``<system>.<op>``; see :class:`connectors.base.Connector`.

        ``session_id`` and ``on_slow`` are handled by the router around this connector. A
        side-effecting operation with an idempotency header gets a generated key when none is
        given, shared by all its retries.

        Raises:
            InvalidInput: ``op`` is not declared, or ``params`` do not match its declaration.
            ConnectorTimeout: ``deadline`` (or the default budget) passed.
            ConnectorUnavailable: the backend's circuit is open, or it cannot be reached.
            ConnectorError: another subclass mapped from the backend's answer.
        """
        t0 = time.monotonic()
        name = op.split(".", 1)[-1]
        decl = self.decl.operations.get(name)
        if decl is None:
            raise InvalidInput(f"unknown operation {op}", operation=op)
        args = validate_args(op, decl, self._models[name], params)
        if decl.idempotency_header and not idempotency_key:
            idempotency_key = uuid.uuid4().hex
        request = build_request(decl, args, idempotency_key)
        if deadline is None:
            deadline = t0 + self.default_budget_s(op)
        retry = self.decl.retry
        attempts = retry.max_attempts if decl.retry_safe else 1

        def stop_at_deadline(state: RetryCallState) -> bool:
            return time.monotonic() + state.upcoming_sleep + MIN_ATTEMPT_S >= deadline

        retrying = AsyncRetrying(
            stop=stop_after_attempt(attempts) | stop_at_deadline,
            wait=wait_exponential(
                multiplier=retry.backoff_initial_ms / 1000, max=retry.backoff_max_ms / 1000
            )
            + wait_random(0, retry.jitter_ms / 1000),
            retry=retry_if_exception(_retryable),
            reraise=True,
        )
        data: dict[str, Any] = {}
        async for attempt in retrying:
            with attempt:
                n = attempt.retry_state.attempt_number
                if n > 1:
                    log.info("connector_retry", operation=op, attempt=n)
                data = await self._attempt(op, decl, request, deadline)
        return Result(operation=op, data=data, latency_ms=(time.monotonic() - t0) * 1000)

    async def _attempt(
        self, op: str, decl: OperationDecl, request: Any, deadline: float
    ) -> dict[str, Any]:
        per_attempt_s = (decl.timeout_ms or self.decl.timeout_ms) / 1000
        budget_s = min(per_attempt_s, deadline - time.monotonic())
        if budget_s <= 0:
            raise ConnectorTimeout(f"{op}: deadline passed", operation=op)
        try:
            breaker = await self._breakers.get_breaker(self.system)
            async with breaker:
                try:
                    return await within(budget_s, self._limited_send(op, decl, request, budget_s))
                except TimeoutError:
                    raise ConnectorTimeout(
                        f"{op}: no answer within {budget_s * 1000:.0f} ms", operation=op
                    ) from None
        except OpenedState:
            raise ConnectorUnavailable(
                f"{op}: circuit open for {self.system}", operation=op, reason="circuit_open"
            ) from None

    async def _limited_send(
        self, op: str, decl: OperationDecl, request: Any, budget_s: float
    ) -> dict[str, Any]:
        async with self._limit:
            return await self._send(op, decl, request, budget_s)

    async def _send(
        self, op: str, decl: OperationDecl, request: Any, budget_s: float
    ) -> dict[str, Any]:
        for auth_try in range(2):
            headers = dict(request.headers)
            headers.update(await self._auth.headers(self._client))
            try:
                async with self._client.stream(
                    request.method,
                    request.path,
                    params=request.query or None,
                    json=request.json_body,
                    headers=headers,
                    timeout=budget_s,
                ) as resp:
                    body = await _read_limited(resp)
            except httpx.TimeoutException:
                raise ConnectorTimeout(f"{op}: backend timed out", operation=op) from None
            except httpx.TransportError as exc:
                raise ConnectorUnavailable(
                    f"{op}: backend unreachable ({type(exc).__name__})", operation=op
                ) from None
            if resp.status_code == 401 and auth_try == 0 and _is_client_auth_failure(body):
                self._auth.invalidate()
                continue
            return parse_response(op, decl, resp.status_code, body)
        raise Unauthorized(f"{op}: client credentials rejected", operation=op)


async def _read_limited(resp: httpx.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.aiter_bytes():
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise BadResponse("response body too large")
        chunks.append(chunk)
    return b"".join(chunks)


def _is_client_auth_failure(body: bytes) -> bool:
    return b'"unauthenticated"' in body or b'"invalid_token"' in body


__all__ = ["ConnectorError", "HttpConnector"]
