"""Command lines of the cluster's services (Debian packages: redis-server, haproxy, postgresql)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any


def program(name: str) -> str | None:
    """The path of a service program (``PATH``, then ``/usr/sbin``), or None."""
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")


def redis_argv(port: int, folder: Path) -> list[str]:
    """``redis-server`` on 127.0.0.1:``port``, in the foreground, nothing persisted.

    The registry's keys are soft state the replicas' heartbeats rebuild, so no RDB/AOF file is
    written (``--save ""``, ``--appendonly no``).

    Raises:
        FileNotFoundError: ``redis-server`` is not on the PATH.
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


def replica_config(max_sessions: int) -> dict[str, dict[str, Any]]:
    """The replicas' shared YAML config: the shared business systems (not embedded ones)."""
    # Every visitor of a loopback cluster is 127.0.0.1 (X-Forwarded-For from the trusted proxy
    # names it): the per-address limits allow a whole replica's sessions from it.
    limits = {
        "sessions_per_address": max_sessions,
        "connecting_per_address": max(2, max_sessions),
        "offers_per_minute": 600,
    }
    return {
        "sandbox": {"embedded": False},
        "server": {
            "max_sessions": max_sessions,
            "trusted_proxies": ["127.0.0.1/32"],
            "limits": limits,
        },
    }


def postgres_bin(name: str) -> str | None:
    """A PostgreSQL server program (``initdb``, ``postgres``) of the newest installed major
    version (Debian keeps them in ``/usr/lib/postgresql/<major>/bin``), or None."""
    found = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3])
    )
    return str(found[-1]) if found else shutil.which(name)


def postgres_user() -> str | None:
    """The user PostgreSQL runs as: ``postgres`` when we are root (it refuses root), else us."""
    return "postgres" if os.geteuid() == 0 else None


def postgres_init(data: Path) -> None:
    """``initdb`` a cluster in ``data`` (owned by :func:`postgres_user`), unless it exists.

    Raises:
        FileNotFoundError: PostgreSQL is not installed.
        subprocess.CalledProcessError: initdb failed.
    """
    initdb = postgres_bin("initdb")
    if initdb is None:
        raise FileNotFoundError("PostgreSQL is not installed (apt-get install postgresql)")
    if (data / "PG_VERSION").exists():
        return
    data.mkdir(parents=True, exist_ok=True)
    user = postgres_user()
    if user is not None:
        shutil.chown(data, user, user)
    data.chmod(0o700)
    subprocess.run(
        [initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"],
        check=True,
        capture_output=True,
        user=user,
    )


def postgres_argv(data: Path, port: int, *, durable: bool = True) -> list[str]:
    """The PostgreSQL server on 127.0.0.1:``port`` (TCP only; ``durable=False`` turns fsync off,
    for tests).

    Raises:
        FileNotFoundError: PostgreSQL is not installed.
    """
    server = postgres_bin("postgres")
    if server is None:
        raise FileNotFoundError("PostgreSQL is not installed (apt-get install postgresql)")
    argv = [server, "-D", str(data), "-p", str(port), "-c", "listen_addresses=127.0.0.1",
            "-c", "unix_socket_directories="]  # fmt: skip
    return argv if durable else [*argv, "-c", "fsync=off", "-c", "synchronous_commit=off"]


def create_database(port: int, name: str) -> str:
    """Create database ``name`` (if missing) on the local server; returns its SQLAlchemy URL."""
    import psycopg

    with psycopg.connect(
        f"host=127.0.0.1 port={port} user=postgres dbname=postgres", autocommit=True
    ) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/{name}"


def turn_argv(
    folder: Path, port: int, relay_ports: tuple[int, int], username: str, password: str
) -> list[str]:
    """coturn on 127.0.0.1:``port`` (UDP and TCP), relaying on 127.0.0.1 within
    ``relay_ports`` (inclusive), long-term credentials ``username``:``password``.

    ``--allow-loopback-peers`` lets it relay to the replicas' 127.0.0.1 candidates (coturn
    refuses loopback peers by default); no TLS, no CLI, logs on stdout, its own PID file in
    ``folder/turn``.

    Raises:
        FileNotFoundError: coturn is not installed.
    """
    turnserver = program("turnserver")
    if turnserver is None:
        raise FileNotFoundError("coturn is not installed (apt-get install coturn)")
    (folder / "turn").mkdir(parents=True, exist_ok=True)  # coturn's own PID file, apart
    return [turnserver, "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1",
            f"--listening-port={port}", f"--min-port={relay_ports[0]}",
            f"--max-port={relay_ports[1]}", "--allow-loopback-peers", "--lt-cred-mech",
            f"--user={username}:{password}", "--realm=dhe.local", "--no-tls", "--no-dtls",
            "--no-cli", "--log-file=stdout", "--simple-log", f"--pidfile={folder / 'turn' / 'turnserver.pid'}"]  # fmt: skip
