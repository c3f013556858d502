"""The local cluster through its proxy (``python -m engine.cluster``, as ``make cluster``):
two real ``dhe serve`` replicas sharing Redis, PostgreSQL and the sandboxes behind HAProxy.

Offers spread over the replicas and every later request of a session (events socket, DELETE)
reaches its owner; a full cluster answers 503 with ``Retry-After``; a replica killed with
SIGKILL leaves Redis within 5 s while the other replica's visitor keeps hearing audio; the
visitor page on the killed replica (headless Chromium through the proxy) shows at once that it
is reconnecting, posts a new offer within 6 s of the death that succeeds, and is connected to
the survivor again with its video playing; restarted, the killed replica takes offers again.
The replicas load English models only, to keep the module's start short.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import signal
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import redis
from sqlalchemy import create_engine, text

from engine.cluster import __main__ as cluster
from engine.cluster import processes, services
from tests.conftest import REPO_ROOT, require_path
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.server_process import ENGLISH_ONLY
from tests.support.visitor import VisitorClient, offer_sdp

pytestmark = pytest.mark.slow

MAX_SESSIONS = 2  # per replica
REPLICAS = ("replica-1", "replica-2")
QUESTION = "What are your opening hours?"
#: The page shows its reconnecting state this soon after its replica's death: the events socket
#: through the proxy closes at once (a dead peer connection alone would take ~4 s more).
RECONNECTING_WITHIN_S = 3.0
#: ... and is connected to a survivor again, its video playing, this soon: its first new offer
#: leaves 0.5 s after the loss and the proxy retries it past the dead replica; answering takes
#: seconds on a busy machine (the issue's bound for any new offer is 6 s).
RECONNECTED_WITHIN_S = 10.0
#: Every change of the page's status, notice and session id, and every offer it posts, as
#: [Date.now() ms, what, value] in window.__trail (the page's clock is the machine's, as
#: time.time() is).
RECORD_TRAIL_JS = """
() => {
  window.__trail = [];
  const watch = (el, what, read, options) => new MutationObserver(
    () => window.__trail.push([Date.now(), what, read()])).observe(el, options);
  watch(document.getElementById('status'), 'status',
        () => document.getElementById('status').dataset.state, {attributes: true});
  watch(document.getElementById('notice'), 'notice',
        () => document.getElementById('notice').textContent,
        {childList: true, characterData: true, subtree: true});
  watch(document.body, 'session', () => document.body.dataset.sessionId ?? null,
        {attributes: true, attributeFilter: ['data-session-id']});
  const post = window.fetch;  // each offer: [its status, ms to the answer] at the time posted
  window.fetch = async (url, options) => {
    const t0 = Date.now();
    const response = await post(url, options);
    if (options?.method === 'POST') {
      window.__trail.push([t0, 'offer', [response.status, Date.now() - t0]]);
    }
    return response;
  };
}
"""


@pytest.fixture(scope="module")
def running() -> Iterator[tuple[str, dict, Path]]:
    """The cluster's URL, its state (ports, ids) and folder; stopped after the module."""
    for name in ("redis-server", "haproxy", "turnserver"):
        if services.program(name) is None:
            require_path(Path(f"/nonexistent/{name}"), f"{name} (apt-get install {name})")
    if services.postgres_bin("postgres") is None:
        require_path(Path("/nonexistent/postgres"), "PostgreSQL (apt-get install postgresql)")
    require_path(CHROMIUM, "Chromium (Debian package 'chromium')")
    pytest.importorskip("playwright.async_api")
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


