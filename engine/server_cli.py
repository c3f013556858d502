"""``dhe serve [--host 127.0.0.1] [--port 8080] [--config FILE]`` — the realtime server.

Registered by :mod:`engine.cli` through :func:`add_commands`. Exit codes: 0 after a clean stop
(Ctrl-C / SIGTERM), 2 on bad usage (unreadable config, port in use), 1 on an internal failure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from typing import NoReturn

from connectors.listen import listen_failure

log = logging.getLogger("dhe.serve")


class RegistryStartError(Exception):
    """The shared session registry (``cluster.registry_url``) is unusable at start."""


def add_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``serve`` subcommand."""
    p = subparsers.add_parser("serve", help="the realtime WebRTC server (visitor page at /)")
    p.add_argument("--host", default=None, help="listen address (default from config: 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="port (default from config: 8080)")
    p.add_argument(
        "--config", default=None, help="config YAML (default: assets/config/default.yaml)"
    )
    p.set_defaults(func=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    """Run the server until interrupted.

    SIGINT (Ctrl-C) and SIGTERM are the ordinary way to stop a service: ``dhe serve: stopping``
    on stderr, sessions closed, exit 0 (unlike the one-shot commands, which exit 130 on Ctrl-C).

    Returns:
        The exit status of a start that failed (1 or 2), or 0 when interrupted before the
        loop ran. After a clean stop the process ends here with 0
        (:func:`exit_after_clean_stop`).
    """
    import os

    # CTranslate2's OpenMP workers spin while idle by default; on a 2-core kiosk that spinning
    # steals the CPU the media threads need. Must be set before ctranslate2 loads.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from engine.cli_errors import config_problem, fail
    from engine.config import ConfigError, load_config

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        return fail("serve", config_problem(exc, args.config), 2)
    from engine.server.security import kiosk_token

    try:
        kiosk_token(config.server.kiosk_token_env)
    except ValueError as exc:
        return fail("serve", str(exc), 2)
    host = args.host or config.server.host
    port = config.server.port if args.port is None else args.port
    if not 0 <= port <= 65535:
        return fail("serve", f"--port {port}: out of range", 2)
    try:
        check_listen(host, port)
    except OSError as exc:
        return fail("serve", listen_failure(host, port, exc), 2)
    from engine.paths import environment_folder_problem

    problem = environment_folder_problem()
    if problem is not None:
        return fail("serve", problem, 2)
    show_server_progress()
    try:
        with asyncio.Runner() as runner:
            status = runner.run(_serve(config, host, port))
            # Stopped cleanly (sessions closed, sandboxes stopped): end here, before the
            # runner's close waits for the default executor, where a warm-up step stopped
            # mid-way (a voice or a renderer loading) would hold the exit for 16 s.
            exit_after_clean_stop(status)
    except KeyboardInterrupt:
        return 0
    except RegistryStartError as exc:
        return fail("serve", str(exc), 2)
    except OSError as exc:
        return fail("serve", listen_failure(host, port, exc), 2)
    except Exception as exc:  # the CLI boundary: report, log the traceback, exit 1
        log.exception("serve failed")
        return fail("serve", f"internal failure: {exc.__class__.__name__}: {exc}", 1)
    exit_after_clean_stop(status)


def check_listen(host: str, port: int) -> None:
    """Bind ``host``:``port`` and let it go again, as the server's listening socket will be
    bound (every address the host resolves to, ``SO_REUSEADDR``, IPv6 sockets IPv6-only: the
    options of :meth:`asyncio.loop.create_server`), so a taken port or a foreign address is
    reported before the server's modules load (seconds of CPU). Port 0 (any free port) is not
    probed. The server's own bind still reports a port taken in between.

    Raises:
        OSError: the bind's error (``socket.gaierror`` for a host that does not resolve).
    """
    import socket

    if port == 0:
        return
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    for family, kind, proto, _, address in dict.fromkeys(infos):
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)


def exit_after_clean_stop(status: int) -> NoReturn:
    """End the process with ``status`` once ``_serve`` has stopped cleanly (sessions closed,
    sandboxes stopped and reaped, executors shut down), without waiting for the default
    executor's threads (a warm-up step under way is abandoned) or the interpreter's own teardown:
    with the models loaded, its final garbage collection over their objects took 1.2 s of CPU
    and 7 s on a loaded 2-core machine (measured, ``dhe serve`` English-only) before the exit
    status reached the service manager or the test waiting on it. Logs and stdio are flushed
    first; nothing else registered ``atexit`` work the stop must do."""
    import os

    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def show_server_progress() -> None:
    """Let the server's INFO lines (``ready in N s``, sessions started and ended) reach stderr
    at the default verbosity; the rest of the process stays at the root logger's level."""
    logging.getLogger("engine.server").setLevel(min(logging.getLogger().level, logging.INFO))


async def _serve(config, host: str, port: int) -> int:
    from aiohttp import web

    from engine.server.app import build_app

    registry = await _shared_registry(config, port)
    app = build_app(config, host=host, registry=registry)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError:
        await runner.cleanup()
        if registry is not None:
            await registry.close()
        raise
    bound = runner.addresses[0] if runner.addresses else (host, port)
    print(f"dhe serve: listening on http://{bound[0]}:{bound[1]}/", file=sys.stderr, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        print("dhe serve: stopping", file=sys.stderr, flush=True)
        await runner.cleanup()
        if registry is not None:
            await registry.close()
    return 0


async def _shared_registry(config, port: int):
    """The Redis registry when ``cluster.registry_url`` is set (joined: first heartbeat sent),
    else None (the app keeps sessions in the process)."""
    cluster = config.cluster
    if not cluster.registry_url:
        return None
    from redis.exceptions import RedisError

    from engine.server.redis_registry import RedisRegistry

    try:
        registry = RedisRegistry(
            cluster.registry_url,
            cluster.replica_id or f"replica-{port}",
            config.server.max_sessions,
            cluster_capacity=cluster.max_sessions,
            heartbeat_interval_ms=cluster.heartbeat_interval_ms,
            heartbeat_ttl_ms=cluster.heartbeat_ttl_ms,
        )
    except ValueError as exc:
        raise RegistryStartError(f"cluster.replica_id: {exc}") from exc
    try:
        await registry.start()
    except RedisError as exc:
        await registry.close()
        raise RegistryStartError(f"cannot reach the session registry: {exc}") from exc
    print(
        f"dhe serve: replica {registry.replica_id} joined the session registry",
        file=sys.stderr,
        flush=True,
    )
    return registry
