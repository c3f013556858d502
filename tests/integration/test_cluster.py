"""The local cluster through its proxy (``python -m engine.cluster``, as ``make cluster``):
two real ``dhe serve`` replicas sharing Redis, PostgreSQL and the sandboxes behind HAProxy.

Offers spread over the replicas and every later request of a session (events socket, DELETE)
reaches its owner; a full cluster answers 503 with ``Retry-After``; a replica killed with
SIGKILL leaves Redis within 5 s while the other replica's visitor keeps hearing audio, and new
offers succeed within 6 s; restarted, it takes offers again. The replicas load English models
only, to keep the module's start short.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from sqlalchemy import create_engine, text

from engine.cluster import __main__ as cluster
from engine.cluster import processes, services
from tests.conftest import REPO_ROOT, require_path
from tests.support.visitor import VisitorClient, offer_sdp

pytestmark = pytest.mark.slow

MAX_SESSIONS = 2  # per replica
REPLICAS = ("replica-1", "replica-2")
ENGLISH_ONLY = {
    "asr": {"models": {"en": "whisper-tiny.en"}},
    "tts": {"voices": {"en": {"provider": "piper", "voice": "piper-en_US-joe-medium"}}},
    "dialog": {"language": "en"},
}
QUESTION = "What are your opening hours?"


@pytest.fixture(scope="module")
def running() -> Iterator[tuple[str, dict, Path]]:
    """The cluster's URL, its state (ports, ids) and folder; stopped after the module."""
    for name in ("redis-server", "haproxy", "turnserver"):
        if services.program(name) is None:
            require_path(Path(f"/nonexistent/{name}"), f"{name} (apt-get install {name})")
    if services.postgres_bin("postgres") is None:
        require_path(Path("/nonexistent/postgres"), "PostgreSQL (apt-get install postgresql)")
    folder = REPO_ROOT / "var" / "test-cluster"
    port = processes.free_port()
    try:
        url = cluster.up(2, port, MAX_SESSIONS, folder=folder, settings=ENGLISH_ONLY)
        yield url, cluster.read_state(folder), folder
    finally:
        cluster.down(folder)


@pytest.fixture(scope="module")
def registry(running) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(running[1]["redis_url"], decode_responses=True)
    yield client
    client.close()


async def _visitor(url: str) -> VisitorClient:
    client = VisitorClient(url, decode_video=False)
    await client.connect()
    while not client.received.encoded_video:  # media up: the session holds its slot
        await asyncio.sleep(0.05)
    return client


async def _offer_status(url: str, sdp: str) -> tuple[int, dict[str, str], dict]:
    """POST one offer without keeping the session (it is deleted at once)."""
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(f"{url}/api/sessions", json={"sdp": sdp, "type": "offer"})
        if response.status_code == 201:
            await http.delete(f"{url}/api/sessions/{response.json()['session_id']}")
    return response.status_code, dict(response.headers), response.json()


def _max_gap_s(times: list[float]) -> float:
    return max((b - a for a, b in itertools.pairwise(times)), default=float("inf"))


def _replica_of(client: VisitorClient) -> str:
    assert client.session_id is not None
    return client.session_id.split(".", 1)[0]


async def test_cluster(running, registry: redis.Redis) -> None:
    """One scenario, in order (each step needs the one before)."""
    url, state, folder = running
    for name in cluster.service_names(state):  # each serving process's own PID
        pid = processes.read_pid(folder, name)
        assert pid is not None and processes.alive(pid), name
    database = create_engine(state["database_url"])
    with database.connect() as conn:  # the replicas migrated it, one at a time
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    database.dispose()
    sdp = await offer_sdp()
    visitors = [await _visitor(url), await _visitor(url)]
    try:
        await _spread_and_owned(visitors, registry)
        await _full_cluster_refuses(url, sdp, registry)
        await _killed_replica_is_cleaned_up(url, sdp, folder, visitors, registry)
        await _restarted_replica_rejoins(url, state, folder)
    finally:
        for client in visitors:
            await client.close()


async def _spread_and_owned(visitors: list[VisitorClient], registry: redis.Redis) -> None:
    assert {_replica_of(c) for c in visitors} == {"replica-1", "replica-2"}
    for client in visitors:
        assert registry.get(f"dhe:session:{client.session_id}") == _replica_of(client)
        await client.send_event({"type": "text", "text": QUESTION})  # the owner's socket
    for client in visitors:
        reply = await client.wait_event(lambda m: m.get("type") == "reply", timeout=60)
        assert "9" in reply["text"], reply


