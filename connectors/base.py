"""The connector interface: one narrow door to every business system.

Every business system is reached through it (``docs/architecture.md``, "Business systems").

An operation is named ``<system>.<operation>`` (``bank.get_balance``). A call takes validated
arguments and returns a typed :class:`Result` or raises one of the :class:`ConnectorError`
subclasses below — never anything else. The dialog maps each error ``code`` to an utterance; no
exception text reaches the visitor.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable


class ConnectorError(Exception):
    """Base of all connector failures.

    Attributes:
        code: stable machine-readable code (``timeout``, ``unavailable`` …).
        message: operator-facing description; already masked, never shown to the visitor.
        operation: the ``<system>.<operation>`` that failed, when known.
        reason: the backend's own finer error code when it sent one (``otp_wrong``,
            ``otp_locked``, ``already_frozen``, ``slot_taken``, ``circuit_open`` …), else ``None``.
    """

    code: ClassVar[str] = "connector_error"

    def __init__(
        self, message: str, *, operation: str | None = None, reason: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.operation = operation
        self.reason = reason

    def as_json(self) -> dict[str, dict[str, str]]:
        """The error as the ``{"error": {"code", "message"}}`` shape of the contracts."""
        return {"error": {"code": self.code, "message": self.message}}


class ConnectorTimeout(ConnectorError):
    """The backend did not answer within the operation's deadline."""

    code = "timeout"


class ConnectorUnavailable(ConnectorError):
    """The backend refused the connection, answered 5xx, or its circuit is open."""

    code = "unavailable"


class NotFound(ConnectorError):
    """The thing asked about does not exist (unknown card, taxpayer, slot …)."""

    code = "not_found"


class Unauthorized(ConnectorError):
    """Credentials rejected, or the visitor is not verified (missing/expired/wrong token/code)."""

    code = "unauthorized"


class InvalidInput(ConnectorError):
    """Arguments failed validation, locally or at the backend (HTTP 400/422)."""

    code = "invalid_input"


class Conflict(ConnectorError):
    """The request conflicts with the backend's state (slot already booked, card already frozen)."""

    code = "conflict"


class BadResponse(ConnectorError):
    """The backend answered something that is not the documented shape (malformed JSON …)."""

    code = "bad_response"


@dataclass(frozen=True, slots=True)
class Result:
    """A successful call.

    Attributes:
        operation: ``<system>.<operation>``.
        data: the response fields the operation declares, already typed.
        latency_ms: wall time of the call including retries, milliseconds.
    """

    operation: str
    data: Mapping[str, Any] = field(default_factory=dict)
    latency_ms: float = 0.0


#: Called once when a call has run longer than the slow threshold ("still working" filler).
SlowCallback = Callable[[str], Awaitable[None] | None]


@runtime_checkable
class Connector(Protocol):
    """Anything that can run operations. Implementations raise only :class:`ConnectorError`."""

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
        """Run operation ``op`` with ``params``.

        Args:
            op: ``<system>.<operation>``.
            params: arguments; validated against the operation's declaration.
            idempotency_key: makes a retried/repeated side-effecting call take effect once.
            deadline: absolute ``time.monotonic()`` seconds by which the call must end.
            session_id: for the call audit.
            on_slow: invoked once if the call outlasts the slow threshold (default 700 ms).

        Raises:
            ConnectorError: one of its subclasses, for every failure.
        """
        ...
