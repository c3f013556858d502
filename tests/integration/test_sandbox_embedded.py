"""Embedded mode end to end: ``start_embedded`` starts both sandboxes fast, the demo customers'
documented code works with demo OTP on, no personal number or secret reaches any log line or audit
row, and the child processes are gone afterwards — also when the body raises."""

from __future__ import annotations

import asyncio
import io
import os
import time
from pathlib import Path

import pytest
import structlog

from connectors.base import Unauthorized
from connectors.embedded import SandboxCluster, start_embedded
from connectors.logs import configure_logging
from tests.support.sandbox import find_leaks, run_artifacts


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "\nState:\tZ" in status.read_text())


@pytest.mark.slow
async def test_demo_scenario_leaks_nothing_and_cleans_up(tmp_path: Path) -> None:
    old = structlog.get_config()
    logs = io.StringIO()
    configure_logging(stream=logs)
    t0 = time.monotonic()
    try:
        async with start_embedded(tmp_path, demo_otp=True) as systems:
            startup_s = time.monotonic() - t0
            c, sid = systems.connectors, "privacy-session"
            pids = [p.pid for p in systems.cluster.procs.values()]
            start = await c.call("bank.start_verification", {"card_last4": "4417"}, session_id=sid)
            vid = start.data["verification_id"]
            assert await systems.read_otp("bank", vid) == "123456"  # documented demo code
            with pytest.raises(Unauthorized):
                await c.call(
                    "bank.verify_otp", {"verification_id": vid, "code": "654321"}, session_id=sid
                )
            token = (
                await c.call(
                    "bank.verify_otp", {"verification_id": vid, "code": "123456"}, session_id=sid
                )
            ).data["token"]
            await c.call("bank.get_balance", {"token": token}, session_id=sid)
            await c.call("bank.list_transactions", {"token": token, "limit": 5}, session_id=sid)
            await c.call("bank.freeze_card", {"token": token, "card_last4": "4417"}, session_id=sid)
            t_start = await c.call(
                "tax.start_verification", {"taxpayer_id_last4": "2024"}, session_id=sid
            )
            t_vid = t_start.data["verification_id"]
            t_token = (
                await c.call(
                    "tax.verify_otp", {"verification_id": t_vid, "code": "123456"}, session_id=sid
                )
            ).data["token"]
            await c.call("tax.get_filing_status", {"token": t_token, "year": 2024}, session_id=sid)
            # A visitor dictates personal numbers into a complaint: they must be masked in logs/audit.
            text = "My card 6217991000024417 and phone 13900001288 and ID 110101199001012024"
            await c.call("tax.create_ticket", {"kind": "complaint", "text": text}, session_id=sid)
            with pytest.raises(Unauthorized):
                await c.call(
                    "tax.get_filing_status",
                    {"token": "t_" + "x" * 30, "year": 2024},
                    session_id=sid,
                )
            cluster: SandboxCluster = systems.cluster
            issued = await asyncio.to_thread(cluster.issued)  # codes and tokens, from memory
            assert "123456" in issued["codes"] and token in issued["tokens"]
            audit_rows = c.audit.rows(sid)
            raise_inside = RuntimeError("body failed")
            with pytest.raises(RuntimeError):
                async with start_embedded(tmp_path / "second") as second:
                    second_pids = [p.pid for p in second.cluster.procs.values()]
                    raise raise_inside
            assert not any(_alive(p) for p in second_pids)
    finally:
        structlog.configure(**old)
    # Measured 1.1-2.2 s on a loaded 2-core machine; the cluster enforces its own 10 s limit.
    assert startup_s < 6.0, f"embedded start took {startup_s:.2f} s"
    assert not any(_alive(p) for p in pids)
    assert [r["outcome"] for r in audit_rows] == [
        "ok",
        "unauthorized",
        "ok",
        "ok",
        "ok",
        "ok",
        "ok",
        "ok",
        "ok",
        "ok",
        "unauthorized",
    ]
    texts = run_artifacts(cluster)  # sandbox logs + the audit table (files outlive the processes)
    texts["inproc"] = logs.getvalue()
    assert (
        "connector_call" in texts["inproc"]
        and "bank.freeze_card" in texts["engine.db:connector_calls"]
    )
    assert "4417" in texts["engine.db:connector_calls"]  # last 4 digits may show
    assert find_leaks(cluster, texts, issued) == []
    assert (
        len(find_leaks(cluster, {"probe": text}, issued)) == 3
    )  # the scanner does see raw numbers
