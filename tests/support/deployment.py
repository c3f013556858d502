"""An operator's deployment, for tests: a business system started with ``dhe sandbox`` on its
own, the environment that points the connector declarations at it, and a config file with
``sandbox.embedded: false`` — the way a bank wires the engine to its real systems."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from connectors.supervision import end_process

REPO = Path(__file__).resolve().parents[2]
DECLARATIONS = REPO / "assets" / "connectors"


@dataclass(frozen=True, slots=True)
class RunningSystem:
    """A sandbox started as its operator would: its base URL and the printed development key."""

    system: str
    url: str
    api_key: str
    db: Path

    def env(self) -> dict[str, str]:
        """The variables the declaration reads: ``DHE_<SYSTEM>_BASE_URL`` / ``_API_KEY``."""
        prefix = f"DHE_{self.system.upper()}"
        return {f"{prefix}_BASE_URL": self.url, f"{prefix}_API_KEY": self.api_key}


@contextlib.contextmanager
def sandbox_process(system: str, db: Path, *, demo_otp: bool = True) -> Iterator[RunningSystem]:
    """``dhe sandbox SYSTEM --port 0 --db DB [--demo-otp]`` with no environment set; yields once
    it printed its development key and its READY line; stops it on exit."""
    argv = [sys.executable, "-m", "engine.cli", "sandbox", system, "--port", "0", "--db", str(db)]
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [*argv, *(["--demo-otp"] if demo_otp else [])],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        key_line, ready = proc.stdout.readline(), proc.stdout.readline()
        prefix = "Development API key (X-API-Key): "
        assert key_line.startswith(prefix), key_line
        assert ready.startswith("READY http://"), ready
        yield RunningSystem(
            system, ready.removeprefix("READY ").strip(), key_line[len(prefix) :].strip(), db
        )
    finally:
        end_process(proc, grace_s=10)


def closed_port() -> int:
    """A 127.0.0.1 port nothing listens on (taken from the OS, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def deployment_config(
    folder: Path, audit_db: Path, *, drop_operation: str | None = None, extra: dict | None = None
) -> Path:
    """A config file for real systems: ``sandbox.embedded: false``,
    ``connectors.declarations_dir`` (a copy of the shipped declarations, ``drop_operation``
    ``"<system>.<op>"`` left out so a test can tell the copy is read) and
    ``connectors.audit_db_url`` (SQLite ``audit_db``).

    Returns:
        The YAML file's path.
    """
    decls = folder / "declarations"
    decls.mkdir(parents=True, exist_ok=True)
    for source in DECLARATIONS.glob("*.yaml"):
        doc = yaml.safe_load(source.read_text(encoding="utf-8"))
        if drop_operation and drop_operation.startswith(doc["system"] + "."):
            del doc["operations"][drop_operation.split(".", 1)[1]]
        (decls / source.name).write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    config = {
        "sandbox": {"embedded": False},
        "connectors": {
            "declarations_dir": str(decls),
            "audit_db_url": f"sqlite:///{audit_db}",
            "slow_threshold_ms": 900,
        },
        **(extra or {}),
    }
    path = folder / "deployment.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path
