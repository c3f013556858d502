"""``dhe sandbox`` and ``dhe connectors`` subcommands (the engine's CLI calls :func:`add_commands`).

* ``dhe sandbox bank|tax [--port N] [--db FILE] [--demo-otp] [--faults JSON]`` — run one sandbox
  in the foreground; with no environment set it prints a development API key.
* ``dhe connectors list`` — one operation per line: ``<system>.<operation>  <description>``.
* ``dhe connectors call OPERATION key=value ... [--demo] [--embedded|--no-embedded]`` — print the
  result as JSON ``{"operation", "data", "latency_ms"}``; an error prints
  ``{"error": {"code", "message"}}`` and exits 2 for bad usage (arguments not ``key=value``, a
  key given twice, an unknown operation, missing or invalid arguments: checked before anything
  starts) or 1 for an error from the system or a failure. Embedded by default: the sandboxes run
  for the duration of the call; ``--no-embedded`` uses the base URLs and keys from the
  environment.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import structlog

from connectors.base import ConnectorError, InvalidInput, NotFound
from connectors.config import ConnectorsConfig
from connectors.declaration import DeclarationError, load_declarations
from connectors.http_mapping import args_model, validate_args
from connectors.logs import configure_logging
from connectors.paths import default_var_dir

#: Exit codes (docs/architecture.md, "Contracts"): 0 ok, 1 typed error / failure, 2 bad usage.
EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
#: The longest ``--timeout-ms`` (10 minutes): a business call that has not answered by then
#: will not; a longer deadline is a typo, not a wish.
MAX_TIMEOUT_MS = 600_000.0


def add_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``sandbox`` and ``connectors`` subcommands; each sets ``func(args) -> int``."""
    from connectors.sandbox.__main__ import add_arguments

    sandbox = subparsers.add_parser("sandbox", help="run the sandbox bank or tax service")
    add_arguments(sandbox)
    sandbox.set_defaults(func=run_sandbox)

    conn = subparsers.add_parser("connectors", help="list or call business-system operations")
    sub = conn.add_subparsers(dest="connectors_command", required=True)
    lst = sub.add_parser("list", help="print every operation with its description")
    lst.add_argument("--declarations", type=Path, default=None, help=argparse.SUPPRESS)
    lst.set_defaults(func=run_list)
    call = sub.add_parser("call", help="call one operation and print its JSON result")
    call.add_argument("operation", help="<system>.<operation>, e.g. bank.get_balance")
    call.add_argument("params", nargs="*", metavar="key=value")
    call.add_argument("--demo", action="store_true", help="demo customers' code is 123456")
    call.add_argument(
        "--embedded",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="start the sandboxes for this call (default) or use the environment's systems",
    )
    call.add_argument(
        "--var-dir",
        type=Path,
        default=None,
        help="embedded data folder (default: the state folder, $DHE_VAR_DIR or the project's var/)",
    )
    call.add_argument("--idempotency-key", default=None)
    call.add_argument("--session-id", default="cli")
    call.add_argument(
        "--timeout-ms",
        type=float,
        default=None,
        help="overall deadline, ms (more than 0, at most 600000)",
    )
    call.set_defaults(func=run_call)


