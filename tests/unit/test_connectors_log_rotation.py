"""The sandbox log handler rotates at its size and moves the followed descriptor (stderr in a
sandbox; a file of the test's here) to the new file, so crash text lands in the current log."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from connectors.logs import StderrFollowingRotatingHandler


def test_rotates_at_size_and_the_followed_fd_moves_along(tmp_path: Path) -> None:
    path = tmp_path / "sandbox-bank.log"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    handler = StderrFollowingRotatingHandler(path, max_bytes=1000, backup_count=2, follow_fd=fd)
    try:
        for i in range(100):  # 100 lines of ~50 bytes: 5 KB through a 1 KB file, 2 kept
            record = logging.LogRecord(
                "t", logging.INFO, __file__, 1, f"line {i:03d} " + "x" * 40, None, None
            )
            handler.emit(record)
        os.write(fd, b"crash text\n")
    finally:
        handler.close()
        os.close(fd)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "sandbox-bank.log",
        "sandbox-bank.log.1",
        "sandbox-bank.log.2",
    ]
    assert all(p.stat().st_size <= 1000 for p in tmp_path.iterdir())
    assert path.stat().st_mode & 0o777 == 0o600
    current = path.read_text()
    assert "line 099" in current and current.endswith("crash text\n")
