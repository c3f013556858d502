"""A server whose start-up failed (here: an ASR model path that does not exist) is out of
service, not "still loading": ``/healthz`` says why, and an offer gets a 503 ``start-up-failed``
with a long ``Retry-After`` instead of the ``not-ready`` that kept kiosk pages on "please wait"
for ever. The reason, which names a server path, is not in the answer to a visitor's page."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp.test_utils import TestClient, TestServer

from engine.config import EngineConfig
from engine.server.app import build_app
from engine.server.offers import STARTUP_FAILED_RETRY_S

pytestmark = [pytest.mark.slow]

MISSING = "/nonexistent/whisper-small"


async def test_an_offer_to_a_server_whose_start_up_failed_says_so(tmp_path, caplog) -> None:
    config = EngineConfig(
        asr={"models": {"en": MISSING, "zh": MISSING}},
        sandbox={"embedded": False},
    )
    app = build_app(config, var=tmp_path)
    async with TestClient(TestServer(app)) as client:
        for _ in range(600):  # the start-up runs in the background: 60 s at most
            health = await (await client.get("/healthz")).json()
            if health["checks"]["models"]["status"] == "failed":
                break
            await asyncio.sleep(0.1)
        assert health["checks"]["models"]["status"] == "failed", health
        assert MISSING in health["checks"]["models"]["reason"]  # staff learn why
        resp = await client.post("/api/sessions", json={"sdp": "v=0", "type": "offer"})
        assert resp.status == 503
        assert resp.headers["Retry-After"] == str(STARTUP_FAILED_RETRY_S)
        error = (await resp.json())["error"]
        assert error["code"] == "start-up-failed"
        assert error["retry_after_s"] == STARTUP_FAILED_RETRY_S
        assert MISSING not in error["message"]  # no server path to a visitor's page
        metrics = await (await client.get("/metrics")).text()
        assert 'reason="start-up-failed"' in metrics
    # the log says why in one line: no traceback unless asked for (-vv), newcomer10
    (failed,) = [r for r in caplog.records if "start-up failed" in r.getMessage()]
    assert failed.levelname == "ERROR" and MISSING in failed.getMessage()
    assert failed.exc_info is None
