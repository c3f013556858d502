"""The wait for a block's pump is outside the process-wide lock (fixes17, review note): a child
process started inside :func:`native_stderr_as_log` keeps the pipe open past the block, and the
pump forwards its output until it ends (up to 5 s). That wait held ``_LOCK`` before, so another
thread's block (another camera session's models) waited with it. Real pipes, threads and a real
child process (``sleep``); nothing faked."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

from engine.perception.native_log import native_stderr_as_log

#: How long the child keeps the pipe open after the first block ends (s).
CHILD_S = 2.0


def test_a_second_block_starts_while_the_first_pump_still_drains_a_child() -> None:
    first_done = threading.Event()
    entered_at: list[float] = []

    def first() -> None:
        with native_stderr_as_log():
            # inherits fd 2 (the pipe) and holds it open CHILD_S past the block
            subprocess.Popen(
                [sys.executable, "-c", f"import time; time.sleep({CHILD_S})"],
                stdout=subprocess.DEVNULL,
            )
        first_done.set()

    def second() -> None:
        with native_stderr_as_log():
            entered_at.append(time.monotonic())

    start = time.monotonic()
    a = threading.Thread(target=first)
    a.start()
    time.sleep(0.3)  # the first block has ended and its pump is waiting on the child
    b = threading.Thread(target=second)
    b.start()
    b.join(timeout=10)
    a.join(timeout=10)
    assert first_done.is_set()
    assert entered_at, "the second block never ran"
    # before the fix the second block waited for the child (~2 s); now it runs at once
    assert entered_at[0] - start < 1.0, entered_at[0] - start
