"""CLI details a newcomer meets first: ``dhe --version``; ``dhe demo`` / ``dhe converse`` refuse an
output they would write wrongly (exit 2, nothing created); a port in use is a usage error (exit 2)
for ``dhe serve`` and ``dhe sandbox`` alike; a bad ``DHE_*`` variable is reported as such, not
under a ``--config`` file that was never given."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.cli import main
from tests.support.cli import run_dhe


def _lines(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln.strip()]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith("dhe ") and out.split()[1][0].isdigit(), out


def test_demo_out_in_a_missing_folder_exits_2_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "nonexistent" / "x.mp4"
    assert main(["demo", "--out", str(out)]) == 2
    lines = _lines(capsys.readouterr().err)
    assert len(lines) == 1 and lines[0].startswith("dhe demo: error: --out "), lines
    assert "does not exist" in lines[0]
    assert not (tmp_path / "nonexistent").exists()


@pytest.mark.parametrize("command", ["demo", "converse"])
@pytest.mark.parametrize("name", ["x.avi", "x.mkv", "x", "x.mp4.tmp"])
def test_out_must_be_an_mp4(
    tmp_path: Path, command: str, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / name
    extra = ["--text", "hello"] if command == "converse" else []
    assert main([command, *extra, "--out", str(out)]) == 2
    lines = _lines(capsys.readouterr().err)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"dhe {command}: error: --out {out}: ") and ".mp4" in lines[0]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "command",
    [
        ["serve"],
        ["converse", "--text", "hi", "--out", "x.mp4"],
        ["perceive", "x.png"],
        ["avatar", "preview", "--out", "x.png"],
    ],
)
def test_environment_errors_name_the_variable_not_a_config_file(
    command: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DHE_SERVER__PORT", "not-a-port")
    assert main(command) == 2
    lines = _lines(capsys.readouterr().err)
    assert len(lines) == 1, lines
    prog = " ".join(word for word in command[:2] if not word.startswith("-") and "." not in word)
    assert lines[0].startswith(f"dhe {prog}: error: DHE_SERVER__PORT (environment): "), lines
    assert "--config" not in lines[0] and "default.yaml" not in lines[0]


def test_a_config_file_given_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("server:\n  port: many\n", encoding="utf-8")
    assert main(["serve", "--config", str(bad)]) == 2
    (line,) = _lines(capsys.readouterr().err)
    assert line.startswith(f"dhe serve: error: --config {bad}: server.port: "), line


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A 127.0.0.1 port held by a listening socket for the test."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.mark.slow
@pytest.mark.parametrize("command", [["serve"], ["sandbox", "bank"]])
def test_a_port_in_use_exits_2(busy_port: int, tmp_path: Path, command: list[str]) -> None:
    db = ["--db", str(tmp_path / "bank.db")] if command[0] == "sandbox" else []
    proc = run_dhe(
        *command,
        "--port",
        str(busy_port),
        *db,
        env={"DHE_VAR_DIR": str(tmp_path), "DHE_MODELS_DIR": str(tmp_path / "models")},
    )
    assert proc.returncode == 2, proc.stderr
    last = _lines(proc.stderr)[-1]
    assert last == (
        f"dhe {command[0]}: error: cannot listen on 127.0.0.1:{busy_port}: address already in use"
    ), proc.stderr


def test_sandbox_db_in_a_missing_folder_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "nonexistent" / "bank.db"
    assert main(["sandbox", "bank", "--port", "0", "--db", str(db)]) == 2
    (line,) = _lines(capsys.readouterr().err)
    assert line == f"dhe sandbox: error: --db {db}: folder {db.parent} does not exist"
    assert not db.parent.exists()


def test_sandbox_db_that_is_not_a_database_exits_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--db junk.wav`` was "cannot start: file is not a database", exit 1."""
    db = tmp_path / "junk.wav"
    db.write_bytes(b"RIFF" + bytes(60))
    assert main(["sandbox", "bank", "--port", "0", "--db", str(db)]) == 2
    (line,) = _lines(capsys.readouterr().err)
    assert line == (
        f"dhe sandbox: error: --db {db}: not a SQLite database (give a new file, or a sandbox "
        "database)"
    )
    assert db.read_bytes() == b"RIFF" + bytes(60)  # left as it was


def test_make_run_checks_the_port_before_the_setup_checks(busy_port: int) -> None:
    """A second ``make run`` spent 51 s on setup's checks before ``dhe serve`` found 8080 taken."""
    import subprocess

    from tests.conftest import REPO_ROOT

    run = ["make", "-s", "-C", str(REPO_ROOT)]
    proc = subprocess.run([*run, "port-free", f"PORT={busy_port}"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert f"make run: 127.0.0.1:{busy_port} is in use" in proc.stderr
    plan = subprocess.run([*run, "-n", "run"], capture_output=True, text=True, check=True).stdout
    assert plan.index("/dev/tcp/127.0.0.1/8080") < plan.index("scripts/setup.sh")


def test_ctrl_c_during_start_up_is_answered_at_once(tmp_path: Path) -> None:
    """Ctrl-C while ``dhe converse`` loaded its models printed ``interrupted`` 21.5 s later
    (asyncio waited for the loading threads); the line now comes at once and the process
    exits as soon as the sandboxes are stopped, leaving no partial video."""
    import os
    import re
    import signal
    import subprocess
    import sys
    import time
    from typing import IO

    from tests.conftest import REPO_ROOT

    def said(stream: IO[str]) -> str:
        """The next line the command itself prints, past start-up log lines (a model missing
        from this test's empty var dir is logged as a warning)."""
        line = stream.readline().strip()
        while re.match(r"\d{4}-\d\d-\d\d \d\d:", line):
            line = stream.readline().strip()
        return line

    out = tmp_path / "x.mp4"
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "converse", "--text", "hello", "--out", str(out)],
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
        env={**os.environ, "DHE_VAR_DIR": str(tmp_path / "var")},
    )
    try:
        assert proc.stderr is not None
        assert said(proc.stderr).startswith("starting: ")  # inside the event loop now
        time.sleep(1.0)  # the sandboxes and the models are loading
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        line = said(proc.stderr)
        said_s = time.monotonic() - sent
        rest = proc.stderr.read()
        proc.wait(timeout=60)
        exited_s = time.monotonic() - sent
    finally:
        proc.kill()
    assert line == "dhe converse: interrupted" and said_s < 3.0, (line, said_s)
    assert proc.returncode == 130 and "interrupted" not in rest, rest
    assert exited_s < 10.0, exited_s
    assert not list(tmp_path.glob("x.mp4*"))
