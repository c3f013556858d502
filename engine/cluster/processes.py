"""Background processes of the local cluster: start detached, record the PID, wait, stop.

Each service is started as its own serving process (no wrapper shell), in a new session so it
outlives the command that started it, with its output in ``<folder>/<name>.log`` and its PID in
``<folder>/<name>.pid``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path


class ServiceError(RuntimeError):
    """A service did not start (its log's last lines are in the message)."""


def free_port() -> int:
    """A 127.0.0.1 TCP port nothing listens on now (taken from the OS, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def spawn(
    folder: Path,
    name: str,
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    user: str | None = None,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``argv`` detached (new session), logging to ``folder/name.log``, PID in
    ``folder/name.pid``.

    Args:
        folder: where the PID and log files go (created).
        name: the service name (``replica-1``, ``redis`` …).
        argv: the serving program and its arguments (exec'd directly: the PID is the server's).
        env: the environment (default: this process's).
        user: run as this user (root only; PostgreSQL refuses root).
        cwd: working folder.

    Returns:
        The started process.
    """
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"{name}.log").open("ab") as log:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            user=user,
            start_new_session=True,
        )
    (folder / f"{name}.pid").write_text(f"{proc.pid}\n")
    return proc


def log_tail(folder: Path, name: str, lines: int = 15) -> str:
    """The last ``lines`` lines of a service's log ('' when there is none)."""
    path = folder / f"{name}.log"
    if not path.is_file():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def wait_port(
    port: int, proc: subprocess.Popen[bytes], folder: Path, name: str, timeout_s: float
) -> None:
    """Wait until 127.0.0.1:``port`` accepts TCP connections.

    Raises:
        ServiceError: the process exited, or ``timeout_s`` passed.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServiceError(
                f"{name} exited with status {proc.returncode}:\n{log_tail(folder, name)}"
            )
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise ServiceError(f"{name} did not listen on port {port} in {timeout_s:.0f} s")


def read_pid(folder: Path, name: str) -> int | None:
    """The PID recorded for ``name``, or None (no file, or not a number)."""
    try:
        return int((folder / f"{name}.pid").read_text().strip())
    except (OSError, ValueError):
        return None


def alive(pid: int) -> bool:
    """Whether a process ``pid`` exists (a zombie counts as gone when it is our child)."""
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop(folder: Path, name: str, *, timeout_s: float = 10.0) -> bool:
    """SIGTERM the recorded process, SIGKILL after ``timeout_s``; remove the PID file.

    Args:
        folder: where the PID files are; name: the process's name (``<name>.pid``).
        timeout_s: seconds to wait after SIGTERM before SIGKILL.

    Returns:
        True when a running process was stopped.
    """
    pid = read_pid(folder, name)
    (folder / f"{name}.pid").unlink(missing_ok=True)
    if pid is None or not alive(pid):
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    return True
