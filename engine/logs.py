"""Logging for the engine process: structlog and stdlib logging, masked, to stderr.

Card, account, ID and phone numbers never reach a log line in full: every structlog event goes
through :func:`connectors.masking.masking_processor`, and stdlib records through
:class:`MaskingFilter` (both keep at most the last 4 digits).
"""

from __future__ import annotations

import logging
import sys

import structlog

from connectors.logs import configure_structlog
from connectors.masking import mask_digits


class MaskingFilter(logging.Filter):
    """Rewrites a stdlib record's message with long digit runs masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the formatted message in place; always keeps the record."""
        record.msg = mask_digits(record.getMessage())
        record.args = None
        return True


#: Libraries that set their own logger to DEBUG when imported (bm25s does, in its
#: ``__init__``): setting their level once is undone by an import that comes after logging is
#: configured, so the handler holds them at the engine's level (INFO at most) instead. jieba
#: also adds its own stderr handler on import ("Building prefix dict …"), so the same filter
#: sits on their loggers too (a logger's filters run before any of its handlers).
CHATTY_LIBRARIES = ("bm25s", "jieba", "faster_whisper")


class LibraryLevelFilter(logging.Filter):
    """Drops records of :data:`CHATTY_LIBRARIES` (and their children) below ``level``."""

    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        """False for a chatty library's record below the level; True otherwise."""
        if record.levelno >= self.level:
            return True
        top = record.name.split(".", 1)[0]
        return top not in CHATTY_LIBRARIES


def configure_logging(verbosity: int = 0, *, structlog_level: int | None = None) -> None:
    """Send masked logs to stderr: WARNING by default, INFO with ``-v``, DEBUG with ``-vv``
    (httpx's per-request lines only with ``-vv``).

    Args:
        verbosity: the number of ``-v`` flags.
        structlog_level: the least level of structlog events (connector calls are INFO), when
            it differs from the stdlib one (``dhe chat`` shows its connector calls).
    """
    level = logging.WARNING - 10 * min(verbosity, 2)
    handler = logging.StreamHandler(sys.stderr)
    libraries = LibraryLevelFilter(max(level, logging.INFO))
    handler.addFilter(libraries)
    for name in CHATTY_LIBRARIES:  # also on the logger: jieba prints through its own handler
        logger = logging.getLogger(name)
        logger.filters[:] = [f for f in logger.filters if not isinstance(f, LibraryLevelFilter)]
        logger.addFilter(libraries)
    handler.addFilter(MaskingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request at INFO: at -v the dependency monitor's health probes (two a
    # second) buried the transcript lines (newcomer18); connector calls have their own INFO
    # events, so httpx's lines show from -vv on
    logging.getLogger("httpx").setLevel(logging.WARNING if verbosity < 2 else logging.DEBUG)
    configure_structlog(
        level if structlog_level is None else structlog_level,
        sys.stderr,
        renderer=structlog.dev.ConsoleRenderer(colors=False),
    )
