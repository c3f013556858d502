"""Honest health of ``dhe serve``: readiness (``GET /healthz``) and liveness (``GET /livez``).

Readiness answers "can this server take a visitor now?":

* 200 ``{"status": "ok", "checks": {…}}`` — everything answers;
* 200 ``{"status": "degraded", …}`` — a visitor can be served, but a dependency is down (a
  business system: the dialog apologises for what needs it) — a load balancer keeps the server,
  an operator is told;
* 503 ``{"status": "down", "reasons": [...], …}`` — no visitor can be served: the models are
  still loading or failed to, every session slot is taken, or the shared session registry
  (a cluster's Redis) does not answer (check ``registry``; no slot can be counted then).

Each check is ``{"status", …}``; a business system's check also says why it is down, since when
(``down_for_s``), and for an embedded sandbox its process state and restarts. A dependency is
seen down within ``server.health_interval_s`` plus the probe timeout (a supervised sandbox that
exits at once), and stays down until its replacement answers a probe.

:func:`readiness` and :class:`ProbeBoard` are plain code (time passed in); the
:class:`DependencyMonitor` probes the systems in the background.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.supervision import ChildStatus

log = logging.getLogger(__name__)

#: ``router.health(timeout_s)``: system → None (answers) or why not.
HealthProbe = Callable[[float], Awaitable[Mapping[str, str | None]]]


@dataclass(frozen=True, slots=True)
class Check:
    """One line of ``/healthz``.

    Attributes:
        name: the check's key (``models``, ``sessions``, a system's name).
        ok: whether it passes.
        critical: failing means no visitor can be served (503 ``down``); otherwise the server
            is ``degraded``.
        detail: the JSON-ready body (``status`` first).
    """

    name: str
    ok: bool
    critical: bool
    detail: Mapping[str, Any]


def readiness(checks: list[Check]) -> tuple[int, dict[str, Any]]:
    """The HTTP status and body of ``/healthz`` from its checks (module docstring)."""
    down = [c for c in checks if c.critical and not c.ok]
    degraded = [c for c in checks if not c.critical and not c.ok]
    status = "down" if down else "degraded" if degraded else "ok"
    body: dict[str, Any] = {"status": status, "checks": {c.name: dict(c.detail) for c in checks}}
    if down:
        body["reasons"] = [f"{c.name}: {c.detail.get('reason', c.detail['status'])}" for c in down]
    return (503 if down else 200), body


def models_check(ready: bool, startup_error: str | None) -> Check:
    """Whether the models (ASR, TTS, avatar, dialog) are loaded."""
    if ready:
        return Check("models", True, True, {"status": "ok"})
    if startup_error:
        return Check("models", False, True, {"status": "failed", "reason": startup_error})
    return Check("models", False, True, {"status": "loading", "reason": "models are loading"})


def sessions_check(live: int, pending: int, connecting: int, capacity: int) -> Check:
    """Whether a session slot is free (``live + pending`` below ``capacity``)."""
    detail = {"live": live, "connecting": connecting, "capacity": capacity}
    if live + pending >= capacity:
        reason = f"all {capacity} session slots are taken"
        return Check("sessions", False, True, {"status": "full", "reason": reason, **detail})
    return Check("sessions", True, True, {"status": "ok", **detail})


def registry_check(unreachable: str | None) -> Check:
    """Whether a cluster's shared session registry answers (``unreachable``: why not)."""
    if unreachable is None:
        return Check("registry", True, True, {"status": "ok"})
    return Check("registry", False, True, {"status": "down", "reason": unreachable})


@dataclass(slots=True)
class _Probe:
    ok: bool
    reason: str | None
    at_s: float
    down_since_s: float | None


@dataclass(slots=True)
class ProbeBoard:
    """The latest probe of each business system, and since when it is down (time in seconds,
    monotonic, passed in)."""

    probes: dict[str, _Probe] = field(default_factory=dict)

    def record(self, system: str, reason: str | None, now_s: float) -> None:
        """A probe's result: ``reason`` None when the system answered."""
        before = self.probes.get(system)
        if reason is None:
            self.probes[system] = _Probe(True, None, now_s, None)
            return
        since = before.down_since_s if before is not None and not before.ok else None
        self.probes[system] = _Probe(False, reason, now_s, since if since is not None else now_s)

    def check(self, system: str, child: ChildStatus | None, now_s: float) -> Check:
        """The system's check: down when its process is not running (embedded) or its last
        probe failed; a replacement counts once it has answered a probe after starting."""
        probe = self.probes.get(system)
        detail: dict[str, Any] = {"status": "ok"}
        reason = None
        down_since = None
        if child is not None:
            detail.update(process=child.state, restarts=child.restarts)
            if child.state != "running":
                reason = f"its process exited ({_exit(child.last_exit)}); {child.state}"
                down_since = child.down_since
        if reason is None and probe is None:
            reason = "not probed yet"
        elif reason is None and probe is not None and not probe.ok:
            reason, down_since = probe.reason, probe.down_since_s
        if reason is None:
            return Check(system, True, False, detail)
        detail.update(status="down", reason=reason)
        if down_since is not None:
            detail["down_for_s"] = round(max(0.0, now_s - down_since), 1)
        return Check(system, False, False, detail)


def _exit(code: int | None) -> str:
    if code is None:
        return "status unknown"
    return f"signal {-code}" if code < 0 else f"status {code}"


class DependencyMonitor:
    """Probes the business systems every ``interval_s`` (in parallel, each bounded by a
    timeout under the interval) and keeps a :class:`ProbeBoard`.

    Args:
        probe: ``router.health`` of the server's connectors.
        children: the embedded sandboxes' process status (``cluster.status``), or None.
        interval_s: ``server.health_interval_s``.
        on_probe: called after each round with the system → up/down map (metrics).
    """

    def __init__(
        self,
        probe: HealthProbe,
        children: Callable[[], Mapping[str, ChildStatus]] | None,
        interval_s: float,
        on_probe: Callable[[Mapping[str, bool]], None] | None = None,
    ) -> None:
        self.board = ProbeBoard()
        self._probe = probe
        self._children = children
        self.interval_s = interval_s
        self.timeout_s = min(1.0, 0.8 * interval_s)
        self._on_probe = on_probe
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start probing (on the running loop)."""
        self._task = asyncio.create_task(self._run(), name="dependency-monitor")

    async def stop(self) -> None:
        """Stop probing."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def probe_once(self) -> None:
        """One round of probes."""
        results = await self._probe(self.timeout_s)
        now = time.monotonic()
        for system, reason in results.items():
            was = self.board.probes.get(system)
            self.board.record(system, reason, now)
            if reason is not None and (was is None or was.ok):
                log.warning("business system %s is down: %s", system, reason)
            elif reason is None and was is not None and not was.ok:
                log.warning("business system %s answers again", system)
        if self._on_probe is not None:
            checks = self.checks()
            self._on_probe({c.name: c.ok for c in checks})

    async def _run(self) -> None:
        while True:
            await self.probe_once()
            await asyncio.sleep(self.interval_s)

    def checks(self) -> list[Check]:
        """Each business system's check now."""
        children = self._children() if self._children is not None else {}
        now = time.monotonic()
        names = sorted(set(self.board.probes) | set(children))
        return [self.board.check(name, children.get(name), now) for name in names]
