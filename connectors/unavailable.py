"""A declared system that could not be set up: every operation answers ``unavailable``.

When a deployment's environment leaves a system out (its base URL or secret variable unset) or
the embedded sandboxes did not start, the engine still runs: the system is registered as an
:class:`UnavailableSystem`, each call raises :class:`~connectors.base.ConnectorUnavailable`
(audited like any other call) and the dialog apologises, as it does for a system that is down.
This is a production state, not a test double.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.base import ConnectorUnavailable, Result, SlowCallback
from connectors.declaration import SystemDecl


class UnavailableSystem:
    """The :class:`~connectors.router.SystemConnector` of a system that is not set up.

    Args:
        decl: the system's declaration (its operations stay listed and routable).
        reason: why it is unavailable (operator-facing, no secrets), e.g.
            ``"environment variable DHE_TAX_API_KEY unset"``.
    """

    def __init__(self, decl: SystemDecl, reason: str) -> None:
        self.system = decl.system
        self.decl = decl
        self.reason = reason

    @property
    def operations(self) -> dict[str, str]:
        """Operation name (without system) → one-line description, as declared."""
        return self.decl.descriptions()

    def secret_params(self, op: str) -> frozenset[str]:
        """Argument names of ``op`` declared ``secret`` (masked in logs and the audit)."""
        return self.decl.secret_args(op)

    def default_budget_s(self, op: str) -> float:
        """Seconds a call may take: it fails at once, so the system's timeout is plenty."""
        return self.decl.timeout_ms / 1000

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
        """Raise :class:`ConnectorUnavailable` (reason ``not_configured``) for ``op``."""
        raise ConnectorUnavailable(
            f"{self.system} unavailable: {self.reason}", operation=op, reason="not_configured"
        )

    async def reachable(self, timeout_s: float = 2.0) -> str | None:
        """Why the system cannot be reached (always: it is not set up)."""
        return self.reason

    async def aclose(self) -> None:
        """Nothing to release."""
