"""``dhe connectors list`` / ``call`` and ``dhe sandbox`` as their contract states them,
run as real processes (the call starts the embedded sandboxes for its duration)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]


def dhe(
    *args: str, cwd: Path, timeout: float = 60, var: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DHE_")}
    state = {"DHE_VAR_DIR": str(var)} if var is not None else {}
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", *args],
        cwd=cwd,
        env=env | {"PYTHONPATH": str(REPO)} | state,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_list_prints_one_operation_per_line(tmp_path: Path) -> None:
    proc = dhe("connectors", "list", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    names = [line.split("  ", 1)[0] for line in lines]
    assert "bank.get_balance" in names and "tax.create_ticket" in names
    assert all(len(line.split("  ", 1)) == 2 and line.split("  ", 1)[1] for line in lines)


@pytest.mark.slow
def test_call_prints_json_and_typed_errors(tmp_path: Path) -> None:
    state = tmp_path / "state"  # the state folder ($DHE_VAR_DIR), not the working directory
    ok = dhe(
        "connectors", "call", "bank.start_verification", "card_last4=4417", cwd=tmp_path, var=state
    )
    assert ok.returncode == 0, ok.stderr
    out = json.loads(ok.stdout)
    assert out["operation"] == "bank.start_verification"
    assert out["data"]["phone_masked"].endswith("1288")
    bad = dhe("connectors", "call", "bank.get_balance", "token=t_forged", cwd=tmp_path, var=state)
    assert bad.returncode == 1
    assert json.loads(bad.stdout)["error"]["code"] == "unauthorized"
    assert "Traceback" not in bad.stderr
    assert (state / "engine.db").exists() and not (tmp_path / "var").exists()


def test_sandbox_runs_with_no_environment(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "engine.cli",
            "sandbox",
            "tax",
            "--port",
            "0",
            "--db",
            str(tmp_path / "t.db"),
        ],
        cwd=tmp_path,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        key_line = proc.stdout.readline()
        ready = proc.stdout.readline()
        assert key_line.startswith("Development API key (X-API-Key): dev-")
        key = key_line.rsplit(" ", 1)[1].strip()
        url = ready.removeprefix("READY ").strip()
        slots = httpx.get(f"{url}/v1/slots", headers={"X-API-Key": key}, timeout=5)
        assert slots.status_code == 200 and slots.json()["slots"]
    finally:
        proc.terminate()
        t0 = time.monotonic()
        assert proc.wait(timeout=5) == 0
        assert time.monotonic() - t0 < 5
