"""Offers overlapping each other's slow part keep to the address's share (newcomer #10): the
per-address checks ran before the offer awaited its dialog engine, renderer and answer, so
offers made meanwhile all passed, and a third live session from one address was admitted after
an 11.7 s offer. One real ``dhe serve`` and three real aiortc visitors from one address.

The fault injected on purpose: the server's ``Runtime.take_renderer`` waits
:data:`DELAY_S` before it hands out a renderer (a slow renderer start, as on a busy machine),
through a ``sitecustomize`` module given to the server process only (its children do not get
it), so the three offers' awaits overlap every time."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import aiohttp
import pytest

from tests.support.server_setups import delay_hook, hooked_server
from tests.support.visitor import VisitorClient

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

#: Seconds the injected fault holds each renderer back: long enough that three offers sent
#: together are all inside it at once.
DELAY_S = 3.0

#: Loaded by the server's interpreter at start-up (``PYTHONPATH``): wraps take_renderer with the
#: delay, then removes itself from the environment so the sandboxes' processes run unchanged.
SITECUSTOMIZE = delay_hook(
    "DHE_TEST_RENDERER_DELAY_S",
    """
from engine.server import runtime as _runtime

_take = _runtime.Runtime.take_renderer

async def _slow_take(self, size=None):
    await asyncio.sleep(_delay)
    return await _take(self, size)

_runtime.Runtime.take_renderer = _slow_take
""",
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    env = {
        "DHE_TEST_RENDERER_DELAY_S": str(DELAY_S),
        "DHE_SERVER__MAX_SESSIONS": "4",  # room for a third: only the address's share stops it
        "DHE_SERVER__LIMITS__SESSIONS_PER_ADDRESS": "2",
        "DHE_SERVER__LIMITS__CONNECTING_PER_ADDRESS": "4",
    }
    with hooked_server(tmp_path_factory, "slow-renderer", SITECUSTOMIZE, env) as proc:
        yield proc


async def _health(url: str) -> dict:
    async with aiohttp.ClientSession() as http, http.get(f"{url}/healthz") as resp:
        return await resp.json()


async def test_three_overlapping_offers_from_one_address_admit_two(server) -> None:
    url = server.base_url
    visitors = [VisitorClient(url, decode_video=False) for _ in range(3)]
    try:
        results = await asyncio.gather(*(v.connect() for v in visitors), return_exceptions=True)
        refused = [r for r in results if isinstance(r, aiohttp.ClientResponseError)]
        assert [r for r in results if r is not None and r not in refused] == [], results
        assert len(refused) == 1, results  # before the fix: none refused, three answered
        assert refused[0].status == 429
        error = json.loads(refused[0].message)["error"]
        assert error["code"] == "too-many-sessions-from-address", error
        assert error["retry_after_s"] >= 1 and "at most 2" in error["message"], error
        admitted = [v for v, r in zip(visitors, results, strict=True) if r is None]
        for visitor in admitted:  # their media connects and each takes a slot
            await visitor.wait_event(lambda m: m.get("state") == "idle", timeout=60)
        async with asyncio.timeout(15):
            while (body := await _health(url))["sessions"] != 2:
                await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)  # no third goes live late (it did before the fix)
        body = await _health(url)
        assert body["sessions"] == 2 and body["checks"]["sessions"]["connecting"] == 0, body
    finally:
        for visitor in visitors:
            await visitor.close()
    # the refused offer holds nothing: the address's share is whole again once they leave
    async with asyncio.timeout(15):
        while (await _health(url))["sessions"]:
            await asyncio.sleep(0.2)
    again = VisitorClient(url, decode_video=False)
    try:
        await again.connect()
    finally:
        await again.close()


def test_the_hook_is_the_servers_alone(tmp_path: Path) -> None:
    """The injected delay reaches the server only: the module drops itself from PYTHONPATH."""
    (tmp_path / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(tmp_path), "DHE_TEST_RENDERER_DELAY_S": "0"}
    out = subprocess.run(
        [sys.executable, "-c", "import os; print(os.environ.get('PYTHONPATH', ''))"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert str(tmp_path) not in out.stdout
