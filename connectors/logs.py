"""The one structlog chain of every process (engine, sandbox, ``dhe connectors``): masked.

:func:`configure_structlog` is the chain — context variables, level, UTC timestamp,
:func:`connectors.masking.masking_processor`, then a renderer (JSON lines by default). The engine
(:func:`engine.logs.configure_logging`) uses it with a console renderer; the sandbox services and
``dhe connectors`` with JSON (:func:`configure_logging`).
"""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

import structlog

from connectors.masking import masking_processor


def configure_structlog(
    level: int = logging.INFO, stream: TextIO | None = None, *, renderer: Any = None
) -> None:
    """Configure structlog: every event masked, then rendered to ``stream``.

    Args:
        level: the least level written (``logging.INFO``).
        stream: where lines go; ``sys.stderr`` when ``None``.
        renderer: the last processor (default :class:`structlog.processors.JSONRenderer`).
    """
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            masking_processor,
            renderer or structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(stream or sys.stderr),
        cache_logger_on_first_use=False,
    )


def configure_logging(level: int = logging.INFO, stream: TextIO | None = None) -> None:
    """Log JSON lines through the masking processor to ``stream`` (default stderr).

    Args:
        level: the least level written (``logging.INFO``).
        stream: where lines go; ``sys.stderr`` when ``None``.
    """
    configure_structlog(level, stream)