@contextlib.asynccontextmanager
async def _visitor_page(url: str) -> AsyncIterator:
    """The visitor page through the proxy in headless Chromium (no microphone or camera
    permission: it types), its session started and its trail recorded; its session deleted and
    the browser closed on exit."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = await browser.new_page(locale="en-US")
            await page.goto(f"{url}/")
            await page.wait_for_selector("body[data-ready='true']", timeout=15_000)
            await page.evaluate(RECORD_TRAIL_JS)
            await page.click("#start")
            await page.wait_for_selector("#status[data-state='connected']", timeout=30_000)
            yield page
            await page.evaluate(
                """async () => { const id = document.body.dataset.sessionId;
                  if (id) await fetch(`api/sessions/${id}`, {method: 'DELETE'}); }"""
            )
        finally:
            await browser.close()


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
        async with _visitor_page(url) as page:  # the replica it lands on is the one killed
            session = await page.get_attribute("body", "data-session-id")
            killed = session.split(".", 1)[0]
            died = await _killed_replica_is_cleaned_up(folder, visitors, registry, killed)
            await _page_reconnected(page, killed, session, died, registry)
        await _restarted_replica_rejoins(url, state, folder, killed)
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
    folder: Path, visitors: list[VisitorClient], registry: redis.Redis, killed: str
) -> float:
    """SIGKILL replica ``killed`` while the other one speaks; returns the death's time.time()."""
    survivor = next(c for c in visitors if _replica_of(c) != killed)
    victim = next(c for c in visitors if _replica_of(c) == killed)
    loop = asyncio.get_running_loop()
    await survivor.send_event({"type": "text", "text": QUESTION})
    await survivor.wait_event(lambda m: m.get("state") == "speaking", timeout=60)
    pid = processes.read_pid(folder, killed)
    assert pid is not None
    os.kill(pid, signal.SIGKILL)  # mid-reply on the survivor
    died, t_died, died_wall = time.monotonic(), loop.time(), time.time()
    while registry.get(f"dhe:session:{victim.session_id}") is not None:
        assert time.monotonic() - died < 5.0, "the dead replica's session is still in Redis"
        await asyncio.sleep(0.05)
    cleaned_s = time.monotonic() - died
    heard = [t for t, _ in survivor.received.audio]
    gap_s = _max_gap_s([t for t in heard if t_died <= t <= loop.time()])
    # This machine's own jitter: the longest gap over the (speaking) seconds before the death.
    before_s = _max_gap_s([t for t in heard if t_died - 10.0 <= t <= t_died])
    measured = {"cleanup_s": cleaned_s, "gap_ms": gap_s * 1000}
    print("replica death:", json.dumps({k: round(v, 2) for k, v in measured.items()}))
    print(f"survivor's longest audio gap: {before_s * 1000:.0f} ms before the death")
    # The bound is the 200 ms, or what this (shared) machine showed just before.
    assert gap_s < max(0.2, before_s * 1.5), f"the survivor's audio stopped {gap_s * 1000:.0f} ms"
    return died_wall


async def _page_reconnected(
    page, killed: str, old_session: str, died_wall: float, registry: redis.Redis
) -> None:
    """The page on the killed replica said it was reconnecting, posted a new offer within 6 s
    of the death that was answered (the proxy's way past a dead replica), and got a new
    session on the survivor whose video plays (else, at the bound, the trail says why)."""
    await page.wait_for_function(
        """([killed, until_ms]) => { const id = document.body.dataset.sessionId;
          const video = document.querySelector('video');
          const status = document.getElementById('status').dataset.state;
          return (id && !id.startsWith(killed + '.') && status === 'connected'
                  && video.videoWidth > 0 && video.currentTime > 1.0) || Date.now() > until_ms; }""",
        arg=[killed, (died_wall + RECONNECTED_WITHIN_S + 2.0) * 1000],
        timeout=(RECONNECTED_WITHIN_S + 30.0) * 1000,
    )
    trail = [
        (round(t / 1000 - died_wall, 2), what, v)
        for t, what, v in await page.evaluate("() => window.__trail")
        if t / 1000 >= died_wall
    ]
    lost_s = next((s for s, what, v in trail if what == "status" and v == "reconnecting"), None)
    offer = next(((s, v) for s, what, v in trail if what == "offer" and v[0] == 201), None)
    back_s = next((s for s, what, v in trail if what == "status" and v == "connected"), None)
    said = [v for _, what, v in trail if what == "notice" and "connection was lost" in v]
    session = await page.get_attribute("body", "data-session-id")
    video = await page.evaluate(
        "() => { const v = document.querySelector('video'); return [v.videoWidth, v.currentTime]; }"
    )
    print("page on the killed replica:", json.dumps({"trail": trail, "video": video}))
    assert lost_s is not None and lost_s < RECONNECTING_WITHIN_S, trail
    assert said, trail  # "The connection was lost. Starting a new session…"
    assert offer is not None and offer[0] < 6.0, f"no offer posted in 6 s succeeded: {trail}"
    assert back_s is not None and back_s < RECONNECTED_WITHIN_S, trail
    assert session and not session.startswith(f"{killed}."), trail
    assert registry.get(f"dhe:session:{session}") == session.split(".", 1)[0]
    assert registry.get(f"dhe:session:{old_session}") is None
    assert video[0] > 0 and video[1] > 1.0, f"no video playing on the new session: {video}"


async def _restarted_replica_rejoins(url: str, state: dict, folder: Path, name: str) -> None:
    replica = next(r for r in state["replicas"] if r["id"] == name)
    cluster.start_replica(state, replica, folder)
    deadline = time.monotonic() + 150
    cluster.wait_ready(f"http://127.0.0.1:{replica['port']}/healthz", name, folder, deadline)
    owners = set()
    for _ in range(6):  # round robin: the back replica gets one of the next offers
        client = await _visitor(url)
        owners.add(_replica_of(client))
        await client.close()
        if name in owners:
            break
        await asyncio.sleep(0.5)
    assert name in owners
