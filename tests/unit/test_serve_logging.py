"""``dhe serve``'s log levels: the ready line is INFO, not a warning, and still shows by default."""

from __future__ import annotations

import logging

import pytest

from engine.logs import configure_logging
from engine.server_cli import show_server_progress


def test_server_info_lines_show_at_default_verbosity(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(0)
    show_server_progress()
    try:
        logging.getLogger("engine.server.app").info("ready in %.1f s", 1.5)
        logging.getLogger("engine.tts").info("not shown")
    finally:
        logging.getLogger("engine.server").setLevel(logging.NOTSET)
    err = capsys.readouterr().err
    assert "INFO engine.server.app: ready in 1.5 s" in err
    assert "not shown" not in err
