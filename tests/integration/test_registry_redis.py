"""The Redis session registry against a real redis-server: ownership, per-replica and cluster
admission, expiring admissions, and a dead replica's sessions removed by the survivors'
heartbeats (``engine.server.redis_registry``)."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
import redis
import redis.asyncio as aioredis
from redis.commands.core import Script
from redis.exceptions import RedisError

from engine.cluster.processes import free_port
from engine.server.admission import Gate
from engine.server.limits import AddressLimits, LimitSettings
from engine.server.metrics import ServerMetrics
from engine.server.offers import SessionRoutes
from engine.server.redis_registry import (
    ClusterFull,
    RedisRegistry,
    RegistryUnavailable,
)
from engine.server.registry import Admission, RegistryFull
from tests.support.redisd import RedisServer, redis_server


@pytest.fixture(scope="module")
def redisd() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


@pytest.fixture(scope="module")
def redis_url(redisd: RedisServer) -> str:
    return redisd.url


def _replica(url: str, prefix: str, rid: str, capacity: int = 2, **kw) -> RedisRegistry[str]:
    return RedisRegistry(url, rid, capacity, prefix=prefix, **kw)


@pytest.fixture
def prefix() -> str:
    return f"t{secrets.token_hex(4)}:"


async def test_sessions_are_owned_counted_and_forgotten(redis_url: str, prefix: str) -> None:
    a, b = _replica(redis_url, prefix, "r1"), _replica(redis_url, prefix, "r2", capacity=3)
    await a.start()
    await b.start()
    try:
        sid = a.new_session_id()
        assert sid.startswith("r1.") and len(sid) == 3 + 16
        await a.create(await a.admit(), sid, "visitor-1")
        pending = await b.admit()
        assert await a.get(sid) == "visitor-1"
        assert await b.get(sid) is None  # the object lives in its owner only
        assert await b.owner(sid) == "r1"
        counts = await b.counts()
        assert (counts.live, counts.pending, counts.capacity) == (1, 1, 5)
        await b.release(pending)
        await b.release(pending)  # idempotent
        assert await a.replica_sessions() == {"r1": 1, "r2": 0}
        await a._redis.delete(f"{prefix}alive:r2")  # r2 looks dead until its next beat
        assert await a.replica_sessions() == {"r1": 1}
        await a.remove(sid)
        await a.remove(sid)
        assert await a.owner(sid) is None
        assert (await a.counts()).live == 0
        assert a.local() == []
    finally:
        await a.close()
        await b.close()


async def test_replica_and_cluster_capacity(redis_url: str, prefix: str) -> None:
    a = _replica(redis_url, prefix, "r1", capacity=1)
    b = _replica(redis_url, prefix, "r2", capacity=2, cluster_capacity=2)
    await a.start()
    await b.start()
    try:
        await a.create(await a.admit(), a.new_session_id(), "s1")
        with pytest.raises(RegistryFull) as full:
            await a.admit()
        assert not isinstance(full.value, ClusterFull) and full.value.capacity == 1
        await b.admit()  # 2 of the cluster's 2
        with pytest.raises(ClusterFull) as cluster_full:
            await b.admit()
        assert cluster_full.value.capacity == 2
    finally:
        await a.close()
        await b.close()


async def test_an_abandoned_admission_frees_its_slot(redis_url: str, prefix: str) -> None:
    a = _replica(redis_url, prefix, "r1", capacity=1, pending_ttl_ms=300)
    await a.start()
    try:
        await a.admit()  # never created nor released (the offer's process died)
        with pytest.raises(RegistryFull):
            await a.admit()
        await asyncio.sleep(0.4)
        await a.admit()
    finally:
        await a.close()


async def test_a_dead_replicas_sessions_vanish_within_5_s(redis_url: str, prefix: str) -> None:
    """The dead replica's heartbeat lives 1.2 s, not the default 3 s, to keep the test short:
    the cluster test checks the 5 s with the default settings."""
    dead = _replica(redis_url, prefix, "r1", heartbeat_interval_ms=400, heartbeat_ttl_ms=1200)
    survivor = _replica(redis_url, prefix, "r2")
    await dead.start()
    await survivor.start()
    try:
        sids = [dead.new_session_id() for _ in range(2)]
        for sid in sids:
            await dead.create(await dead.admit(), sid, sid)
        assert (await survivor.counts()).live == 2
        assert dead._heartbeat is not None
        dead._stop.set()  # the replica dies: no more heartbeats, nothing cleaned up
        dead._heartbeat.join()
        died = time.monotonic()
        while any([await survivor.owner(s) for s in sids]):
            assert time.monotonic() - died < 5.0, "dead replica's sessions still in Redis"
            await asyncio.sleep(0.1)
        assert await survivor.replica_sessions() == {"r2": 0}
        assert (await survivor.counts()).capacity == 2  # the dead replica's slots are gone
    finally:
        await survivor.close()
        await dead.close()


async def test_a_replicas_heartbeat_makes_redis_match_its_sessions(
    redis_url: str, prefix: str
) -> None:
    """A heartbeat rewrites the sessions Redis lost (a restart, or an outage its beats saw
    fail), and drops an entry a ``remove`` left behind when Redis did not answer (that
    ``remove`` raises nothing: a ``DELETE`` was a 500); otherwise it writes only what changed.
    The outages are injected on purpose: the replica's clients are pointed at a closed port."""
    a = _replica(redis_url, prefix, "r1")
    await a.start()
    try:
        sid, ended = a.new_session_id(), a.new_session_id()
        await a.create(await a.admit(), sid, "s")
        await a.create(await a.admit(), ended, "ended")
        client, a._redis = a._redis, aioredis.Redis.from_url(f"redis://127.0.0.1:{free_port()}/0")
        try:
            await a.remove(ended)
        finally:
            await a._redis.aclose()
            a._redis = client
        assert a.local() == ["s"] and await a.owner(ended) == "r1"  # left behind in Redis
        await a.beat()
        assert await a.owner(ended) is None
        await a._redis.delete(f"{prefix}session:{sid}")
        await a.beat()  # nothing changed since the last beat: nothing rewritten
        assert await a.owner(sid) is None
        script, a._beat_script = a._beat_script, _unreachable(a._beat_script)
        try:
            with pytest.raises(RedisError):
                await a.beat()
        finally:
            a._beat_script = script
        await a.beat()  # Redis answers again: the whole set is written back
        assert await a.owner(sid) == "r1"
        keys = await a._redis.keys(f"{prefix}*")
        await a._redis.delete(*keys)  # as after a Redis restart
        await a.beat()
        assert await a.owner(sid) == "r1"
        assert (await a.counts()).live == 1
    finally:
        await a.close()


