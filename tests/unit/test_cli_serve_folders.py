"""`dhe serve` with a folder variable that points nowhere: one line naming the variable, exit 2,
before anything listens or loads (newcomer13: ``DHE_VAR_DIR=/proc/nope`` listened, then failed
its start-up with a bare errno line and stayed up answering 503)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from engine.cli import main


def _err_lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]


def test_serve_names_a_state_folder_it_cannot_make(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DHE_VAR_DIR", "/proc/nope")  # /proc takes no new folder
    t0 = time.monotonic()
    assert main(["serve", "--port", "8961"]) == 2
    assert time.monotonic() - t0 < 10.0  # nothing started
    assert _err_lines(capsys)[-1] == (
        "dhe serve: error: DHE_VAR_DIR (environment): /proc/nope: cannot make the state folder "
        "(No such file or directory)"
    )


def test_serve_names_a_models_folder_that_is_not_there(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DHE_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("DHE_MODELS_DIR", str(tmp_path / "nope" / "models"))
    assert main(["serve", "--port", "8961"]) == 2
    assert _err_lines(capsys)[-1] == (
        f"dhe serve: error: DHE_MODELS_DIR (environment): {tmp_path}/nope/models: no such folder"
    )
    assert (tmp_path / "var").is_dir()  # the state folder it could make is made, as var_dir does
