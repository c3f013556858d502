"""One sandbox child process: how it is launched and how its readiness is awaited.

Split out of :mod:`connectors.embedded` along the seam between one process (its command line,
environment, log file and ``READY <url>`` handshake) and the cluster that starts, supervises
and talks to several. The child is ``python -m connectors.sandbox <system>`` on
127.0.0.1 (port 0: a free one), with the repository root as its working directory; it prints
``READY <url>`` on stdout once it listens and exits when its stdin closes
(``--exit-with-parent``).
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

import httpx

from connectors.sandbox.faults import FaultConfig

#: Repository root (the sandboxes run with it as working directory so the package imports).
REPO_ROOT = Path(__file__).resolve().parents[1]


class SandboxStartError(RuntimeError):
    """A sandbox did not become healthy in time; ``log_path`` holds its stderr."""

    def __init__(self, system: str, reason: str, log_path: Path) -> None:
        super().__init__(f"sandbox {system} failed to start: {reason} (log: {log_path})")
        self.system = system
        self.log_path = log_path


def spawn_sandbox(
    system: str,
    *,
    port: int,
    db_path: Path,
    log_path: Path,
    api_key: str,
    test_key: str,
    code_key: str,
    demo_otp: bool = False,
    faults: FaultConfig | None = None,
) -> subprocess.Popen[bytes]:
    """Launch one sandbox (not yet ready: see :func:`wait_ready`).

    Args:
        system: ``bank`` or ``tax``.
        port: the TCP port on 127.0.0.1 (0: a free one, the child prints which).
        db_path: its SQLite file (seeded on first start).
        log_path: its stderr (appended to; made owner-only, mode 0600).
        api_key, test_key, code_key: the client API key, the test-only routes' key and the
            key one-time codes are hashed with (secrets, passed through the environment).
        demo_otp: demo customers' code is the documented ``123456``.
        faults: fault injection (None: none).

    Raises:
        OSError: the interpreter could not be started or the log file not opened.
    """
    env = dict(os.environ)
    env.update(
        DHE_SANDBOX_API_KEY=api_key,
        DHE_SANDBOX_TEST_KEY=test_key,
        DHE_SANDBOX_CODE_KEY=code_key,
        PYTHONPATH=os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH")) if p),
    )
    env.pop("DHE_SANDBOX_DEMO_OTP", None)
    env.pop("DHE_SANDBOX_FAULTS", None)
    argv = [sys.executable, "-m", "connectors.sandbox", system, "--port", str(port)]
    argv += ["--db", str(db_path), "--exit-with-parent", "--log-file", str(log_path)]
    if demo_otp:
        argv.append("--demo-otp")
    if faults is not None:
        argv += ["--faults", faults.model_dump_json()]
    with open(log_path, "ab") as log_file:
        os.chmod(log_file.fileno(), 0o600)
        return subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log_file,
            env=env,
            cwd=REPO_ROOT,
        )


def wait_ready(system: str, proc: subprocess.Popen[bytes], deadline: float, log_path: Path) -> str:
    """The base URL once ``proc`` printed ``READY <url>`` and answers ``/healthz``.

    Args:
        system: for the error.
        proc: a process from :func:`spawn_sandbox`.
        deadline: ``time.monotonic()`` seconds by which it must be ready.
        log_path: its stderr, named in the error.

    Raises:
        SandboxStartError: it exited, timed out or is not healthy.
    """
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    buf = b""
    while b"\n" not in buf or not buf.startswith(b"READY "):
        if b"\n" in buf:  # a line that is not READY: skip it
            buf = buf.split(b"\n", 1)[1]
            continue
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise SandboxStartError(system, "timed out", log_path)
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            chunk = os.read(fd, 4096)
            if not chunk:
                raise SandboxStartError(system, f"exited with {proc.wait()}", log_path)
            buf += chunk
    url = buf.split(b"\n", 1)[0].decode().removeprefix("READY ").strip()
    try:
        resp = httpx.get(url + "/healthz", timeout=max(deadline - time.monotonic(), 0.5))
    except httpx.HTTPError as exc:
        raise SandboxStartError(system, f"healthz: {exc}", log_path) from exc
    if resp.status_code != 200:
        raise SandboxStartError(system, f"healthz {resp.status_code}", log_path)
    return url
