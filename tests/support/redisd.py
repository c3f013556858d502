"""A real ``redis-server`` for tests, on a free 127.0.0.1 port with its files under
``var/test-redis/`` (removed after) (skipped with a reason where redis-server is not installed, failed under ``CI=true``)."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path

from engine.cluster import processes, services
from tests.conftest import REPO_ROOT, require_path


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """Start redis-server; yields its URL (``redis://127.0.0.1:PORT/0``); stops it on exit."""
    if services.program("redis-server") is None:
        require_path(
            Path("/nonexistent/redis-server"), "redis-server (apt-get install redis-server)"
        )
    port = processes.free_port()
    folder = REPO_ROOT / "var" / "test-redis" / str(port)
    proc = processes.spawn(folder, "redis", services.redis_argv(port, folder / "data"))
    try:
        processes.wait_port(port, proc, folder, "redis", timeout_s=10)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        processes.stop(folder, "redis")
        proc.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)
