"""The connector every caller uses: routes ``<system>.<operation>`` to the system's connector.

Around every call it adds what the issue asks of all connectors alike (HTTP or Python):
the caller's deadline as a hard stop, the "still working" signal after the slow threshold,
one masked log line and one audit row. Only :class:`~connectors.base.ConnectorError` leaves it.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable

import structlog

from connectors.audit import AuditRow, AuditTrail
from connectors.base import (
    ConnectorError,
    ConnectorTimeout,
    InvalidInput,
    NotFound,
    Result,
    SlowCallback,
)
from connectors.deadline import within
from connectors.masking import MASK, mask_mapping

log = structlog.get_logger("connectors")

#: Default "still working" threshold, milliseconds (issue 6).
DEFAULT_SLOW_THRESHOLD_MS = 700.0
#: Budget of a call to a connector that states none, seconds.
FALLBACK_BUDGET_S = 10.0
#: ``observer(system, operation, outcome, latency_ms)`` (:meth:`Router.observe`).
CallObserver = Callable[[str, str, str, float], None]


@runtime_checkable
class SystemConnector(Protocol):
    """A connector for one system, registered with the :class:`Router`.

    HTTP connectors (:class:`~connectors.http_connector.HttpConnector`) and hand-written Python
    connectors both implement it: ``call`` has the :class:`~connectors.base.Connector` signature
    and receives the full ``<system>.<operation>`` name.
    """

    system: str

    @property
    def operations(self) -> Mapping[str, str]:
        """Operation name (without system) → one-line description."""
        ...

    def secret_params(self, op: str) -> frozenset[str]:
        """Arguments of ``op`` that must never appear in logs or the audit."""
        ...

    def default_budget_s(self, op: str) -> float:
        """How long a call of ``op`` may take in all when the caller gives no deadline, seconds."""
        ...

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
        """Run ``op``; raise only ConnectorError subclasses."""
        ...

    async def aclose(self) -> None:
        """Release resources."""
        ...


class Router:
    """Routes calls to registered system connectors (implements ``connectors.base.Connector``).

    Args:
        audit: where each call is recorded (``None``: logs only).
        slow_threshold_ms: after this long a call fires its ``on_slow`` callback once.
    """

    def __init__(
        self,
        audit: AuditTrail | None = None,
        *,
        slow_threshold_ms: float = DEFAULT_SLOW_THRESHOLD_MS,
    ) -> None:
        self._systems: dict[str, SystemConnector] = {}
        self.audit = audit
        self.slow_threshold_ms = slow_threshold_ms
        self._observers: list[CallObserver] = []

    def register(self, connector: SystemConnector) -> None:
        """Add a system's connector.

        Raises:
            ValueError: the system is already registered.
        """
        if connector.system in self._systems:
            raise ValueError(f"system {connector.system!r} already registered")
        self._systems[connector.system] = connector

    def system(self, name: str) -> SystemConnector:
        """The connector registered for ``name`` (KeyError if none)."""
        return self._systems[name]

    def operations(self) -> list[tuple[str, str]]:
        """``[("<system>.<operation>", description), ...]`` sorted by name."""
        return sorted(
            (f"{s}.{op}", desc)
            for s, c in self._systems.items()
            for op, desc in c.operations.items()
        )

    async def unreachable(self, timeout_s: float = 2.0) -> dict[str, str]:
        """The registered systems that do not answer now, each with why (checked in parallel;
        a connector without a ``reachable`` check counts as reachable).

        Returns:
            system → one-line reason, for the systems that are down.
        """
        names = sorted(self._systems)
        checks = [getattr(self._systems[n], "reachable", None) for n in names]
        results = await asyncio.gather(
            *(check(timeout_s) if check else _reachable() for check in checks)
        )
        return {name: why for name, why in zip(names, results, strict=True) if why}

    async def health(self, timeout_s: float = 1.0) -> dict[str, str | None]:
        """Every registered system's health probe, in parallel (a connector's ``health`` check,
        else its ``reachable`` check, else healthy).

        Returns:
            system → None when healthy, else a one-line reason.
        """
        names = sorted(self._systems)
        checks = [
            getattr(self._systems[n], "health", None)
            or getattr(self._systems[n], "reachable", None)
            for n in names
        ]
        results = await asyncio.gather(
            *(check(timeout_s) if check else _reachable() for check in checks)
        )
        return dict(zip(names, results, strict=True))

    def observe(self, observer: CallObserver) -> None:
        """Call ``observer(system, operation, outcome, latency_ms)`` after every call (metrics;
        it must not block). ``outcome`` is ``ok`` or the error code; an operation no system
        declares is reported as ``unknown``."""
        self._observers.append(observer)

    async def aclose(self) -> None:
        """Close every registered connector and the audit's connections."""
        for connector in self._systems.values():
            await connector.aclose()
        if self.audit is not None:
            self.audit.close()

    async def __aenter__(self) -> Router:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

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
        """Run ``op`` (see :class:`connectors.base.Connector`), audited and logged.

        Raises:
            InvalidInput: the operation name is malformed.
            NotFound: no system or operation of that name is registered (reason ``unknown_op``).
            ConnectorTimeout: the deadline passed.
            ConnectorError: any other subclass, from the system's connector.
        """
        t0 = time.monotonic()
        connector: SystemConnector | None = None
        outcome, reason = "ok", None
        try:
            system, _, name = op.partition(".")
            if not system or not name:
                raise InvalidInput(f"operation must be <system>.<operation>: {op[:80]!r}")
            connector = self._systems.get(system)
            if connector is None or name not in connector.operations:
                raise NotFound(f"unknown operation {op[:80]}", operation=op, reason="unknown_op")
            if deadline is None:
                deadline = t0 + connector.default_budget_s(op)
            result = await self._run(connector, op, params, idempotency_key, deadline, on_slow)
            return Result(op, result.data, (time.monotonic() - t0) * 1000)
        except ConnectorError as exc:
            outcome, reason = exc.code, exc.reason
            exc.operation = exc.operation or op
            raise
        except asyncio.CancelledError:
            outcome = "cancelled"
            raise
        finally:
            await self._record(connector, op, params, session_id, outcome, reason, t0)

    async def _run(
        self,
        connector: SystemConnector,
        op: str,
        params: Mapping[str, Any],
        idempotency_key: str | None,
        deadline: float,
        on_slow: SlowCallback | None,
    ) -> Result:
        task = asyncio.ensure_future(
            connector.call(op, params, idempotency_key=idempotency_key, deadline=deadline)
        )
        try:
            remaining = deadline - time.monotonic()
            slow_s = self.slow_threshold_ms / 1000
            if on_slow is not None and remaining > slow_s:
                done, _ = await asyncio.wait({task}, timeout=slow_s)
                if not done:
                    await _fire(on_slow, op)
            remaining = deadline - time.monotonic()
            try:  # the caller's deadline, less a stall of the engine's own loop
                return await within(max(remaining, 0), task)
            except TimeoutError:
                raise ConnectorTimeout(f"{op}: deadline passed", operation=op) from None
        finally:
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    async def _record(
        self,
        connector: SystemConnector | None,
        op: str,
        params: Mapping[str, Any],
        session_id: str | None,
        outcome: str,
        reason: str | None,
        t0: float,
    ) -> None:
        latency_ms = (time.monotonic() - t0) * 1000
        if self._observers:
            known = connector is not None and op.partition(".")[2] in connector.operations
            system, operation = op.partition(".")[::2] if known else ("unknown", "unknown")
            for observer in self._observers:
                observer(system, operation, outcome, latency_ms)
        secrets = connector.secret_params(op) if connector is not None else frozenset()
        masked = mask_mapping({k: (MASK if k in secrets else v) for k, v in params.items()})
        log.info(
            "connector_call",
            operation=op[:128],
            args=masked,
            outcome=outcome,
            reason=reason,
            latency_ms=round(latency_ms, 1),
            session_id=session_id,
        )
        if self.audit is not None:
            row = AuditRow(session_id, op[:128], masked, outcome, reason, latency_ms)
            await asyncio.shield(self.audit.record(row))


async def _reachable() -> None:
    """The check of a connector that has none: reachable."""
    return None


async def _fire(on_slow: SlowCallback, op: str) -> None:
    """Run the caller's "still working" callback; its failure is logged, the call goes on."""
    try:
        maybe = on_slow(op)
        if inspect.isawaitable(maybe):
            await maybe
    except Exception as exc:  # the filler is best-effort; the business call must not fail for it
        log.warning("on_slow_failed", operation=op, error=type(exc).__name__, exc_info=True)
