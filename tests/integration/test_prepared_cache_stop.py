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


def _start(folder: Path, sigint_ignored: bool) -> subprocess.Popen:
    """Start setup's prepared-replies step (:data:`SCRIPT`) caching into ``folder``, its
    stdout and stderr together as unbuffered text lines on ``proc.stdout``.

    Args:
        folder: the cache folder the step writes ``prepared-*.npz`` into.
        sigint_ignored: start the child with SIGINT ignored, as a background job (`make run &`)
            inherits it; otherwise with this process's SIGINT handling.
    """
    return subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(folder)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        preexec_fn=_ignore_sigint if sigint_ignored else None,
    )


def _ignore_sigint() -> None:
    """In the child before it runs: SIGINT ignored (SIG_IGN survives exec)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


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
    proc = _start(tmp_path, sigint_ignored=True)
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
