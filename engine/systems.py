"""The business systems a session talks to: embedded sandboxes or the operator's real ones.

``sandbox.embedded: true`` (the default) starts the sandbox bank and tax services as child
processes for the lifetime of the context (DESIGN.md, "Embedded mode"); ``false`` builds the
connectors from the YAML declarations, whose environment variables point at the real systems.
If the embedded systems cannot start, the engine still runs: every call answers
``ConnectorUnavailable`` and the dialog apologises, as it does for a system that is down.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from connectors.base import ConnectorUnavailable, Result, SlowCallback
from connectors.embedded import SandboxStartError, start_embedded
from connectors.registry import load_connectors
from engine.config import EngineConfig
from engine.paths import var_dir

log = logging.getLogger(__name__)


class SystemsDown:
    """The connector used when no business system could be reached at start: every operation
    raises :class:`ConnectorUnavailable` (a production state, not a test double)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

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
        """Raise :class:`ConnectorUnavailable` for ``op``."""
        raise ConnectorUnavailable(f"business systems unavailable: {self.reason}", operation=op)


@asynccontextmanager
async def open_systems(config: EngineConfig, *, demo: bool = False) -> AsyncIterator[Any]:
    """Yield a Connector for the session(s) of this process; closes it on exit.

    Args:
        config: ``sandbox`` (embedded, demo_otp, faults) and ``connectors`` sections.
        demo: force the demo customers' fixed one-time code (``--demo``).
    """
    if not config.sandbox.embedded:
        router = load_connectors(config.connectors)
        try:
            yield router
        finally:
            await router.aclose()
        return
    try:
        cm = start_embedded(
            var_dir(),
            demo_otp=demo or config.sandbox.demo_otp,
            faults=config.sandbox.faults,
        )
        systems = await cm.__aenter__()
    except (SandboxStartError, OSError) as exc:
        log.error("embedded sandboxes did not start (%s); connector calls will fail", exc)
        yield SystemsDown(str(exc))
        return
    try:
        yield systems.connectors
    finally:
        await cm.__aexit__(None, None, None)
