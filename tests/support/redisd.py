"""A real ``redis-server`` for tests, on a free 127.0.0.1 port with its files under
``var/test-redis/`` (removed after) (skipped with a reason where redis-server is not installed,
failed under ``CI=true``)."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import redis

from engine.cluster import processes, services
from tests.conftest import REPO_ROOT, require_path


class RedisServer:
    """A running test redis-server that a test may stop and start again on the same port.

    Attributes:
        url: ``redis://127.0.0.1:PORT/0``.
    """

    def __init__(self, port: int, folder: Path) -> None:
        self.port = port
        self.folder = folder
        self.url = f"redis://127.0.0.1:{port}/0"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        """Started and not stopped since."""
        return self._proc is not None

    def start(self) -> None:
        """Start it (again), with the keys of the last :meth:`stop` that kept them."""
        self._proc = processes.spawn(
            self.folder, "redis", services.redis_argv(self.port, self.folder / "data")
        )
        processes.wait_port(self.port, self._proc, self.folder, "redis", timeout_s=10)

    def stop(self, *, keep_keys: bool = False) -> None:
        """Stop it (SIGTERM); ``keep_keys`` snapshots the keys first (``SAVE``), so a
        :meth:`start` after is an outage that lost nothing, as a paused server."""
        if keep_keys:
            with redis.Redis.from_url(self.url) as client:
                client.save()
        processes.stop(self.folder, "redis")
        if self._proc is not None:
            self._proc.wait(timeout=10)
            self._proc = None


@contextlib.contextmanager
def redis_server() -> Iterator[RedisServer]:
    """Start redis-server; yields it (its ``url``: ``redis://127.0.0.1:PORT/0``); stops it on
    exit."""
    if services.program("redis-server") is None:
        require_path(
            Path("/nonexistent/redis-server"), "redis-server (apt-get install redis-server)"
        )
    port = processes.free_port()
    server = RedisServer(port, REPO_ROOT / "var" / "test-redis" / str(port))
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.folder, ignore_errors=True)
