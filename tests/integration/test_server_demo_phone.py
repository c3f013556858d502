"""``dhe serve``'s demo phone: ``GET /demo/phone`` (the page) and ``GET /demo/phone.json`` (the
sandboxes' text messages) exist only with the embedded sandboxes; otherwise both answer a JSON
404. The messages come from the sandboxes' memory, oldest first, the number masked.

The routes run in a small aiohttp app with the server's error middleware and a runtime that was
not started (no models loaded); the embedded case gets real sandbox processes, as
``Runtime.start`` would give it. The whole server is tried in ``tests/e2e/test_readme_demo.py``.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from connectors.embedded import SandboxCluster
from engine.config import EngineConfig
from engine.server import demo_phone
from engine.server.app import WEB_CLIENT_DIR, errors_middleware
from engine.server.runtime import Runtime


@pytest.fixture
async def runtimes():
    """Runtimes made by a test (never started: no models), closed at its end."""
    made: list[Runtime] = []

    def make(**sandbox: object) -> Runtime:
        made.append(Runtime(EngineConfig(sandbox=sandbox)))
        return made[-1]

    yield make
    for runtime in made:
        await runtime.close()


def _client(runtime: Runtime) -> TestClient:
    app = web.Application(middlewares=[errors_middleware])
    app.router.add_routes(demo_phone.routes(runtime, WEB_CLIENT_DIR))
    return TestClient(TestServer(app))


async def test_without_embedded_sandboxes_there_is_no_demo_phone(runtimes) -> None:
    runtime = runtimes(embedded=False)
    async with _client(runtime) as client:
        for path in ("/demo/phone", "/demo/phone.json"):
            resp = await client.get(path)
            assert resp.status == 404, path
            assert (await resp.json())["error"]["code"] == "no-demo-phone"


@pytest.mark.slow
async def test_embedded_sandboxes_text_the_code_to_the_demo_phone(tmp_path: Path, runtimes) -> None:
    runtime = runtimes(embedded=True)
    async with _client(runtime) as client:
        # still starting: no cluster yet
        resp = await client.get("/demo/phone.json")
        assert resp.status == 503 and (await resp.json())["error"]["code"] == "not-ready"
        with SandboxCluster.start(tmp_path, systems=("bank",)) as cluster:
            runtime.sandboxes = cluster  # what Runtime.start sets in embedded mode
            page = await client.get("/demo/phone")
            assert page.status == 200 and page.content_type == "text/html"
            assert "Demo phone" in await page.text()
            resp = await client.get("/demo/phone.json")
            assert resp.status == 200 and await resp.json() == {"messages": []}
            assert resp.headers["Cache-Control"] == "no-store"

            started = httpx.post(
                cluster.urls["bank"] + "/v1/verifications",
                headers={"X-API-Key": cluster.api_keys["bank"]},
                json={"card_last4": "4417"},
            )
            code = cluster.read_otp("bank", started.json()["verification_id"])
            (message,) = (await (await client.get("/demo/phone.json")).json())["messages"]
            assert message["to"] == "*******1288" and code in message["text"]
        # the sandboxes are gone: a clear 503, not a traceback
        resp = await client.get("/demo/phone.json")
        assert resp.status == 503
        assert (await resp.json())["error"]["code"] == "sandbox-unavailable"
