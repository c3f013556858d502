"""`dhe chat`'s start-up errors: an unknown domain, a packs folder or a state folder that is not
there, a dialog that fails to load — each one line naming what is wrong (nothing here starts a
sandbox or loads a model, but the injected load failure)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pytest

from engine.chat_cli import _missing_path
from engine.cli import main


def _err_lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]


def test_chat_unknown_domain_is_converses_line_before_any_start(
    capsys: pytest.CaptureFixture[str],
) -> None:
    t0 = time.monotonic()
    assert main(["chat", "--domain", "casino"]) == 2
    assert time.monotonic() - t0 < 10.0  # no sandbox or model was started (that took ~60 s)
    assert _err_lines(capsys) == [
        "dhe chat: error: --domain casino: no such domain pack (known: bank, tax)"
    ]


def test_chat_packs_dir_that_is_not_a_folder_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--packs-dir /nonexistent`` was blamed on ``--domain bank`` ("known: none")."""
    missing, a_file = tmp_path / "nonexistent", tmp_path / "f.txt"
    a_file.write_text("x", encoding="utf-8")
    for path, reason in ((missing, "does not exist"), (a_file, "is not a folder")):
        assert main(["chat", "--packs-dir", str(path)]) == 2
        assert _err_lines(capsys) == [f"dhe chat: error: --packs-dir {path}: {reason}"]


def test_chat_names_a_state_folder_it_cannot_make(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """newcomer11: ``DHE_VAR_DIR=/proc/nope`` was blamed on ``--domain bank``."""
    monkeypatch.setenv("DHE_VAR_DIR", "/proc/nope")  # /proc takes no new folder
    assert main(["chat", "--domain", "bank"]) == 2
    assert _err_lines(capsys)[-1] == (
        "dhe chat: error: DHE_VAR_DIR (environment): /proc/nope: cannot make the state folder "
        "(No such file or directory)"
    )


def test_chat_failing_to_start_is_one_line_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """newcomer11: a dialog that failed to load ended ``dhe chat`` with a full traceback. The
    failure here is injected on purpose (the pack's load raises); the chat says it in one line
    as ``dhe converse`` does, the traceback only with -v."""
    from dialog import DialogEngine

    def broken(*_args, **_kwargs):
        raise RuntimeError("the pack's classifier cannot train (fault injected on purpose)")

    monkeypatch.setattr(DialogEngine, "load", broken)
    assert main(["chat", "--domain", "bank", "--var-dir", str(tmp_path)]) == 1
    lines = _err_lines(capsys)
    assert lines[-1] == (
        "dhe chat: error: internal failure: RuntimeError: the pack's classifier cannot train "
        "(fault injected on purpose) (-v for details)"
    )
    assert not any("Traceback" in line for line in lines)


def test_a_missing_path_beside_the_state_folder_is_not_blamed_on_it() -> None:
    """The state folder was matched as a string prefix: ``--var-dir /tmp/var`` was named
    for ``/tmp/var2/x``."""
    args = argparse.Namespace(var_dir="/tmp/var", domain="bank")
    sibling = FileNotFoundError(2, "No such file or directory", "/tmp/var2/x")
    assert _missing_path(sibling, args) == "/tmp/var2/x: No such file or directory"
    inside = FileNotFoundError(2, "No such file or directory", "/tmp/var/sandbox/bank.db")
    assert _missing_path(inside, args) == (
        "--var-dir: /tmp/var: cannot make the state folder (No such file or directory)"
    )
