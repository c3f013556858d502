"""Files that hold personal or secret data (SQLite databases) are readable by their owner only."""

from __future__ import annotations

import os
from pathlib import Path


def private_file(path: Path) -> None:
    """Create ``path`` if needed and make it readable and writable by its owner only (0600).

    SQLite gives its ``-wal`` and ``-shm`` files the mode of the database file, so a database
    made private before it is opened stays private.

    Raises:
        OSError: the file cannot be created or its mode changed.
    """
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    os.chmod(path, 0o600)
