"""structlog set-up for connector processes (sandbox, ``dhe connectors``): masked, to stderr.

The engine configures logging for itself; it should include
:func:`connectors.masking.masking_processor` before its renderer too.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import structlog

from connectors.masking import masking_processor


def configure_logging(level: int = logging.INFO, stream: TextIO | None = None) -> None:
    """Log JSON lines through the masking processor to ``stream`` (default stderr).

    Args:
        level: the least level written (``logging.INFO``).
        stream: where lines go; ``sys.stderr`` when ``None``.
    """
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            masking_processor,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(stream or sys.stderr),
        cache_logger_on_first_use=False,
    )
