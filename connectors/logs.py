"""The one structlog chain of every process (engine, sandbox, ``dhe connectors``): masked.

:func:`configure_structlog` is the chain — context variables, level, UTC timestamp, traceback text,
:func:`connectors.masking.masking_processor`, then a renderer (JSON lines by default). The engine
(:func:`engine.logs.configure_logging`) uses it with a console renderer; the sandbox services and
``dhe connectors`` with JSON (:func:`configure_logging`).
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path
from typing import Any, TextIO

import structlog

from connectors.masking import masking_processor


def configure_structlog(
    level: int = logging.INFO,
    stream: TextIO | None = None,
    *,
    renderer: Any = None,
    logger_factory: Any = None,
) -> None:
    """Configure structlog: every event masked, then rendered to ``stream``.

    Args:
        level: the least level written (``logging.INFO``).
        stream: where lines go; ``sys.stderr`` when ``None``.
        renderer: the last processor (default :class:`structlog.processors.JSONRenderer`).
        logger_factory: where rendered lines go instead of ``stream`` (e.g.
            :class:`structlog.stdlib.LoggerFactory` for a stdlib handler).
    """
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            # a logged exception's traceback becomes the text field ``exception``, which the
            # masking processor masks (a renderer would print it raw)
            structlog.processors.format_exc_info,
            masking_processor,
            renderer or structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=logger_factory or structlog.PrintLoggerFactory(stream or sys.stderr),
        cache_logger_on_first_use=False,
    )


def configure_logging(level: int = logging.INFO, stream: TextIO | None = None) -> None:
    """Log JSON lines through the masking processor to ``stream`` (default stderr).

    Args:
        level: the least level written (``logging.INFO``).
        stream: where lines go; ``sys.stderr`` when ``None``.
    """
    configure_structlog(level, stream)


class StderrFollowingRotatingHandler(logging.handlers.RotatingFileHandler):
    """A :class:`logging.handlers.RotatingFileHandler` that also moves a file descriptor (stderr)
    to the new file at each rollover, so crash text a process writes to stderr lands in the
    current log file, not a rotated one."""

    def __init__(self, path: Path, max_bytes: int, backup_count: int, follow_fd: int = 2) -> None:
        super().__init__(path, maxBytes=max_bytes, backupCount=backup_count, encoding="utf-8")
        self.follow_fd = follow_fd
        self.setFormatter(logging.Formatter("%(message)s"))

    def doRollover(self) -> None:
        """Rotate (``path`` -> ``path.1`` …), then point ``follow_fd`` at the new file (mode 600)."""
        super().doRollover()
        os.chmod(self.baseFilename, 0o600)  # as private as the file the parent opened
        if self.stream is not None:
            os.dup2(self.stream.fileno(), self.follow_fd)


def configure_rotating_logging(
    path: Path, max_bytes: int, backup_count: int, level: int = logging.INFO
) -> None:
    """Log JSON lines (masked) to ``path``, rotated at ``max_bytes`` keeping ``backup_count`` old
    files; stderr follows the current file (stdlib and aiohttp logs go there too).

    Raises:
        OSError: ``path`` cannot be opened.
    """
    handler = StderrFollowingRotatingHandler(path, max_bytes, backup_count)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    configure_structlog(level, logger_factory=structlog.stdlib.LoggerFactory())
