"""``python -m engine.cluster up|down`` — the local cluster of ``make cluster``.

``up [--replicas 3] [--port 8090] [--max-sessions 2]`` starts, on 127.0.0.1, in the background:
Redis (the session registry), PostgreSQL (the engine database ``dhe``, its cluster in
``var/cluster/postgres``, run as the ``postgres`` user), coturn (``server.turn_servers`` of
every replica; loopback peers allowed), the shared bank and tax sandboxes (one
SQLite database each, the documented fixed demo code), the ``dhe serve`` replicas
(``cluster.registry_url``, ``cluster.replica_id`` and ``connectors.audit_db_url`` set through
``DHE_*`` variables) and HAProxy (:mod:`engine.cluster.proxy`);
waits until every replica is ready (``/healthz``) and the proxy answers, then prints one line,
``cluster ready: http://127.0.0.1:PORT``, and exits 0 (1 with the failing service's log when one
does not start; everything started is stopped again). Each serving process's PID is in
``var/cluster/<name>.pid`` (``redis``, ``postgres``, ``turn``, ``bank``, ``tax``,
``replica-1`` …, ``proxy``), its
output in ``<name>.log``; ``var/cluster/cluster.json`` (mode 0600) records the ports, replica
ids and the sandboxes' keys for ``down``, tests and operators.

``down`` stops them all (SIGTERM, then SIGKILL after 10 s) and exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
from pathlib import Path

import httpx
import yaml

from engine.cluster import processes, services
from engine.cluster.proxy import haproxy_argv, haproxy_config
from engine.paths import models_dir, var_dir

#: Every replica ready within this long (models load on each; a 2-core machine is shared).
READY_TIMEOUT_S = 240.0
SYSTEMS = ("bank", "tax")


def cluster_dir() -> Path:
    """``var/cluster`` (``DHE_VAR_DIR`` moves it)."""
    return var_dir() / "cluster"


def read_state(folder: Path | None = None) -> dict:
    """The running cluster's ``cluster.json`` (ports, ids, keys).

    Raises:
        FileNotFoundError: no cluster was started.
    """
    return json.loads(((folder or cluster_dir()) / "cluster.json").read_text())


def service_names(state: dict) -> list[str]:
    """Every service of a cluster, in start order."""
    postgres = ["postgres"] if state.get("postgres_port") else []
    replicas = [r["id"] for r in state["replicas"]]
    return ["redis", *postgres, "turn", *SYSTEMS, *replicas, "proxy"]


def replica_env(state: dict, replica: dict, folder: Path) -> dict[str, str]:
    """A replica's environment: the registry, its id, the shared systems, its state folder."""
    env = {
        **os.environ,
        "DHE_CLUSTER__REGISTRY_URL": state["redis_url"],
        "DHE_CLUSTER__REPLICA_ID": replica["id"],
        "DHE_CONNECTORS__VAR_DIR": str(folder / replica["id"]),
        "DHE_MODELS_DIR": str(models_dir()),
        "PYTHONPATH": os.environ.get("PYTHONPATH", str(Path(__file__).resolve().parents[2])),
    }
    env["DHE_TURN_PASSWORD"] = state["turn"]["password"]
    if state.get("database_url"):
        env["DHE_CONNECTORS__AUDIT_DB_URL"] = state["database_url"]
    for system in SYSTEMS:
        env[f"DHE_{system.upper()}_BASE_URL"] = f"http://127.0.0.1:{state[system]['port']}"
        env[f"DHE_{system.upper()}_API_KEY"] = state[system]["api_key"]
    return env


def start_replica(state: dict, replica: dict, folder: Path) -> None:
    """Start one replica (also how a test brings a killed one back)."""
    argv = services.replica_argv(sys.executable, replica["port"], folder / "replica.yaml")
    processes.spawn(folder, replica["id"], argv, env=replica_env(state, replica, folder))


