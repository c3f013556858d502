"""A real coturn TURN server for tests on 127.0.0.1 (loopback peers allowed), with a random
credential; skipped with a reason where coturn is not installed, failed under ``CI=true``."""

from __future__ import annotations

import contextlib
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from engine.cluster import processes, services
from tests.conftest import REPO_ROOT, require_path


@dataclass(frozen=True, slots=True)
class TurnServer:
    """Where the TURN server listens and its long-term credential."""

    url: str  # turn:127.0.0.1:PORT?transport=udp
    username: str
    password: str


@contextlib.contextmanager
def turn_server() -> Iterator[TurnServer]:
    """Start coturn; yields its URL and credential; stops it on exit."""
    if services.program("turnserver") is None:
        require_path(Path("/nonexistent/turnserver"), "coturn (apt-get install coturn)")
    port = processes.free_port()
    relay = processes.free_port()
    folder = REPO_ROOT / "var" / "test-turn" / str(port)
    password = secrets.token_urlsafe(16)
    argv = services.turn_argv(folder, port, (relay, relay + 20), "kiosk", password)
    proc = processes.spawn(folder, "turn", argv)
    try:
        processes.wait_port(port, proc, folder, "turn", timeout_s=15)
        yield TurnServer(f"turn:127.0.0.1:{port}?transport=udp", "kiosk", password)
    finally:
        processes.stop(folder, "turn")
        proc.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)
