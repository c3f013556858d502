"""``engine.systems.open_systems`` as an operator deploys it: the bank is a separately started
``dhe sandbox bank`` reached through ``DHE_BANK_BASE_URL`` / ``DHE_BANK_API_KEY``, the tax system
is down (or not configured at all), and the config says ``sandbox.embedded: false`` with its own
declarations folder and audit database. Every command opens its systems this way."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.base import ConnectorUnavailable
from engine.config import load_config
from engine.systems import open_systems
from tests.support.deployment import closed_port, deployment_config, sandbox_process


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory):
    with sandbox_process("bank", tmp_path_factory.mktemp("bank") / "bank.db") as running:
        yield running


def stored_balance(db: Path) -> Decimal:
    con = sqlite3.connect(str(db))
    try:
        (cents,) = con.execute(
            "SELECT SUM(a.balance_cents) FROM accounts a JOIN cards k"
            " ON k.customer_id = a.customer_id WHERE k.last4 = '4417'"
        ).fetchone()
    finally:
        con.close()
    return Decimal(cents) / 100


def audit_rows(db: Path) -> list[tuple[str, str, str | None]]:
    con = sqlite3.connect(str(db))
    try:
        return con.execute(
            "SELECT session_id, operation, outcome FROM connector_calls ORDER BY id"
        ).fetchall()
    finally:
        con.close()


async def test_real_systems_from_config_and_environment(bank, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DHE_VAR_DIR", str(tmp_path / "var"))
    for name, value in bank.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DHE_TAX_BASE_URL", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("DHE_TAX_API_KEY", "not-used")
    audit_db = tmp_path / "audit" / "engine.db"
    config = load_config(deployment_config(tmp_path, audit_db, drop_operation="bank.freeze_card"))
    async with open_systems(config) as systems:
        assert list(systems.unavailable) == ["tax"] and systems.cluster is None
        router = systems.connector
        assert router.slow_threshold_ms == 900  # connectors.slow_threshold_ms is honoured
        ops = {name for name, _ in router.operations()}
        assert "bank.get_balance" in ops and "bank.freeze_card" not in ops  # its folder is read
        call = router.call
        start = await call("bank.start_verification", {"card_last4": "4417"}, session_id="op-1")
        verified = await call(
            "bank.verify_otp",
            {"verification_id": start.data["verification_id"], "code": "123456"},
            session_id="op-1",
        )
        balance = await call(
            "bank.get_balance", {"token": verified.data["token"]}, session_id="op-1"
        )
        assert Decimal(balance.data["balance"]) == stored_balance(bank.db)
        with pytest.raises(ConnectorUnavailable):
            await call("tax.list_slots", {}, session_id="op-1")
    rows = audit_rows(audit_db)
    assert [r[1] for r in rows] == [
        "bank.start_verification",
        "bank.verify_otp",
        "bank.get_balance",
        "tax.list_slots",
    ]
    assert rows[-1][2] == "unavailable" and {r[0] for r in rows} == {"op-1"}
    assert not (tmp_path / "var" / "engine.db").exists()  # one engine database: the configured one


async def test_a_system_left_out_of_the_environment_is_unavailable_not_fatal(
    bank, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("DHE_VAR_DIR", str(tmp_path / "var"))
    for name, value in bank.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("DHE_TAX_BASE_URL", raising=False)
    monkeypatch.delenv("DHE_TAX_API_KEY", raising=False)
    audit_db = tmp_path / "engine.db"
    config = load_config(deployment_config(tmp_path, audit_db))
    async with open_systems(config) as systems:
        assert "DHE_TAX_API_KEY unset" in systems.unavailable["tax"]
        with pytest.raises(ConnectorUnavailable) as err:
            await systems.connector.call("tax.list_slots", {}, session_id="op-2")
        assert err.value.reason == "not_configured"
        result = await systems.connector.call("bank.start_verification", {"card_last4": "4417"})
        assert result.data["phone_masked"].endswith("1288")
    assert [r[1:] for r in audit_rows(audit_db)] == [
        ("tax.list_slots", "unavailable"),
        ("bank.start_verification", "ok"),
    ]
