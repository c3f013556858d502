"""Run the ``dhe`` command line as its own process (the tests that check exit codes and stderr)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT


def run_dhe(
    *args: str,
    cwd: Path | None = REPO_ROOT,
    env: dict[str, str] | None = None,
    timeout_s: float = 120,
) -> subprocess.CompletedProcess[str]:
    """``python -m engine.cli ARGS`` with this interpreter; ``env`` is added to the current
    environment. Returns the finished process (text stdout/stderr)."""
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )
