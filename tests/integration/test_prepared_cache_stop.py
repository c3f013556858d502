"""Ctrl-C during setup's prepared-replies step (``python -m engine.prepared_cache``) with the
real voices and packs: it stops within a second, saves the replies done, says what it skipped
and that the next run goes on from there (newcomer16 #4: SIGINT did nothing for > 40 s).

The process starts with SIGINT ignored, as a background job (`make run &`) inherits it: the
way the newcomer met it; a terminal's Ctrl-C also had to wait for the onnxruntime call of the
reply under way."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.tts.prepared import PreparedStore
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow

#: main() with the cache folder moved to the test's own (the rest as `make setup` runs it)
SCRIPT = """
import sys
from pathlib import Path
import engine.prepared_cache as pc
pc.cache_dir = lambda: Path(sys.argv[1])
sys.exit(pc.main())
"""


def _lines_until(proc: subprocess.Popen, needle: str, timeout_s: float) -> str:
    """Output of ``proc`` up to and including the first line holding ``needle``."""
    assert proc.stdout is not None
    seen, deadline = [], time.monotonic() + timeout_s
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not sel.select(timeout=1.0):
                continue
            line = proc.stdout.readline()
            assert line, "".join(seen)  # ended before the needle
            seen.append(line)
            if needle in line:
                return "".join(seen)
    raise AssertionError(f"no {needle!r} in {timeout_s} s:\n{''.join(seen)}")


def test_ctrl_c_stops_the_prepared_replies_at_once_and_keeps_what_is_done(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    try:
        head = _lines_until(proc, "10 of", timeout_s=300)
        assert "Ctrl-C skips the rest" in head, head
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=30)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, head + rest
    assert took < 5.0, f"{took:.1f} s after SIGINT"  # was > 40 s (never, with SIGINT ignored)
    assert "stopped:" in rest and "skipped" in rest and "next `make`" in rest, rest
    stores = sorted(tmp_path.glob("prepared-*.npz"))
    assert len(stores) == 1, stores
    store = PreparedStore.load(stores[0])
    assert len(store.replies) >= 10  # the ten the progress line counted, at least
    assert all(chunks for chunks in store.replies.values())
