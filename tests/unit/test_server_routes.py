"""Answers under ``/api/`` are always the JSON error shape: an unknown path is a 404
``not-found``, a known path with the wrong method a 405 ``method-not-allowed`` with ``Allow``,
also for GET, which the visitor page's catch-all route used to turn into a 404; aiohttp's own
refusals (a WebSocket request without Upgrade) are JSON too. The routes run
in a small aiohttp app laid out like ``build_app``'s (API routes, then the page's catch-all),
with the server's error middleware and stand-in handlers (nothing here starts a runtime)."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from engine.server.app import errors_middleware, web_client_file


async def _stand_in(_request: web.Request) -> web.Response:
    return web.json_response({})


async def _events(request: web.Request) -> web.StreamResponse:
    socket = web.WebSocketResponse()
    await socket.prepare(request)  # refuses a request without Upgrade, as the server's does
    return socket


@pytest.fixture
async def client():
    app = web.Application(middlewares=[errors_middleware])
    app.router.add_post("/api/sessions", _stand_in)
    app.router.add_delete("/api/sessions/{session_id}", _stand_in)
    app.router.add_get("/api/sessions/{session_id}/events", _events)
    app.router.add_get("/{name:[^/].*}", web_client_file)  # after the API routes, as served
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", "/api/sessions", "POST"),
        ("PUT", "/api/sessions", "POST"),
        ("GET", "/api/sessions/abc", "DELETE"),
        ("POST", "/api/sessions/abc/events", "GET, HEAD"),
    ],
)
async def test_a_known_api_path_with_the_wrong_method_is_a_json_405(
    client: TestClient, method: str, path: str, allow: str
) -> None:
    resp = await client.request(method, path)
    assert resp.status == 405 and resp.headers["Allow"] == allow
    error = (await resp.json())["error"]
    assert error == {
        "code": "method-not-allowed",
        "message": f"{method} is not allowed on {path}; allowed: {allow}",
    }


async def test_an_unknown_api_path_is_a_json_404(client: TestClient) -> None:
    for method in ("GET", "POST"):
        resp = await client.request(method, "/api/nope")
        assert resp.status == 404
        assert (await resp.json())["error"] == {
            "code": "not-found",
            "message": "no route /api/nope",
        }
    page = await client.get("/nope.html")  # outside /api/: the page's plain 404
    assert page.status == 404 and page.content_type != "application/json"


async def test_a_wrong_method_outside_api_is_a_json_405_too(client: TestClient) -> None:
    """``POST /demo/phone.json`` answered aiohttp's plain-text 405."""
    resp = await client.post("/demo/phone.json")
    assert resp.status == 405 and resp.headers["Allow"] == "GET, HEAD"
    assert (await resp.json())["error"] == {
        "code": "method-not-allowed",
        "message": "POST is not allowed on /demo/phone.json; allowed: GET, HEAD",
    }


async def test_aiohttp_refusals_under_api_are_json(client: TestClient) -> None:
    resp = await client.get("/api/sessions/abc/events")  # no WebSocket upgrade
    assert resp.status == 400
    error = (await resp.json())["error"]
    assert error["code"] == "bad-request" and "WebSocket" in error["message"]


async def test_the_page_files_are_served_and_its_readme_is_not(client: TestClient) -> None:
    """newcomer18: ``GET /README.md`` served the page folder's developer notes."""
    assert (await client.get("/js/captions.js")).status == 200
    assert (await client.get("/styles.css")).status == 200
    for path in ("/README.md", "/readme.md", "/js/../README.md"):
        assert (await client.get(path)).status == 404, path