async def _full_cluster_refuses(url: str, sdp: str, registry: redis.Redis) -> None:
    extra = [await _visitor(url) for _ in range(2)]
    try:
        deadline = time.monotonic() + 5  # a session takes its slot once its media connected
        while any(registry.scard(f"dhe:sessions:{r}") < MAX_SESSIONS for r in REPLICAS):
            assert time.monotonic() < deadline, [_replica_of(c) for c in extra]
            await asyncio.sleep(0.1)
        assert [registry.scard(f"dhe:sessions:{r}") for r in REPLICAS] == [MAX_SESSIONS] * 2
        status, headers, body = await _offer_status(url, sdp)
        assert status == 503, body
        assert body["error"]["code"] == "too-many-sessions"
        assert int(headers["retry-after"]) >= 1
    finally:
        for client in extra:
            await client.close()  # DELETE through the proxy reaches each owner
    deadline = time.monotonic() + 10
    while registry.scard("dhe:sessions:replica-1") + registry.scard("dhe:sessions:replica-2") > 2:
        assert time.monotonic() < deadline, "deleted sessions still in Redis"
        await asyncio.sleep(0.1)


async def _killed_replica_is_cleaned_up(
    url: str, sdp: str, folder: Path, visitors: list[VisitorClient], registry: redis.Redis
) -> None:
    survivor = next(c for c in visitors if _replica_of(c) == "replica-1")
    victim = next(c for c in visitors if _replica_of(c) == "replica-2")
    loop = asyncio.get_running_loop()
    await survivor.send_event({"type": "text", "text": QUESTION})
    await survivor.wait_event(lambda m: m.get("state") == "speaking", timeout=60)
    pid = processes.read_pid(folder, "replica-2")
    assert pid is not None
    os.kill(pid, signal.SIGKILL)  # mid-reply on the survivor
    died, t_died = time.monotonic(), loop.time()
    while registry.get(f"dhe:session:{victim.session_id}") is not None:
        assert time.monotonic() - died < 5.0, "the dead replica's session is still in Redis"
        await asyncio.sleep(0.05)
    cleaned_s = time.monotonic() - died
    t_cleaned = loop.time()
    while True:  # an offer posted within 6 s of the death succeeds
        posted_s = time.monotonic() - died
        assert posted_s < 6.0, "no offer posted within 6 s of the death succeeded"
        if (await _offer_status(url, sdp))[0] == 201:
            break
        await asyncio.sleep(0.2)
    offered_s = time.monotonic() - died  # answered (an offer takes seconds on a busy machine)
    await asyncio.sleep(max(0.0, 3.0 - (time.monotonic() - died)))
    heard = [t for t, _ in survivor.received.audio]
    # From the death to its cleanup (before this test's own offers load the survivor's CPU).
    gap_s = _max_gap_s([t for t in heard if t_died <= t <= t_cleaned])
    # This machine's own jitter: the longest gap over the (speaking) seconds before the death.
    before_s = _max_gap_s([t for t in heard if t_died - 10.0 <= t <= t_died])
    measured = {"cleanup_s": cleaned_s, "new_offer_s": offered_s, "gap_ms": gap_s * 1000}
    print("replica death:", json.dumps({k: round(v, 2) for k, v in measured.items()}))
    print(f"survivor's longest audio gap: {before_s * 1000:.0f} ms before the death")
    # The bound is the 200 ms, or what this (shared) machine showed just before.
    assert gap_s < max(0.2, before_s * 1.5), f"the survivor's audio stopped {gap_s * 1000:.0f} ms"


async def _restarted_replica_rejoins(url: str, state: dict, folder: Path) -> None:
    replica = next(r for r in state["replicas"] if r["id"] == "replica-2")
    cluster.start_replica(state, replica, folder)
    deadline = time.monotonic() + 150
    cluster.wait_ready(f"http://127.0.0.1:{replica['port']}/healthz", "replica-2", folder, deadline)
    owners = set()
    for _ in range(6):  # round robin: the back replica gets one of the next offers
        client = await _visitor(url)
        owners.add(_replica_of(client))
        await client.close()
        if "replica-2" in owners:
            break
        await asyncio.sleep(0.5)
    assert "replica-2" in owners
