"""The sandboxes' text messages reach the demo phone: a started verification texts its code to
the phone on file, the engine reads the messages of both sandboxes (oldest first) through the
test-only route, the number is masked as in the logs, and neither the code nor the message is
written to a sandbox's log or database."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from pathlib import Path

import httpx
import pytest

from connectors.embedded import SandboxCluster, start_embedded

pytestmark = pytest.mark.slow


async def test_codes_are_texted_to_the_demo_phone(tmp_path: Path) -> None:
    # random codes (no demo OTP): the phone is the only way a person learns them
    async with start_embedded(tmp_path) as systems:
        assert await systems.text_messages() == []
        c = systems.connectors
        bank = await c.call("bank.start_verification", {"card_last4": "4417"})
        tax = await c.call("tax.start_verification", {"taxpayer_id_last4": "2024"})
        bank_code = await systems.read_otp("bank", bank.data["verification_id"])
        tax_code = await systems.read_otp("tax", tax.data["verification_id"])
        assert bank_code != "123456" or tax_code != "123456"  # random, not the demo code

        messages = await systems.text_messages()
        assert [m["to"] for m in messages] == ["*******1288", "*******1188"]  # oldest first
        assert bank_code in messages[0]["text"] and "Harbour Bank" in messages[0]["text"]
        assert tax_code in messages[1]["text"] and "税务服务厅" in messages[1]["text"]
        assert set(messages[0]) == {"to", "text", "sent_at"}
        sent = [dt.datetime.fromisoformat(m["sent_at"]) for m in messages]
        assert sent[0] <= sent[1] and sent[0].tzinfo is not None
        assert abs(dt.datetime.now(dt.UTC) - sent[1]) < dt.timedelta(seconds=30)

        # the route is test-only: without the cluster's test key it does not exist
        url = systems.urls["bank"] + "/_test/messages"
        async with httpx.AsyncClient() as client:
            assert (await client.get(url)).status_code == 404
            assert (await client.get(url, headers={"X-Test-Key": "wrong"})).status_code == 404
            api_key = {"X-API-Key": systems.api_keys["bank"]}
            assert (await client.get(url, headers=api_key)).status_code == 404

        log_paths = [systems.cluster.log_path(s) for s in ("bank", "tax")]
    for path in log_paths:
        text = path.read_text(encoding="utf-8")
        assert "/v1/verifications" in text  # the log was written
        for code in (bank_code, tax_code):
            assert not re.search(rf"(?<!\d){code}(?!\d)", text), f"code in {path.name}"
    # the databases hold the codes (verifications) but no message text
    for system in ("bank", "tax"):
        db = sqlite3.connect(tmp_path / f"sandbox-{system}.db")
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in db.execute(f"SELECT * FROM {table}"):
                assert not any(isinstance(v, str) and "one-time code" in v for v in row), table
        db.close()


def test_cluster_reads_messages_synchronously(tmp_path: Path) -> None:
    with SandboxCluster.start(tmp_path, systems=("bank",), demo_otp=True) as cluster:
        resp = httpx.post(
            cluster.urls["bank"] + "/v1/verifications",
            headers={"X-API-Key": cluster.api_keys["bank"]},
            json={"card_last4": "4417"},
        )
        assert resp.status_code == 201, resp.text
        (message,) = cluster.text_messages()
        assert "123456" in message["text"] and message["to"].endswith("1288")
