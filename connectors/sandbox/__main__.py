"""Run one sandbox service: ``python -m connectors.sandbox bank|tax [--port N] [--db FILE]``.

Environment (all optional; with none set the service prints a development API key):

* ``DHE_SANDBOX_API_KEY`` — the client API key;
* ``DHE_SANDBOX_TEST_KEY`` — enables the test-only ``/_test`` routes (README.md);
* ``DHE_SANDBOX_DEMO_OTP=1`` — same as ``--demo-otp``;
* ``DHE_SANDBOX_FAULTS`` — a fault config JSON, same as ``--faults``;
* ``DHE_SANDBOX_CODE_KEY`` — the key one-time codes are hashed with in the database (random per
  process when unset: codes then verify only until the service restarts).

With ``--port 0`` a free port is taken. Once listening, the service prints one line to stdout,
``READY http://127.0.0.1:PORT``; with ``--exit-with-parent`` it exits when its stdin closes (the
embedded mode's guard against orphans). Logs go to stderr, or with ``--log-file`` to
a file rotated at 5 MiB (3 old files kept). ``GET /healthz`` answered 200 is not logged.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from connectors.listen import listen_failure
from connectors.logs import configure_logging, configure_rotating_logging
from connectors.paths import default_var_dir
from connectors.sandbox.faults import FaultConfig

if TYPE_CHECKING:  # imported by serve(): `dhe` mounts add_arguments() in every process
    from connectors.sandbox.server import Service

DEFAULT_PORTS = {"bank": 8701, "tax": 8702}
LOG_MAX_BYTES = 5 * 2**20  # a log file's size before it is rotated (README.md, 7x24)
LOG_BACKUPS = 3  # rotated files kept: at most 20 MiB of logs per sandbox


def make_service(system: str) -> Service:
    """The service object for ``bank`` or ``tax``."""
    if system == "bank":
        from connectors.sandbox.bank import BankService

        return BankService()
    from connectors.sandbox.tax import TaxService

    return TaxService()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The sandbox command line (shared with ``dhe sandbox``)."""
    parser.add_argument("system", choices=("bank", "tax"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=None, help="0 = any free port")
    parser.add_argument(
        "--db",
        type=Path,
        default=None,
        help="SQLite file (default sandbox-SYSTEM.db in the state folder, $DHE_VAR_DIR or the project's var/)",
    )
    parser.add_argument("--demo-otp", action="store_true", help="demo customers' code is 123456")
    parser.add_argument(
        "--faults", default=None, help="fault injection JSON (connectors/sandbox/README.md)"
    )
    parser.add_argument("--exit-with-parent", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--log-file",
        type=Path,
        default=None,
        help=f"log here (rotated at {LOG_MAX_BYTES // 2**20} MiB, {LOG_BACKUPS} old files kept) "
        "instead of stderr",
    )


class SandboxUsageError(ValueError):
    """A command-line value is unusable (one-line message naming the option)."""


def check_arguments(args: argparse.Namespace) -> None:
    """Validate options before anything starts.

    Raises:
        SandboxUsageError: port out of range, ``--db`` is a folder, in a missing folder, or a
            file that is not a SQLite database, or ``--faults`` is not a valid fault JSON.
    """
    if args.port is not None and not 0 <= args.port <= 65535:
        raise SandboxUsageError(f"--port {args.port}: out of range (0-65535)")
    if args.db is not None and Path(args.db).is_dir():
        raise SandboxUsageError(f"--db {args.db}: is a folder, give a SQLite file path")
    if args.db is not None and not Path(args.db).parent.is_dir():
        raise SandboxUsageError(f"--db {args.db}: folder {Path(args.db).parent} does not exist")
    if args.db is not None:
        _check_database_file(Path(args.db))
    faults_json = args.faults or os.environ.get("DHE_SANDBOX_FAULTS")
    if faults_json:
        try:
            FaultConfig.model_validate_json(faults_json)
        except ValidationError as exc:
            why = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'JSON'}: {e['msg']}" for e in exc.errors()
            )
            raise SandboxUsageError(f"--faults: not a valid fault config ({why})") from exc


#: The first 16 bytes of every SQLite 3 database file (https://www.sqlite.org/fileformat.html,
#: "The Database Header").
SQLITE_HEADER = b"SQLite format 3\x00"


def _check_database_file(db: Path) -> None:
    """An existing, non-empty ``--db`` must be a SQLite database (a new or empty file is made
    one); SQLite itself only says "file is not a database", without the file's name.

    Raises:
        SandboxUsageError: the file cannot be read, or is not a SQLite database.
    """
    try:
        with db.open("rb") as file:
            head = file.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return
    except OSError as exc:
        raise SandboxUsageError(f"--db {db}: cannot read it ({exc.strerror or exc})") from exc
    if head and head != SQLITE_HEADER:
        raise SandboxUsageError(
            f"--db {db}: not a SQLite database (give a new file, or a sandbox database)"
        )


def _watch_stdin_eof(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    """Stop once stdin (a pipe from the parent) reaches end of file: the parent closed it or died.

    The event loop watches the raw file descriptor (non-blocking ``os.read``): no thread is left
    blocked in a buffered ``sys.stdin`` read, which at interpreter exit aborted the process
    ("Fatal Python error: _enter_buffered_busy").
    """
    fd = sys.stdin.fileno()
    os.set_blocking(fd, False)

    def on_readable() -> None:
        try:
            if os.read(fd, 1024):
                return
        except BlockingIOError:
            return
        loop.remove_reader(fd)
        stop.set()

    loop.add_reader(fd, on_readable)


async def serve(args: argparse.Namespace) -> None:
    """Serve until SIGINT/SIGTERM (or stdin EOF with ``--exit-with-parent``).

    Raises:
        SandboxUsageError: the port cannot be listened on (in use, or not allowed).
        OSError, sqlite3.Error: the database cannot be opened.
    """
    from aiohttp import web

    from connectors.sandbox.server import SandboxSettings, build_app

    api_key = os.environ.get("DHE_SANDBOX_API_KEY")
    printed_key = None
    if not api_key:
        api_key = printed_key = "dev-" + secrets.token_urlsafe(16)
    faults_json = args.faults or os.environ.get("DHE_SANDBOX_FAULTS")
    settings = SandboxSettings(
        system=args.system,
        db_path=args.db or default_var_dir() / f"sandbox-{args.system}.db",
        api_key=api_key,
        test_key=os.environ.get("DHE_SANDBOX_TEST_KEY") or None,
        demo_otp=args.demo_otp or os.environ.get("DHE_SANDBOX_DEMO_OTP", "") in ("1", "true"),
        faults=FaultConfig.model_validate_json(faults_json) if faults_json else FaultConfig(),
        code_key=os.environ.get("DHE_SANDBOX_CODE_KEY", "").encode() or None,
    )
    app = build_app(settings, make_service(args.system))
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    port = DEFAULT_PORTS[args.system] if args.port is None else args.port
    site = web.TCPSite(runner, args.host, port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise SandboxUsageError(listen_failure(args.host, port, exc)) from exc
    bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if args.exit_with_parent:
        _watch_stdin_eof(loop, stop)
    if printed_key:
        print(f"Development API key (X-API-Key): {printed_key}", flush=True)
    print(f"READY http://{args.host}:{bound}", flush=True)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m connectors.sandbox")
    add_arguments(parser)
    args = parser.parse_args(argv)
    if args.log_file is not None:
        configure_rotating_logging(args.log_file, LOG_MAX_BYTES, LOG_BACKUPS)
    else:
        configure_logging()
    asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