async def test_a_redis_outage_between_admit_and_create_ends_no_session(
    redisd: RedisServer, prefix: str
) -> None:
    """Redis stops after a session's admission and before its ``create`` (the outage is
    injected at that point on purpose: the real redis-server is stopped, its keys kept). The
    session goes live all the same (``create``, then the count after it, raised out of the
    session's task, which ended the session), and once Redis answers again the next heartbeat
    writes its entry. The session is a stand-in: going live reads only its id."""
    registry = _replica(
        redisd.url, prefix, "r1", heartbeat_interval_ms=60_000, heartbeat_ttl_ms=120_000
    )  # no beat of its own during the test: the one below is the next
    await registry.start()
    gate = Gate(registry, AddressLimits(LimitSettings()))
    routes = SessionRoutes(SimpleNamespace(metrics=ServerMetrics()), gate, access=None)
    session = SimpleNamespace(id=registry.new_session_id(), ended=asyncio.Event())
    create = registry.create

    async def create_after_redis_stops(*args) -> None:
        redisd.stop(keep_keys=True)
        await create(*args)

    registry.create = create_after_redis_stops
    gate.hold(session, "127.0.0.1")
    try:
        await routes._went_live(session)
        assert await gate.get(session.id) is session and registry.local() == [session]
        await registry.release(Admission("offer-that-failed"))  # unanswered: it expires
        redisd.start()
        assert await registry.owner(session.id) is None  # create was not answered
        await registry.beat()
        assert await registry.owner(session.id) == "r1"
        counts = await registry.counts()
        assert (counts.live, counts.pending) == (1, 1)  # its ticket expires (pending_ttl_ms)
    finally:
        if not redisd.running:
            redisd.start()
        await registry.close()


def _unreachable(script: Script) -> Script:
    """``script`` run by a client of a closed port (an injected outage)."""
    client = redis.Redis.from_url(f"redis://127.0.0.1:{free_port()}/0")
    return client.register_script(script.script)


async def test_unreachable_redis_refuses_admission() -> None:
    a = RedisRegistry(f"redis://127.0.0.1:{free_port()}/0", "r1", 2)
    with pytest.raises(RegistryUnavailable, match="unreachable"):
        await a.admit()
    await a.close()


def test_replica_ids_are_checked() -> None:
    with pytest.raises(ValueError, match="replica id"):
        RedisRegistry("redis://127.0.0.1:1/0", "Replica 1", 2)


def test_serve_with_an_unreachable_registry_exits_2() -> None:
    env = {
        **os.environ,
        "DHE_CLUSTER__REGISTRY_URL": f"redis://127.0.0.1:{free_port()}/0",
        "DHE_CLUSTER__REPLICA_ID": "r9",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "engine.cli", "serve", "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2, proc.stderr
    assert "cannot reach the session registry" in proc.stderr


def _health(port: int, server: subprocess.Popen, log: Path) -> httpx.Response:
    """The first answer of the server's ``/healthz`` (it answers while its models load)."""
    deadline = time.monotonic() + 60
    while True:
        assert server.poll() is None, log.read_text()[-2000:]
        assert time.monotonic() < deadline, "dhe serve did not answer /healthz in 60 s"
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
        except httpx.TransportError:
            time.sleep(0.2)


def test_healthz_says_down_when_redis_stops(tmp_path: Path) -> None:
    """A replica whose Redis stops answers ``/healthz`` 503 ``down`` naming the ``registry``
    check (it was a 500: counting the slots raised). The replica is stopped before its models
    have loaded: its health answers from the start."""
    port, log = free_port(), tmp_path / "serve.log"
    server = None
    try:
        with redis_server() as redisd, log.open("w") as out:
            env = {
                **os.environ,
                "DHE_CLUSTER__REGISTRY_URL": redisd.url,
                "DHE_CLUSTER__REPLICA_ID": "r1",
                "DHE_VAR_DIR": str(tmp_path),
                "DHE_SANDBOX__EMBEDDED": "false",  # no sandboxes to start
            }
            argv = [sys.executable, "-m", "engine.cli", "serve", "--port", str(port)]
            server = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
            before = _health(port, server, log)
        after = _health(port, server, log)  # Redis stopped
    finally:
        if server is not None:  # nothing of it to keep: no graceful stop needed
            server.kill()
            server.wait(timeout=30)
    assert before.json()["checks"]["registry"] == {"status": "ok"}, before.text
    assert after.status_code == 503, after.text
    body = after.json()
    assert body["status"] == "down"
    assert body["checks"]["registry"]["status"] == "down"
    assert any(
        r.startswith("registry: the session registry is unreachable") for r in body["reasons"]
    )
    assert body["sessions"] is None
