"""Which sessions live, and whether another visitor may start one: the session registry.

The HTTP side asks a :class:`SessionRegistry` for everything it needs to know about sessions:
admission of a new offer (:meth:`~SessionRegistry.admit`, answered before any work is done),
turning the admitted offer into a live session (:meth:`~SessionRegistry.create`) or giving the
slot back (:meth:`~SessionRegistry.release`), finding a session by id
(:meth:`~SessionRegistry.get`), forgetting it (:meth:`~SessionRegistry.remove`) and the counts.

Every method is async so a shared store can answer: with several server replicas behind one
address, admission must count the sessions of *all* replicas (a Redis registry holds the counts
and an expiring key per admission, so a replica that dies mid-offer does not leak a slot). The
session *objects* (peer connections, tracks) only ever live in the process that made them:
:meth:`~SessionRegistry.get` returns this process's live session, or None. Implementations:
:class:`InProcessRegistry` (one server, the default) and
:class:`~engine.server.redis_registry.RedisRegistry` (replicas sharing Redis, ``cluster.*``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

S = TypeVar("S")


class RegistryFull(Exception):
    """No session may start now: ``live + pending`` reached ``capacity``."""

    def __init__(self, capacity: int) -> None:
        super().__init__(f"the registry holds its maximum of {capacity} sessions")
        self.capacity = capacity


class RegistryUnavailable(RegistryFull):
    """A shared registry's store does not answer: no session may start now (an offer gets 503,
    as when full) and ``/healthz`` says ``down`` (check ``registry``).

    Attributes:
        reason: why, in one line (the store client's error).
    """

    def __init__(self, capacity: int, reason: str) -> None:
        super().__init__(capacity)
        self.reason = reason
        self.args = (f"the session registry is unreachable ({reason})",)


@dataclass(frozen=True, slots=True)
class Admission:
    """A slot held for an offer being negotiated (give it to ``create`` or ``release``).

    Attributes:
        ticket: an opaque id of the slot (a shared store keys its expiry on it).
    """

    ticket: str


@dataclass(frozen=True, slots=True)
class RegistryCounts:
    """How full the registry is.

    Attributes:
        live: sessions created and not yet removed (all replicas for a shared store).
        pending: admissions not yet created or released.
        capacity: the most ``live + pending`` admitted (``server.max_sessions``).
    """

    live: int
    pending: int
    capacity: int


class SessionRegistry(Protocol[S]):
    """The live sessions and their admission (see the module docstring)."""

    def new_session_id(self) -> str:
        """A fresh, unguessable session id (a shared store may encode the owner in it)."""
        ...

    async def admit(self) -> Admission:
        """Hold a slot for a new offer.

        Raises:
            RegistryFull: every slot is taken (the offer gets 503).
        """
        ...

    async def create(self, admission: Admission, session_id: str, session: S) -> None:
        """Turn an admission into the live session ``session_id`` (its slot stays taken)."""
        ...

    async def release(self, admission: Admission) -> None:
        """Give an admission's slot back (the offer failed); idempotent, and a no-op after
        :meth:`create`."""
        ...

    async def get(self, session_id: str) -> S | None:
        """This process's live session ``session_id``, or None."""
        ...

    async def remove(self, session_id: str) -> None:
        """Forget a session (it ended); idempotent. Raises nothing for a shared store that does
        not answer (the session has ended anyway; the store catches up later)."""
        ...

    async def counts(self) -> RegistryCounts:
        """Live and pending sessions and the capacity.

        Raises:
            RegistryUnavailable: a shared store did not answer.
        """
        ...

    def local(self) -> list[S]:
        """The sessions living in this process (shutdown closes them)."""
        ...


class InProcessRegistry(Generic[S]):
    """A :class:`SessionRegistry` for one server process (no shared store).

    Args:
        capacity: the most sessions live or being negotiated at once (``server.max_sessions``).
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._sessions: dict[str, S] = {}
        self._pending: set[str] = set()

    def new_session_id(self) -> str:
        """See :meth:`SessionRegistry.new_session_id` (16 URL-safe characters)."""
        return secrets.token_urlsafe(12)

    async def admit(self) -> Admission:
        """See :meth:`SessionRegistry.admit`.

        Raises:
            RegistryFull: ``capacity`` sessions are live or admitted already.
        """
        if len(self._sessions) + len(self._pending) >= self.capacity:
            raise RegistryFull(self.capacity)
        admission = Admission(secrets.token_hex(8))
        self._pending.add(admission.ticket)
        return admission

    async def create(self, admission: Admission, session_id: str, session: S) -> None:
        """See :meth:`SessionRegistry.create`.

        Raises:
            KeyError: the admission was not held (already released or used).
        """
        self._pending.remove(admission.ticket)
        self._sessions[session_id] = session

    async def release(self, admission: Admission) -> None:
        """See :meth:`SessionRegistry.release`."""
        self._pending.discard(admission.ticket)

    async def get(self, session_id: str) -> S | None:
        """See :meth:`SessionRegistry.get`."""
        return self._sessions.get(session_id)

    async def remove(self, session_id: str) -> None:
        """See :meth:`SessionRegistry.remove`."""
        self._sessions.pop(session_id, None)

    async def counts(self) -> RegistryCounts:
        """See :meth:`SessionRegistry.counts`."""
        return RegistryCounts(len(self._sessions), len(self._pending), self.capacity)

    def local(self) -> list[S]:
        """See :meth:`SessionRegistry.local`."""
        return list(self._sessions.values())
