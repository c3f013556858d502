"""A real PostgreSQL server for tests, on a free 127.0.0.1 port with its cluster under
``var/test-postgres/`` (run as the ``postgres`` user when we are root: it refuses root; fsync
off; removed after). Skipped with a reason where PostgreSQL is not installed, failed under
``CI=true``."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path

from engine.cluster import processes, services
from tests.conftest import REPO_ROOT, require_path


@contextlib.contextmanager
def postgres_server(database: str = "dhe") -> Iterator[str]:
    """Start PostgreSQL; yields the SQLAlchemy URL of a fresh database ``database``."""
    if services.postgres_bin("postgres") is None:
        require_path(Path("/nonexistent/postgres"), "PostgreSQL (apt-get install postgresql)")
    port = processes.free_port()
    folder = REPO_ROOT / "var" / "test-postgres" / str(port)
    services.postgres_init(folder / "data")
    proc = processes.spawn(
        folder,
        "postgres",
        services.postgres_argv(folder / "data", port, durable=False),
        user=services.postgres_user(),
    )
    try:
        processes.wait_port(port, proc, folder, "postgres", timeout_s=30)
        yield services.create_database(port, database)
    finally:
        processes.stop(folder, "postgres")
        proc.wait(timeout=15)
        shutil.rmtree(folder, ignore_errors=True)