def wait_ready(url: str, name: str, folder: Path, deadline: float) -> None:
    """Wait for ``GET url`` to answer 200.

    Raises:
        processes.ServiceError: the process exited, or the deadline passed.
    """
    pid = processes.read_pid(folder, name)
    while time.monotonic() < deadline:
        if pid is None or not processes.alive(pid):
            raise processes.ServiceError(f"{name} exited:\n{processes.log_tail(folder, name)}")
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise processes.ServiceError(f"{name} was not ready at {url} in time")


def _plan(replicas: int, port: int, max_sessions: int) -> dict:
    state: dict = {
        "port": port,
        "redis_url": f"redis://127.0.0.1:{processes.free_port()}/0",
        "max_sessions": max_sessions,
        "postgres_port": processes.free_port(),
        "turn": {
            "port": processes.free_port(),
            "relay_port": processes.free_port(),
            "username": "kiosk",
            "password": secrets.token_urlsafe(16),
        },
        "replicas": [
            {"id": f"replica-{i}", "port": processes.free_port()} for i in range(1, replicas + 1)
        ],
    }
    for system in SYSTEMS:
        state[system] = {
            "port": processes.free_port(),
            "api_key": secrets.token_urlsafe(24),
            "test_key": secrets.token_urlsafe(24),
            "code_key": secrets.token_urlsafe(24),
        }
    return state


def _start_backends(state: dict, folder: Path) -> None:
    redis_port = int(state["redis_url"].rsplit(":", 1)[1].split("/")[0])
    proc = processes.spawn(folder, "redis", services.redis_argv(redis_port, folder / "redis"))
    processes.wait_port(redis_port, proc, folder, "redis", timeout_s=15)
    if state.get("postgres_port"):
        _start_postgres(state, folder)
    turn = state["turn"]
    relay_ports = (turn["relay_port"], turn["relay_port"] + 50)
    argv = services.turn_argv(folder, turn["port"], relay_ports, turn["username"], turn["password"])
    proc = processes.spawn(folder, "turn", argv)
    processes.wait_port(turn["port"], proc, folder, "turn", timeout_s=15)
    for system in SYSTEMS:
        keys = state[system]
        env = {
            **os.environ,
            "DHE_SANDBOX_API_KEY": keys["api_key"],
            "DHE_SANDBOX_TEST_KEY": keys["test_key"],
            "DHE_SANDBOX_CODE_KEY": keys["code_key"],
            "DHE_SANDBOX_DEMO_OTP": "1",
        }
        argv = services.sandbox_argv(sys.executable, system, keys["port"], folder / f"{system}.db")
        proc = processes.spawn(folder, system, argv, env=env)
        processes.wait_port(keys["port"], proc, folder, system, timeout_s=60)


def _start_postgres(state: dict, folder: Path) -> None:
    """PostgreSQL (as the ``postgres`` user under root) with the engine database ``dhe``."""
    port = state["postgres_port"]
    services.postgres_init(folder / "postgres")
    argv = services.postgres_argv(folder / "postgres", port)
    proc = processes.spawn(folder, "postgres", argv, user=services.postgres_user())
    processes.wait_port(port, proc, folder, "postgres", timeout_s=30)
    state["database_url"] = services.create_database(port, "dhe")


def up(
    replicas: int,
    port: int,
    max_sessions: int,
    *,
    folder: Path | None = None,
    settings: dict[str, dict[str, object]] | None = None,
) -> str:
    """Start the cluster; returns its URL.

    Args:
        replicas: how many ``dhe serve`` replicas.
        port: the proxy's 127.0.0.1 port.
        max_sessions: sessions per replica (``server.max_sessions``).
        folder: PID, log and state files (default ``var/cluster``).
        settings: more replica config, by section (e.g. ``{"asr": {"models": …}}``).

    Raises:
        processes.ServiceError: a service did not start (the others are stopped again).
    """
    folder = folder or cluster_dir()
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / "cluster.json").exists():
        down(folder)
    state = _plan(replicas, port, max_sessions)
    state_file = folder / "cluster.json"
    state_file.touch(mode=0o600)
    state_file.write_text(json.dumps(state, indent=2))
    _write_replica_config(state, folder, max_sessions, settings or {})
    try:
        _start_backends(state, folder)
        state_file.write_text(json.dumps(state, indent=2))  # with the database URL
        for replica in state["replicas"]:
            start_replica(state, replica, folder)
        deadline = time.monotonic() + READY_TIMEOUT_S
        for replica in state["replicas"]:
            url = f"http://127.0.0.1:{replica['port']}/healthz"
            wait_ready(url, replica["id"], folder, deadline)
        _start_proxy(state, folder, port)
    except BaseException:
        down(folder)
        raise
    return f"http://127.0.0.1:{port}"


