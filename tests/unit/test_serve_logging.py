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


def test_a_library_imported_after_configuration_stays_quiet(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # bm25s sets its logger to DEBUG when it is imported; commands import it lazily, after
    # logging is configured (a DEBUG line broke dhe chat's stderr contract)
    configure_logging(0)
    chatty = logging.getLogger("bm25s")
    chatty.setLevel(logging.DEBUG)
    try:
        chatty.debug("Building index from tokens")
        chatty.warning("a real problem")
    finally:
        chatty.setLevel(logging.NOTSET)
    err = capsys.readouterr().err
    assert "Building index" not in err
    assert "WARNING bm25s: a real problem" in err


def test_jiebas_own_handler_is_quiet_too() -> None:
    """jieba adds a stderr handler of its own when imported and logs "Building prefix dict …"
    at DEBUG through it (``dhe avatar preview --lang zh``); a handler stands in for it here."""
    records: list[logging.LogRecord] = []
    own = logging.Handler()
    own.emit = records.append  # type: ignore[method-assign]
    jieba = logging.getLogger("jieba")
    jieba.addHandler(own)
    saved_level = jieba.level
    try:
        configure_logging(0)
        configure_logging(0)  # once more: one filter, not two
        jieba.setLevel(logging.DEBUG)  # as jieba's import does
        jieba.debug("Building prefix dict from the default dictionary ...")
        jieba.warning("kept")
    finally:
        jieba.removeHandler(own)
        jieba.setLevel(saved_level)
    assert [r.getMessage() for r in records] == ["kept"]
    assert len(jieba.filters) == 1


def test_httpx_request_lines_show_only_from_double_verbose(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """newcomer18: at -v httpx's INFO line for each health probe (two a second) buried the
    transcript lines."""
    try:
        configure_logging(1)
        logging.getLogger("httpx").info('HTTP Request: GET http://127.0.0.1:9/healthz "200 OK"')
        logging.getLogger("engine.transcript").info("heard: hello")
        assert capsys.readouterr().err.count("\n") == 1
        configure_logging(2)
        logging.getLogger("httpx").info("HTTP Request: GET /healthz")
        assert "HTTP Request" in capsys.readouterr().err
    finally:
        configure_logging(0)
        logging.getLogger("httpx").setLevel(logging.NOTSET)
