"""How a ``dhe`` command reports what stopped it: one line on stderr and an exit status
(0 success, 1 internal failure, 2 bad usage or unreadable input, 130 Ctrl-C; the README's
exit-status table). Shared by every command module (:mod:`engine.cli` and the ``*_cli`` modules).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.config import ConfigError


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
