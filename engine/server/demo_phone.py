"""The demo phone of ``dhe serve``: the text messages the embedded sandboxes sent, for a person
trying the demo (README, first screen).

* ``GET /demo/phone`` — the page (``web_client/phone.html``), refreshing itself;
* ``GET /demo/phone.json`` — ``{"messages": [{"to", "text", "sent_at"}]}``, oldest first, ``to``
  masked to its last 4 digits.

Both exist only when the server runs the embedded sandboxes (``sandbox.embedded``): with the
operator's real systems they answer a JSON 404 ``no-demo-phone``, and while the sandboxes are
starting ``/demo/phone.json`` answers 503 ``not-ready``. The messages stay in the sandbox
processes' memory (:mod:`connectors.sandbox.outbox`); this module only relays them, and writes
them to no log.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from aiohttp import web

from engine.server import protocol
from engine.server.runtime import Runtime
from engine.systems import is_embedded


def routes(runtime: Runtime, web_client_dir: Path) -> list[web.RouteDef]:
    """The two routes, closing over the server's runtime (add them before the static files)."""

    def check_embedded() -> None:
        if not is_embedded(runtime.config):
            raise protocol.ApiError(
                404,
                "no-demo-phone",
                "the demo phone exists only with the embedded sandbox systems",
            )

    async def page(_request: web.Request) -> web.StreamResponse:
        check_embedded()
        return web.FileResponse(web_client_dir / "phone.html")

    async def messages(_request: web.Request) -> web.Response:
        check_embedded()
        cluster = runtime.sandboxes
        if cluster is None:
            raise protocol.ApiError(503, "not-ready", "the sandbox systems are still starting")
        try:
            sent = await asyncio.to_thread(cluster.text_messages)
        except httpx.HTTPError as exc:
            raise protocol.ApiError(
                503, "sandbox-unavailable", f"the sandboxes did not answer ({type(exc).__name__})"
            ) from exc
        return web.json_response({"messages": sent}, headers={"Cache-Control": "no-store"})

    return [web.get("/demo/phone", page), web.get("/demo/phone.json", messages)]
