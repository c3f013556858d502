"""Supervised embedded sandboxes: a sandbox killed (SIGKILL, the fault injected on purpose) is
reaped at once, shows as ``restarting``, and is replaced within 30 s on the same port, with the
same database, keys and demo setting — a verification started before the kill still verifies
through the same connector; when the cluster stops, nothing is left running or unreaped.
Also the backoff core: exponential, capped, reset after a stable run."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import pytest

from connectors.embedded import start_embedded
from connectors.supervision import RestartBackoff

pytestmark = [pytest.mark.slow]


def state_of(pid: int) -> str | None:
    """The process state letter (``Z`` for a zombie), or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return None
    return next(line.split()[1] for line in text.splitlines() if line.startswith("State:"))


def test_backoff_grows_caps_and_resets() -> None:
    backoff = RestartBackoff(initial_s=0.5, factor=2.0, max_s=4.0, stable_after_s=30.0)
    assert [backoff.delay(0.0) for _ in range(5)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    assert backoff.delay(31.0) == 0.5  # it had run long enough: a fresh series
    assert sum(RestartBackoff().delay(0.0) for _ in range(5)) < 30.0


async def test_a_killed_sandbox_is_restarted_on_its_port(tmp_path: Path) -> None:
    async with start_embedded(tmp_path, demo_otp=True) as systems:
        cluster, c = systems.cluster, systems.connectors
        old = cluster.procs["bank"]
        url, old_pid = cluster.urls["bank"], old.pid
        started = await c.call("bank.start_verification", {"card_last4": "4417"})
        os.kill(old_pid, signal.SIGKILL)
        t0 = time.monotonic()
        while cluster.status()["bank"].state == "running":
            assert time.monotonic() - t0 < 2.0, "the supervisor did not notice the exit"
            await asyncio.sleep(0.01)
        status = cluster.status()["bank"]
        assert status.state == "restarting" and status.last_exit == -signal.SIGKILL
        assert state_of(old_pid) is None  # reaped, not a zombie
        while cluster.status()["bank"].state != "running":
            assert time.monotonic() - t0 < 30.0, "no replacement within 30 s"
            await asyncio.sleep(0.05)
        restarted_s = time.monotonic() - t0
        status = cluster.status()["bank"]
        assert status.restarts == 1 and status.pid != old_pid and cluster.urls["bank"] == url
        # no pipe to the dead child is left open (2 fds leaked per sandbox restarted)
        assert old.stdin is not None and old.stdin.closed
        assert old.stdout is not None and old.stdout.closed
        assert cluster.status()["tax"].state == "running"
        # same database (the verification is there), same code key and demo setting
        result = await c.call(
            "bank.verify_otp",
            {"verification_id": started.data["verification_id"], "code": "123456"},
        )
        assert result.data["token"].startswith("t_")
        # the demo phone reads the replacement's outbox (the old one's died with it: memory only)
        await c.call("bank.start_verification", {"card_last4": "4417"})
        sent = await asyncio.to_thread(cluster.text_messages)
        assert len(sent) == 1 and "123456" in sent[0]["text"], sent
        procs = list(cluster.procs.values())
        # SIGTERM (what ``end_process`` sends) with stdin still open: a clean exit 0, not the
        # abort of a daemon thread blocked in a buffered stdin read at interpreter shutdown
        os.kill(cluster.procs["tax"].pid, signal.SIGTERM)
        while cluster.status()["tax"].state == "running":
            assert time.monotonic() - t0 < 40.0, "the supervisor did not notice the exit"
            await asyncio.sleep(0.01)
        assert cluster.status()["tax"].last_exit == 0
    assert restarted_s < 30.0
    for proc in procs:
        assert state_of(proc.pid) is None, f"sandbox {proc.pid} outlived its cluster"
        assert proc.returncode == 0, f"sandbox {proc.pid} exited with {proc.returncode}"
    for system in ("bank", "tax"):
        log_text = cluster.log_path(system).read_text()
        assert "Fatal Python error" not in log_text, log_text[-2000:]