def _write_replica_config(
    state: dict, folder: Path, max_sessions: int, settings: dict[str, dict[str, object]]
) -> None:
    """``replica.yaml``: the replicas' shared config (:func:`services.replica_config`: the shared
    sandboxes, ``max_sessions`` each) with the cluster's TURN server, ``settings`` merged over it
    by section."""
    config = services.replica_config(max_sessions)
    turn_url = f"turn:127.0.0.1:{state['turn']['port']}?transport=udp"
    config["server"]["turn_servers"] = [
        {
            "url": turn_url,
            "username": state["turn"]["username"],
            "password_env": "DHE_TURN_PASSWORD",
        }
    ]
    for section, values in settings.items():
        config[section] = {**config.get(section, {}), **values}
    (folder / "replica.yaml").write_text(yaml.safe_dump(config, allow_unicode=True))


def _start_proxy(state: dict, folder: Path, port: int) -> None:
    """HAProxy on 127.0.0.1:``port`` in front of the ready replicas, checking ``/livez`` (or
    ``/healthz`` on replicas without it); returns once ``/healthz`` answers through it.

    Raises:
        processes.ServiceError: the proxy exited or was not ready within 15 s.
    """
    first = state["replicas"][0]["port"]
    live = httpx.get(f"http://127.0.0.1:{first}/livez", timeout=2.0).status_code == 200
    pairs = [(r["id"], r["port"]) for r in state["replicas"]]
    proxy_config = folder / "haproxy.cfg"
    proxy_config.write_text(haproxy_config(port, pairs, "/livez" if live else "/healthz"))
    proc = processes.spawn(folder, "proxy", haproxy_argv(proxy_config))
    processes.wait_port(port, proc, folder, "proxy", timeout_s=15)
    wait_ready(f"http://127.0.0.1:{port}/healthz", "proxy", folder, time.monotonic() + 15)


def down(folder: Path | None = None) -> list[str]:
    """Stop every service of the cluster (reverse start order); returns the ones stopped."""
    folder = folder or cluster_dir()
    try:
        names = service_names(read_state(folder))
    except (FileNotFoundError, json.JSONDecodeError, KeyError):
        names = [p.stem for p in folder.glob("*.pid")]
    stopped = [name for name in reversed(names) if processes.stop(folder, name)]
    (folder / "cluster.json").unlink(missing_ok=True)
    return stopped


def main(argv: list[str] | None = None) -> int:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m engine.cluster")
    sub = parser.add_subparsers(dest="command", required=True)
    p_up = sub.add_parser("up", help="start the local cluster in the background")
    p_up.add_argument("--replicas", type=int, default=3)
    p_up.add_argument("--port", type=int, default=8090, help="the proxy's port")
    p_up.add_argument("--max-sessions", type=int, default=2, help="sessions per replica")
    sub.add_parser("down", help="stop the local cluster")
    args = parser.parse_args(argv)
    if args.command == "down":
        stopped = down()
        print(f"cluster stopped ({len(stopped)} processes)", file=sys.stderr)
        return 0
    if not 1 <= args.replicas <= 32:
        parser.error("--replicas must be 1..32")
    if not 1 <= args.port <= 65535:
        parser.error(f"--port {args.port}: must be 1..65535")
    if not 1 <= args.max_sessions <= 256:  # server.max_sessions's range (engine/config_serving.py)
        parser.error(f"--max-sessions {args.max_sessions}: must be 1..256")
    try:
        url = up(args.replicas, args.port, args.max_sessions)
    except (processes.ServiceError, FileNotFoundError) as exc:
        print(f"cluster: error: {exc}", file=sys.stderr)
        return 1
    print(f"cluster ready: {url}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
