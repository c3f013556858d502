"""Command lines of the cluster's services (Debian packages: redis-server, haproxy)."""

from __future__ import annotations

import shutil
from pathlib import Path

#: The Debian packages ``make cluster`` needs, and the program each provides.
DEBIAN_PROGRAMS = {"redis-server": "redis-server", "haproxy": "haproxy"}


def program(name: str) -> str | None:
    """The path of a service program (``PATH``, then ``/usr/sbin``), or None."""
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")


def redis_argv(port: int, folder: Path) -> list[str]:
    """``redis-server`` on 127.0.0.1:``port``, in the foreground, nothing persisted.

    The registry's keys are soft state the replicas' heartbeats rebuild, so no RDB/AOF file is
    written (``--save ""``, ``--appendonly no``).
    """
    folder.mkdir(parents=True, exist_ok=True)
    redis = program("redis-server")
    if redis is None:
        raise FileNotFoundError("redis-server is not installed (apt-get install redis-server)")
    return [
        redis,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(folder),
        "--daemonize",
        "no",
        "--protected-mode",
        "yes",
    ]


def sandbox_argv(python: str, system: str, port: int, db: Path) -> list[str]:
    """A shared sandbox business system (``connectors.sandbox``) on 127.0.0.1:``port``."""
    return [python, "-m", "connectors.sandbox", system, "--port", str(port), "--db", str(db)]


def replica_argv(python: str, port: int, config: Path) -> list[str]:
    """One ``dhe serve`` replica on 127.0.0.1:``port`` (the Python process serves itself)."""
    return [python, "-m", "engine.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
            "--config", str(config)]  # fmt: skip


def replica_config(max_sessions: int) -> dict[str, dict[str, object]]:
    """The replicas' shared YAML config: the shared business systems (not embedded ones)."""
    return {
        "sandbox": {"embedded": False},
        # X-Forwarded-For from the proxy names the visitor (per-address limits, logs).
        "server": {"max_sessions": max_sessions, "trusted_proxies": ["127.0.0.1/32"]},
    }