def run_sandbox(args: argparse.Namespace) -> int:
    """``dhe sandbox``: serve in the foreground until Ctrl-C."""
    from connectors.sandbox.__main__ import SandboxUsageError, check_arguments, serve

    try:
        check_arguments(args)
    except SandboxUsageError as exc:
        print(f"dhe sandbox: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    configure_logging()
    try:
        asyncio.run(serve(args))  # SIGINT/SIGTERM stop it cleanly
    except SandboxUsageError as exc:  # the port is in use: the caller can pick another
        print(f"dhe sandbox: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (OSError, sqlite3.Error) as exc:
        print(f"dhe sandbox: error: cannot start: {exc}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def run_list(args: argparse.Namespace) -> int:
    """``dhe connectors list``."""
    directory = args.declarations or ConnectorsConfig().declarations_dir
    try:
        decls = load_declarations(directory)
    except DeclarationError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_ERROR
    for decl in decls:
        for name, op in sorted(decl.operations.items()):
            print(f"{decl.system}.{name}  {op.description}")
    return EXIT_OK


def _parse_params(pairs: list[str]) -> dict[str, Any]:
    """``key=value`` arguments as a mapping.

    Raises:
        InvalidInput: an argument is not ``key=value``, or a key is given twice (which value
            was meant cannot be told; the key is named, never a value).
    """
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InvalidInput("arguments must be key=value")
        if key in params:
            raise InvalidInput(f"{key[:80]} given twice")
        params[key] = value
    return params


def _emit_error(code: str, message: str) -> None:
    print(json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False))


def _check_call(operation: str, params: dict[str, Any]) -> None:
    """Bad usage, found before any system starts: the operation against the declarations
    (``connectors.declarations_dir``) and its arguments against its declared fields.

    Raises:
        InvalidInput: the name is not ``<system>.<operation>``, or an argument is missing,
            unknown or of the wrong type (each field named, never its value).
        NotFound: no declared operation of that name (reason ``unknown_op``).
        DeclarationError: a declaration is invalid.
    """
    system, _, name = operation.partition(".")
    if not system or not name:
        raise InvalidInput(f"operation must be <system>.<operation>: {operation[:80]!r}")
    decls = {d.system: d for d in load_declarations(ConnectorsConfig().declarations_dir)}
    decl = decls.get(system)
    if decl is None or name not in decl.operations:
        known = ", ".join(sorted(decls))
        raise NotFound(
            f"unknown operation {operation[:80]} (systems: {known}; `dhe connectors list`)",
            operation=operation,
            reason="unknown_op",
        )
    op = decl.operations[name]
    validate_args(operation, op, args_model(operation, op), params)


def run_call(args: argparse.Namespace) -> int:
    """``dhe connectors call``: prints JSON, never a traceback. Bad usage (arguments not
    ``key=value``, an unknown operation, missing or invalid arguments) exits 2 before any
    system starts; an error from the system (typed, e.g. ``unauthorized``) exits 1."""
    if not structlog.is_configured():
        configure_logging()
    try:
        params = _parse_params(args.params)
    except InvalidInput as exc:
        _emit_error("invalid_input", str(exc))
        return EXIT_USAGE
    timeout_ms = args.timeout_ms
    if timeout_ms is not None and not 0 < timeout_ms <= MAX_TIMEOUT_MS:  # NaN fails too
        _emit_error(
            "invalid_input",
            f"--timeout-ms {timeout_ms:g}: must be > 0 and at most {MAX_TIMEOUT_MS:g}",
        )
        return EXIT_USAGE
    try:
        _check_call(args.operation, params)
    except (InvalidInput, NotFound) as exc:
        _emit_error(exc.code, exc.message)
        return EXIT_USAGE
    except DeclarationError as exc:
        _emit_error("configuration", "; ".join(exc.problems))
        return EXIT_ERROR
    try:
        return asyncio.run(_call(args, params))
    except ConnectorError as exc:
        _emit_error(exc.code, exc.message)
        return EXIT_ERROR
    except DeclarationError as exc:
        _emit_error("configuration", "; ".join(exc.problems))
        return EXIT_ERROR
    except OSError as exc:  # sandbox start failed (ports, files)
        _emit_error("unavailable", f"could not start the sandboxes: {type(exc).__name__}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        _emit_error("cancelled", "interrupted")
        return EXIT_ERROR


async def _call(args: argparse.Namespace, params: dict[str, Any]) -> int:
    from connectors.embedded import SandboxStartError, start_embedded
    from connectors.registry import load_connectors

    deadline = None if args.timeout_ms is None else time.monotonic() + args.timeout_ms / 1000
    kwargs = {"idempotency_key": args.idempotency_key, "session_id": args.session_id}
    if not args.embedded:
        async with load_connectors(ConnectorsConfig(embedded=False)) as router:
            result = await router.call(args.operation, params, deadline=deadline, **kwargs)
    else:
        var_dir = args.var_dir or default_var_dir()
        if not var_dir.parent.exists():
            var_dir = Path(tempfile.mkdtemp(prefix="dhe-var-"))
        try:
            async with start_embedded(var_dir, demo_otp=args.demo) as systems:
                result = await systems.connectors.call(
                    args.operation, params, deadline=deadline, **kwargs
                )
        except SandboxStartError as exc:
            _emit_error("unavailable", f"sandbox {exc.system} did not start")
            return EXIT_ERROR
    out = {
        "operation": result.operation,
        "data": dict(result.data),
        "latency_ms": round(result.latency_ms, 1),
    }
    print(json.dumps(out, ensure_ascii=False))
    return EXIT_OK
