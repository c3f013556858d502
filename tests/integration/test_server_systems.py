"""``dhe serve`` deployed the way an operator wires it to the business systems: the bank is a
``dhe sandbox bank --demo-otp`` started on its own and reached through ``DHE_BANK_BASE_URL`` /
``DHE_BANK_API_KEY``, the tax system is down, and ``--config`` says ``sandbox.embedded: false``
with its declarations folder and audit database. The server starts and says the tax system is
unavailable; a visitor on a real WebRTC session verifies over the events socket and gets the
balance the bank's database holds; every connector call lands in the configured database."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from tests.integration.test_systems import stored_balance
from tests.support.deployment import closed_port, deployment_config, sandbox_process
from tests.support.server_process import ENGLISH_ONLY, ServerProcess
from tests.support.visitor import VisitorClient

pytestmark = pytest.mark.slow


def rows(db: Path, sql: str) -> list[tuple]:
    con = sqlite3.connect(str(db))
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def is_reply(kind: str):
    return lambda m: m.get("type") == "reply" and (m.get("card") or {}).get("kind") == kind


async def test_serve_uses_the_configured_systems_and_audit_database(tmp_path: Path) -> None:
    audit_db = tmp_path / "audit" / "engine.db"
    config = deployment_config(tmp_path, audit_db, extra=ENGLISH_ONLY)  # English turns only
    with sandbox_process("bank", tmp_path / "bank.db") as bank:
        env = {
            **bank.env(),
            "DHE_TAX_BASE_URL": f"http://127.0.0.1:{closed_port()}",
            "DHE_TAX_API_KEY": "not-used",
        }
        server = ServerProcess(env=env, args=["--config", str(config)])
        url = server.start()
        client = VisitorClient(url, decode_video=False)
        try:
            assert any("business system tax unavailable" in line for line in server.log)
            ready = next(line for line in server.log if "ready in" in line)
            assert "business systems unavailable: tax" in ready
            await client.connect()
            await client.send_event({"type": "text", "text": "what's my balance"})
            await client.wait_event(is_reply("keypad"), timeout=60)
            await client.send_event({"type": "keypad", "digits": "4417"})
            sent = await client.wait_event(lambda m: "88" in m.get("text", ""), timeout=60)
            assert sent["type"] == "reply"
            await client.send_event({"type": "keypad", "digits": "123456"})
            balance = await client.wait_event(is_reply("balance"), timeout=60)
            # the verified turn's metrics carry the connector stage's time
            await client.wait_event(
                lambda m: m.get("type") == "metrics" and m["timings_ms"]["connector"], timeout=60
            )
        finally:
            await client.close()
            server.stop()
        expected = stored_balance(bank.db)
    assert Decimal(balance["card"]["amount"].replace(",", "")) == expected
    calls = rows(audit_db, "SELECT session_id, operation, outcome FROM connector_calls ORDER BY id")
    assert [(op, outcome) for _, op, outcome in calls] == [
        ("bank.start_verification", "ok"),
        ("bank.verify_otp", "ok"),
        ("bank.get_balance", "ok"),
    ]
    assert {sid for sid, _, _ in calls} == {client.session_id}
    sessions = rows(audit_db, "SELECT session_id, domain, channel FROM sessions")
    assert sessions == [(client.session_id, "bank", "webrtc")]  # one engine database for both
