"""Which offers become sessions, and when a session takes one of the server's slots.

An offer that was answered is not yet a visitor: its media may never connect (a browser gone
before ICE completed, or someone holding slots on purpose). So a session waits in the
*connecting* pool of a :class:`Gate` — capped per client address and in all
(:class:`~engine.server.limits.AddressLimits`), not counted against ``server.max_sessions`` —
until its media connects; only then does it ask the :class:`~engine.server.registry.SessionRegistry`
for a slot (``admit`` + ``create``). A session whose media does not connect within
``server.connect_timeout_s`` ends (the session's own timer) and leaves the pool.

At the offer, the registry is asked whether it would admit a session now (an admission taken
and given straight back), so a full server still refuses the offer with 503 before any work.
If slots filled up while the media connected, the session ends with ``too-many-sessions``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from engine.server.limits import AddressLimits, LimitExceeded
from engine.server.protocol import ApiError
from engine.server.registry import RegistryFull, SessionRegistry

log = logging.getLogger(__name__)


class GatedSession(Protocol):
    """What the gate needs of a session."""

    @property
    def id(self) -> str:
        """The public session id."""
        ...


S = TypeVar("S", bound=GatedSession)


@dataclass(frozen=True, slots=True)
class GateCounts:
    """Sessions waiting for their media (this process), and the live ones of the registry."""

    connecting: int
    live: int
    pending: int
    capacity: int


class Gate(Generic[S]):
    """Admission of offers and the pool of sessions whose media has not connected yet.

    Args:
        registry: the live sessions and their slots.
        limits: the per-address counts and rates.
        clock: monotonic seconds (rate limits).
    """

    def __init__(
        self,
        registry: SessionRegistry[S],
        limits: AddressLimits,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.registry = registry
        self.limits = limits
        self._clock = clock
        self._connecting: dict[str, S] = {}
        self._address: dict[str, str] = {}  # session id → client address (pool and live)

    def check_offer(self, address: str) -> None:
        """An offer from ``address``: within its rate and pool limits?

        Raises:
            ApiError: 429 ``too-many-offers`` or ``too-many-connecting``, with
                ``retry_after_s``.
        """
        try:
            self.limits.check_offer(address, self._clock())
        except LimitExceeded as exc:
            raise ApiError(429, exc.code, exc.message, retry_after_s=exc.retry_after_s) from exc

    def reserve(self, address: str) -> None:
        """Check ``address``'s pool and share of sessions again and count one connecting session
        for it at once (no await between the two), before the offer's slow part (its dialog
        engine, renderer and answer): offers whose awaits overlapped all passed the earlier
        checks and each became a session (newcomer #10: a third live session from one address,
        after an 11.7 s offer). :meth:`hold` (``reserved=True``) turns the reservation into the
        session's place in the pool; :meth:`unreserve` gives it back when no session came of it.

        Raises:
            ApiError: 429 ``too-many-connecting`` or ``too-many-sessions-from-address``, with
                ``retry_after_s``.
        """
        try:
            self.limits.check_connecting(address)
            self.limits.check_live(address)
        except LimitExceeded as exc:
            raise ApiError(429, exc.code, exc.message, retry_after_s=exc.retry_after_s) from exc
        self.limits.add(self.limits.connecting, address)

    def unreserve(self, address: str) -> None:
        """Give back a :meth:`reserve` that no session was held for (the offer failed)."""
        self.limits.remove(self.limits.connecting, address)

    async def check_capacity(self) -> None:
        """Would the registry admit a session now? (An admission taken and given back.)

        Raises:
            RegistryFull: no slot (the offer gets 503).
        """
        admission = await self.registry.admit()
        await self.registry.release(admission)

    def hold(self, session: S, address: str, *, reserved: bool = False) -> None:
        """Put a new session in the connecting pool (its offer is being answered);
        ``reserved``: its place was counted by :meth:`reserve` already."""
        self._connecting[session.id] = session
        self._address[session.id] = address
        if not reserved:
            self.limits.add(self.limits.connecting, address)

    async def connected(self, session: S) -> bool:
        """The session's media connected: move it from the pool to the registry.

        Returns:
            False when it has already left the pool (it ended meanwhile) or no slot is free
            (:class:`RegistryFull`; the caller ends the session).
        """
        if session.id not in self._connecting:
            return False
        try:
            admission = await self.registry.admit()
        except RegistryFull:
            return False
        if self._connecting.pop(session.id, None) is None:  # ended while admitted
            await self.registry.release(admission)
            return False
        address = self._address[session.id]
        self.limits.remove(self.limits.connecting, address)
        self.limits.add(self.limits.live, address)
        await self.registry.create(admission, session.id, session)
        return True

    async def closed(self, session: S) -> None:
        """The session ended: leave the pool or the registry; idempotent."""
        address = self._address.pop(session.id, None)
        if self._connecting.pop(session.id, None) is not None:
            self.limits.remove(self.limits.connecting, address or "unknown")
        elif address is not None:
            self.limits.remove(self.limits.live, address)
            await self.registry.remove(session.id)

    async def get(self, session_id: str) -> S | None:
        """A live session of this process or a connecting one, by id."""
        return await self.registry.get(session_id) or self._connecting.get(session_id)

    def address_of(self, session_id: str) -> str:
        """The client address a session's offer came from."""
        return self._address.get(session_id, "unknown")

    def local(self) -> list[S]:
        """Every session of this process (live and connecting), e.g. to close at shutdown."""
        return [*self.registry.local(), *self._connecting.values()]

    async def counts(self) -> GateCounts:
        """Connecting sessions and the registry's counts."""
        counts = await self.registry.counts()
        return GateCounts(len(self._connecting), counts.live, counts.pending, counts.capacity)
