"""A :class:`~engine.server.registry.SessionRegistry` shared by server replicas, in Redis.

Several ``dhe serve`` replicas behind one proxy each own their sessions (a session's media lives
in the process that answered its offer); Redis holds who owns what and how full each replica
and the whole cluster are, so admission counts every replica's sessions.

Keys (``prefix`` defaults to ``dhe:``; ``{r}`` a replica id, ``{s}`` a session id):

* ``replicas`` — hash ``{r}`` → that replica's capacity (``server.max_sessions``);
* ``alive:{r}`` — the replica's heartbeat, a key expiring ``heartbeat_ttl_ms`` after its last
  refresh (every ``heartbeat_interval_ms``);
* ``sessions:{r}`` — set of the replica's live session ids; ``session:{s}`` — the owner of ``s``;
* ``pending:{r}`` — sorted set of admission tickets scored by their expiry (Redis server time,
  ms), so a replica that dies mid-offer leaks no slot.

Heartbeats run on a thread of their own (a slow event loop does not stop them). A replica whose
heartbeat key has expired counts for nothing at once, and the next heartbeat of any live
replica deletes its keys (one atomic Lua script, :mod:`engine.server.redis_scripts`): a dead
replica's sessions vanish from Redis within ``heartbeat_ttl_ms + heartbeat_interval_ms``. A
replica that finds its own heartbeat gone (Redis restarted, or its loop stalled past the TTL)
writes its live sessions back.
Otherwise a heartbeat writes only what changed since the last one Redis answered (sessions
new or ended since; an entry holds nothing else that could change). A beat that fails, or a
``create``/``remove`` Redis did not answer (neither raises: a Redis blip ends no session), makes
the next beat a full reconciliation (what Redis holds is unknown meanwhile).

Session ids carry their owner: ``{r}.{token}`` (:meth:`RedisRegistry.new_session_id`), so the
proxy routes every later request of a session to its replica without asking Redis.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import threading
from collections.abc import Iterable
from typing import Generic, Literal, TypeVar

import redis
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from engine.server.redis_scripts import ADMIT, BEAT, COUNTS, LEAVE
from engine.server.registry import (
    Admission,
    RegistryCounts,
    RegistryFull,
    RegistryUnavailable,
)

log = logging.getLogger(__name__)

S = TypeVar("S")

#: Replica ids: lower-case letters, digits and ``-`` (they appear in session ids and URLs).
REPLICA_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")


class ClusterFull(RegistryFull):
    """Every replica of the cluster is full (``live + pending`` reached the cluster capacity)."""

    def __init__(self, capacity: int) -> None:
        super().__init__(capacity)
        self.args = (f"the cluster holds its maximum of {capacity} sessions",)


class RedisRegistry(Generic[S]):
    """Sessions of one replica, counted with every other replica's in Redis.

    Args:
        url: the Redis URL (``redis://127.0.0.1:6379/0``).
        replica_id: this replica's id (:data:`REPLICA_ID`), unique in the cluster.
        capacity: the most sessions live or being negotiated on this replica.
        cluster_capacity: the most in the whole cluster; 0 means the sum of the live
            replicas' capacities.
        heartbeat_interval_ms: how often the heartbeat is refreshed and dead replicas reaped.
        heartbeat_ttl_ms: how long a heartbeat lives (a replica silent this long is dead).
        pending_ttl_ms: how long an admission holds its slot without ``create``/``release``.
        prefix: the key prefix (several clusters or tests on one Redis).

    Raises:
        ValueError: a malformed replica id, or a TTL not above the interval.
    """

    def __init__(
        self,
        url: str,
        replica_id: str,
        capacity: int,
        *,
        cluster_capacity: int = 0,
        heartbeat_interval_ms: int = 1000,
        heartbeat_ttl_ms: int = 3000,
        pending_ttl_ms: int = 30_000,
        prefix: str = "dhe:",
    ) -> None:
        if not REPLICA_ID.fullmatch(replica_id):
            raise ValueError(f"replica id {replica_id!r} is not [a-z0-9-] (1-32 characters)")
        if heartbeat_ttl_ms <= heartbeat_interval_ms:
            raise ValueError("heartbeat_ttl_ms must exceed heartbeat_interval_ms")
        self.replica_id = replica_id
        self.capacity = capacity
        self.cluster_capacity = cluster_capacity
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.heartbeat_ttl_ms = heartbeat_ttl_ms
        self.pending_ttl_ms = pending_ttl_ms
        self.prefix = prefix
        self._redis = aioredis.Redis.from_url(
            url, socket_timeout=5.0, socket_connect_timeout=2.0, decode_responses=True
        )
        self._admit = self._redis.register_script(ADMIT)
        self._counts = self._redis.register_script(COUNTS)
        self._leave = self._redis.register_script(LEAVE)
        self._sync = redis.Redis.from_url(  # the heartbeats' (off the event loop)
            url, socket_timeout=5.0, socket_connect_timeout=2.0, decode_responses=True
        )
        self._beat_script = self._sync.register_script(BEAT)
        self._sessions: dict[str, S] = {}
        # The live sessions as of the last beat Redis answered (None: what Redis holds is
        # unknown, the next beat is a full one). Only beats read or change it, one at a time
        # (``_beating``, held off the event loop only), so between full beats each session is
        # written twice at most (new, ended) whatever create/remove managed to write meanwhile.
        self._written: set[str] | None = None
        self._beating = threading.Lock()
        # A create/remove Redis did not answer since the last beat began: the next is a full
        # one. The beat's own state: set on the event loop and read (and cleared) by a beat,
        # both under ``_resync_lock``, held across no I/O (the loop waits a set copy at most).
        self._resync = False
        self._resync_lock = threading.Lock()
        self._heartbeat: threading.Thread | None = None
        self._stop = threading.Event()

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        """Join the cluster (first heartbeat) and keep beating on a thread of its own.

        The heartbeat does not ride on the event loop: a loop slowed by a busy CPU must not
        make a live replica look dead (its sessions would be reaped).

        Raises:
            redis.exceptions.RedisError: Redis did not answer the first heartbeat.
        """
        await self.beat()
        self._stop.clear()
        self._heartbeat = threading.Thread(
            target=self._beat_forever, name="registry-heartbeat", daemon=True
        )
        self._heartbeat.start()

    async def close(self) -> None:
        """Stop beating and leave the cluster (this replica's keys deleted); idempotent."""
        if self._heartbeat is not None:
            self._stop.set()
            await asyncio.to_thread(self._heartbeat.join, 10.0)
            self._heartbeat = None
        try:
            await self._leave(args=[self.prefix, self.replica_id])
        except RedisError as exc:  # its heartbeat expires anyway; others reap the keys
            log.warning("could not leave the session registry cleanly: %s", exc)
        await self._redis.aclose()
        self._sync.close()

    async def beat(self) -> list[str]:
        """One heartbeat: refresh this replica's key, write what changed, reap dead replicas.

        Returns:
            The ids of the replicas whose keys were deleted (dead ones).

        Raises:
            redis.exceptions.RedisError: Redis did not answer (the next beat is a full one).
        """
        return await asyncio.to_thread(self._beat_once)

    def _beat_once(self) -> list[str]:
        """:meth:`beat` on the calling thread (never the event loop: it blocks on Redis)."""
        with self._beating:
            known, self._written = self._written, None  # unknown until Redis answers
            with self._resync_lock:  # cleared with the copy: a session removed since is not in it
                if self._resync:
                    known, self._resync = None, False
                live = set(self._sessions)  # one C-level copy (the loop changes it)
            if known is None:
                out = self._send_beat("full", live, ())
            else:
                out = self._send_beat("delta", live - known, known - live)
                if not int(out[0]):  # Redis lost this replica's keys: write them all back
                    out = [0, *self._send_beat("full", live, ())[1:]]
            self._written = live
        return self._after_beat(out, len(live))

    def _send_beat(
        self, mode: Literal["full", "delta"], add: set[str], drop: Iterable[str]
    ) -> list:
        """Run the beat script (:data:`~engine.server.redis_scripts.BEAT`): write ``add``, remove ``drop`` (mode ``delta``) or
        make the replica's entries ``add`` (mode ``full``). Returns {had_heartbeat, reaped...}."""
        args = [self.prefix, self.replica_id, self.capacity, self.heartbeat_ttl_ms, mode]
        return self._beat_script(args=[*args, len(add), *add, *drop])

    def _after_beat(self, out: list, live: int) -> list[str]:
        if not int(out[0]) and live:
            log.warning("registry heartbeat had expired: %d sessions rewritten", live)
        reaped = [str(r) for r in out[1:]]
        for replica in reaped:
            log.warning("replica %s stopped beating: its sessions are removed", replica)
        return reaped

    def _beat_forever(self) -> None:
        """The heartbeat thread, until :meth:`close`."""
        while not self._stop.wait(self.heartbeat_interval_ms / 1000):
            try:
                self._beat_once()
            except RedisError as exc:  # keep trying: Redis may come back
                log.warning("registry heartbeat failed: %s", exc)

    # -- SessionRegistry -------------------------------------------------------------------
    def new_session_id(self) -> str:
        """A fresh session id naming this replica as its owner: ``{replica}.{token}``."""
        return f"{self.replica_id}.{secrets.token_urlsafe(12)}"

    async def admit(self) -> Admission:
        """See :meth:`~engine.server.registry.SessionRegistry.admit`.

        Raises:
            RegistryFull: this replica is full; :class:`ClusterFull` when every replica is;
                :class:`RegistryUnavailable` when Redis does not answer.
        """
        ticket = secrets.token_hex(8)
        try:
            status, _used, _cluster_used, cluster_cap = await self._admit(
                args=[
                    self.prefix,
                    self.replica_id,
                    self.capacity,
                    self.cluster_capacity,
                    ticket,
                    self.pending_ttl_ms,
                ]
            )
        except RedisError as exc:
            raise RegistryUnavailable(self.capacity, str(exc)) from exc
        if int(status) == 0:
            raise RegistryFull(self.capacity)
        if int(status) < 0:
            raise ClusterFull(int(cluster_cap))
        return Admission(ticket)

    async def create(self, admission: Admission, session_id: str, session: S) -> None:
        """See :meth:`~engine.server.registry.SessionRegistry.create`.

        Never raises for Redis: a session whose media connected lives on whether or not Redis
        answers (a blip must not end a visitor's session). Unanswered, the next heartbeat is a
        full one, which writes the session; the admission's ticket stays counted as pending
        until it expires (``pending_ttl_ms``), so the blip over-counts, never over-admits.
        """
        p, r = self.prefix, self.replica_id
        self._sessions[session_id] = session  # first: a heartbeat in between keeps its entry
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.zrem(f"{p}pending:{r}", admission.ticket)
                pipe.sadd(f"{p}sessions:{r}", session_id)
                pipe.set(f"{p}session:{session_id}", r)
                await pipe.execute()
        except RedisError as exc:
            self._unanswered(session_id, "is live", exc)

    async def release(self, admission: Admission) -> None:
        """See :meth:`~engine.server.registry.SessionRegistry.release`.

        Never raises for Redis: an unanswered release leaves the ticket to expire
        (``pending_ttl_ms``).
        """
        try:
            await self._redis.zrem(f"{self.prefix}pending:{self.replica_id}", admission.ticket)
        except RedisError as exc:
            log.warning("the registry did not answer a release (%s): its slot expires", exc)

    async def get(self, session_id: str) -> S | None:
        """See :meth:`~engine.server.registry.SessionRegistry.get`."""
        return self._sessions.get(session_id)

    async def remove(self, session_id: str) -> None:
        """See :meth:`~engine.server.registry.SessionRegistry.remove`.

        Never raises for Redis: a session ends whether or not Redis answers (a ``DELETE``
        while Redis is down is a 204, not a 500). Its entry, left behind then, is removed by
        the first heartbeat Redis answers (a full one: the session may have begun after the
        last beat, which then never wrote it).
        """
        if self._sessions.pop(session_id, None) is None:
            return
        p, r = self.prefix, self.replica_id
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.srem(f"{p}sessions:{r}", session_id)
                pipe.delete(f"{p}session:{session_id}")
                await pipe.execute()
        except RedisError as exc:
            self._unanswered(session_id, "ended", exc)

    def _unanswered(self, session_id: str, outcome: str, exc: RedisError) -> None:
        """A create/remove Redis did not answer: logged, not raised; the next beat is a full
        one, which writes or drops the session's entry."""
        with self._resync_lock:
            self._resync = True
        log.warning(
            "session %s %s; the registry did not answer (%s): the next heartbeat mends its entry",
            session_id,
            outcome,
            exc,
        )

    async def counts(self) -> RegistryCounts:
        """The whole cluster's live and pending sessions and its capacity (live replicas).

        Raises:
            RegistryUnavailable: Redis did not answer.
        """
        try:
            live, pending, cap = await self._counts(args=[self.prefix])
        except RedisError as exc:
            raise RegistryUnavailable(self.capacity, str(exc)) from exc
        capacity = self.cluster_capacity or int(cap)
        return RegistryCounts(int(live), int(pending), capacity)

    def local(self) -> list[S]:
        """See :meth:`~engine.server.registry.SessionRegistry.local`."""
        return list(self._sessions.values())

    # -- cluster views ---------------------------------------------------------------------
    async def owner(self, session_id: str) -> str | None:
        """The replica owning ``session_id`` (None: no such live session in the cluster)."""
        return await self._redis.get(f"{self.prefix}session:{session_id}")

    async def replica_sessions(self) -> dict[str, int]:
        """Live sessions per live replica (replica id → count), in two round trips: the
        replicas, then one pipeline asking each one's heartbeat and session count."""
        p = self.prefix
        replicas = await self._redis.hkeys(f"{p}replicas")
        async with self._redis.pipeline(transaction=False) as pipe:
            for replica in replicas:
                pipe.exists(f"{p}alive:{replica}")
                pipe.scard(f"{p}sessions:{replica}")
            answers = await pipe.execute()
        alive, counts = answers[0::2], answers[1::2]
        return {r: int(n) for r, up, n in zip(replicas, alive, counts, strict=True) if up}
