"""A second Ctrl-C during setup's prepared replies counts only the replies made in that run
(review16). The stop's message said "N of M fixed replies prepared now and saved, M - N
skipped" with N counting the replies the run had reused from the store a first stop saved
(build_store writes those into the same dict), so a run that goes on from a stop reported more
replies made than it made, and too few (or below zero) skipped. Real voices and packs, as
:mod:`tests.integration.test_prepared_cache_stop` runs them: stopped twice in a row."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import pytest

from engine.tts.prepared import PreparedStore
from tests.integration.test_prepared_cache_stop import _lines_until, _start

pytestmark = pytest.mark.slow

STOPPED = re.compile(
    r"stopped: (\d+) of (\d+) fixed replies prepared now and saved, (-?\d+) skipped"
)


def _stop_after_ten(folder: Path) -> tuple[str, str]:
    """Run setup's step into ``folder``, SIGINT after "10 of": (its output's head, the rest)."""
    proc = _start(folder, sigint_ignored=False)
    try:
        head = _lines_until(proc, "10 of", timeout_s=300)
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, head + rest
    return head, rest


def _store(folder: Path) -> PreparedStore:
    (path,) = sorted(folder.glob("prepared-*.npz"))
    return PreparedStore.load(path)


def test_a_stop_after_a_stop_counts_only_the_replies_made_then(tmp_path: Path) -> None:
    _stop_after_ten(tmp_path)
    before = len(_store(tmp_path).replies)
    head, rest = _stop_after_ten(tmp_path)
    found = STOPPED.search(rest)
    assert found is not None, rest
    made, missing, skipped = map(int, found.groups())
    assert f"preparing {missing} of" in head, head
    after = len(_store(tmp_path).replies)
    assert made == after - before, (before, after, rest)  # was after: the reused ones too
    assert made + skipped == missing and skipped > 0, rest
