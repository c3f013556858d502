"""The business systems a process talks to, opened one way for every command.

``dhe serve``, ``dhe converse`` and ``dhe chat`` all call :func:`open_systems`. It honours the
whole configuration:

* ``sandbox.embedded`` (and ``connectors.embedded``): ``true`` (the default) starts the sandbox
  bank and tax services as child processes for the lifetime of the context and points the
  declarations at them; ``false`` builds the connectors from the declarations, whose
  environment variables (``DHE_BANK_BASE_URL``, ``DHE_BANK_API_KEY`` …) name the real systems.
* ``connectors.declarations_dir``, ``connectors.slow_threshold_ms`` in both modes.
* ``connectors.audit_db_url``: the one engine database (default ``engine.db`` in the state
  folder). One SQLAlchemy engine serves the connector-call audit and the session audit; rows
  older than ``privacy.audit_retention_days`` are deleted when it opens (:func:`apply_retention`).

A system that cannot be used is never fatal: if the embedded sandboxes do not start, or a
deployment leaves a system's variables unset, that system answers ``unavailable`` (the dialog
apologises, as for a system that is down). Systems that do not answer at start are reported
(:attr:`Systems.unavailable`, one warning line each); their calls are still tried.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine

from connectors.audit import AuditTrail
from connectors.config import ConnectorsConfig, SandboxConfig
from connectors.embedded import SandboxCluster, SandboxStartError, start_embedded
from connectors.registry import load_connectors, unavailable_router
from connectors.router import Router
from engine import migrations
from engine.audit import SessionAudit, prune
from engine.config import EngineConfig
from engine.paths import var_dir

log = logging.getLogger(__name__)

#: How long the start-up reachability check waits for each system, seconds.
PROBE_TIMEOUT_S = 2.0


@dataclass(slots=True)
class Systems:
    """What :func:`open_systems` yields.

    Attributes:
        connector: routes every ``<system>.<operation>`` (audited, logged, masked).
        call_audit: the ``connector_calls`` audit; owns the engine database's SQLAlchemy engine.
        session_audit: the ``sessions`` / ``session_events`` audit on the same engine.
        unavailable: system → why it did not answer at start (empty when all did).
        cluster: the embedded sandbox processes, or None for the operator's real systems.
    """

    connector: Router
    call_audit: AuditTrail
    session_audit: SessionAudit
    unavailable: dict[str, str] = field(default_factory=dict)
    cluster: SandboxCluster | None = None


def is_embedded(config: EngineConfig) -> bool:
    """Whether the sandboxes run as child processes (``false`` in either section turns it off)."""
    return config.sandbox.embedded and config.connectors.embedded


def state_dir(config: EngineConfig) -> Path:
    """Where the sandboxes' files and the default engine database live: ``connectors.var_dir``
    when the config sets it, else the state folder (``DHE_VAR_DIR`` or ``var/``)."""
    if "var_dir" in config.connectors.model_fields_set:
        return config.connectors.var_dir
    return var_dir()


def connectors_settings(config: EngineConfig, var: Path, *, demo: bool = False) -> ConnectorsConfig:
    """The ``connectors`` section with the engine's ``sandbox`` section folded in (demo code
    when either asks for it; the engine's faults unless only the connectors' are set)."""
    engine_box, room_box = config.sandbox, config.connectors.sandbox
    sandbox = SandboxConfig(
        demo_otp=demo or engine_box.demo_otp or room_box.demo_otp,
        faults=engine_box.faults or room_box.faults,
        start_timeout_s=(
            room_box.start_timeout_s
            if "start_timeout_s" in room_box.model_fields_set
            else engine_box.start_timeout_s
        ),
    )
    return config.connectors.model_copy(update={"var_dir": var, "sandbox": sandbox})


@asynccontextmanager
async def open_systems(
    config: EngineConfig, *, demo: bool = False, var: Path | None = None
) -> AsyncIterator[Systems]:
    """Open the business systems and the engine database for this process; close on exit.

    Args:
        config: the ``sandbox`` and ``connectors`` sections are read.
        demo: force the demo customers' fixed one-time code (``--demo``).
        var: the state folder (default :func:`state_dir`).

    Raises:
        connectors.declaration.DeclarationError: a declaration file is invalid (a broken file
            is an operator error worth stopping for; a missing variable is not).
        sqlalchemy.exc.SQLAlchemyError: the engine database cannot be opened.
    """
    var = var if var is not None else state_dir(config)
    settings = connectors_settings(config, var, demo=demo)
    trail = AuditTrail(settings.audit_url(var), create_table=False)
    async with AsyncExitStack() as stack:
        stack.callback(trail.close)
        await asyncio.to_thread(migrations.upgrade, trail.engine)
        await apply_retention(trail.engine, config.privacy.audit_retention_days)
        cluster: SandboxCluster | None = None
        if is_embedded(config):
            router, cluster = await _start_embedded(stack, settings, trail)
        else:
            router = load_connectors(settings, audit=trail, strict=False)
            stack.push_async_callback(router.aclose)
        unavailable = await router.unreachable(PROBE_TIMEOUT_S)
        for system, why in unavailable.items():
            log.warning("business system %s unavailable: %s", system, why)
        yield Systems(router, trail, SessionAudit(trail.engine), unavailable, cluster)


async def apply_retention(engine: Engine, retention_days: int) -> None:
    """Delete the audit trail older than ``privacy.audit_retention_days`` (off the event loop).

    Raises:
        sqlalchemy.exc.SQLAlchemyError: the engine database cannot be written.
    """
    pruned = await asyncio.to_thread(prune, engine, retention_days)
    if pruned.sessions or pruned.connector_calls:
        log.info(
            "audit retention (%d days): %d sessions, %d connector calls deleted",
            retention_days,
            pruned.sessions,
            pruned.connector_calls,
        )


async def _start_embedded(
    stack: AsyncExitStack, settings: ConnectorsConfig, trail: AuditTrail
) -> tuple[Router, SandboxCluster | None]:
    """The sandboxes' router, or — when they do not start — every system unavailable."""
    try:
        systems = await stack.enter_async_context(
            start_embedded(settings.var_dir, config=settings, audit=trail)
        )
    except (SandboxStartError, OSError) as exc:
        log.error("embedded sandboxes did not start (%s); connector calls will fail", exc)
        router = unavailable_router(settings, f"embedded sandboxes did not start: {exc}", trail)
        stack.push_async_callback(router.aclose)
        return router, None
    return systems.connectors, systems.cluster
