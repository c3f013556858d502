"""How a ``dhe`` command reports what stopped it: one line on stderr and an exit status
(0 success, 1 internal failure, 2 bad usage or unreadable input, 130 Ctrl-C; the README's
exit-status table). Shared by every command module (:mod:`engine.cli` and the ``*_cli`` modules).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from engine.config import ConfigError

T = TypeVar("T")


def fail(prog: str, message: str, code: int) -> int:
    """Print ``dhe PROG: error: MESSAGE`` on stderr and return ``code`` (the exit status)."""
    print(f"dhe {prog}: error: {message}", file=sys.stderr)
    return code


INTERRUPTED = 130
"""Exit status after Ctrl-C (SIGINT): 128 + signal 2, the shell's convention."""


def interrupted(prog: str) -> int:
    """Report a Ctrl-C as one line on stderr (``dhe PROG: interrupted``); returns 130."""
    print(f"dhe {prog}: interrupted", file=sys.stderr, flush=True)
    return INTERRUPTED


def run_answering_ctrl_c(main: Coroutine[Any, Any, T], prog: str) -> T:
    """``asyncio.run(main)`` that answers Ctrl-C at once.

    asyncio cancels the main task on the first SIGINT, but then waits for every worker thread
    (a model still loading: 10-20 s on a busy machine) before KeyboardInterrupt surfaces: the
    visitor saw nothing for 21 s. Here ``dhe PROG: interrupted`` is printed the moment Ctrl-C
    is pressed; the cancelled task's clean-up runs as before (the sandboxes stop, a partial
    MP4 is removed), and then the process exits 130 (``os._exit``) without waiting for threads
    whose work no one will use. A second Ctrl-C ends the clean-up too (asyncio's own rule).

    Raises:
        whatever ``main`` raises; KeyboardInterrupt only when ``main`` raised it itself (no
        SIGINT came), for the caller's :func:`interrupted`.
    """
    said = threading.Event()

    async def announcing() -> T:
        inner = signal.getsignal(signal.SIGINT)  # asyncio's: cancel the main task
        on_main = threading.current_thread() is threading.main_thread()

        def on_sigint(signum: int, frame: object) -> None:
            if not said.is_set():
                said.set()
                print(f"dhe {prog}: interrupted", file=sys.stderr, flush=True)
            if callable(inner):
                inner(signum, frame)
            else:
                raise KeyboardInterrupt

        if on_main:
            signal.signal(signal.SIGINT, on_sigint)
        try:
            return await main
        finally:
            if on_main:
                signal.signal(signal.SIGINT, inner)

    with asyncio.Runner() as runner:
        try:
            return runner.run(announcing())
        except KeyboardInterrupt:
            if not said.is_set():
                raise
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(INTERRUPTED)  # the line is out; leave the abandoned threads behind


def config_problem(exc: ConfigError, given: str | None) -> str:
    """One line for a config that cannot be used: a bad ``DHE_*`` variable is named by itself
    (never under a ``--config`` file that was not given); a file's problems follow
    ``--config FILE`` (or the template's path when no file was given).

    Args:
        exc: the error from :func:`engine.config.load_config`.
        given: the ``--config`` value, or None.
    """
    problems = "; ".join(exc.problems)
    if exc.from_environment:
        return problems
    return f"--config {given}: {problems}" if given else f"{exc.source}: {problems}"
