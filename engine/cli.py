"""The ``dhe`` command line (contracts: ``docs/architecture.md``): the parser, its one-line
argument errors and the dispatch to a command.

Subcommands: ``converse`` and ``demo`` from :mod:`engine.converse_cli`; ``avatar preview``,
``models``, ``perceive`` and ``config check`` from :mod:`engine.tools_cli`; ``chat`` from
:mod:`engine.chat_cli`; ``serve`` from :mod:`engine.server_cli`; ``sandbox`` and
``connectors`` from :mod:`connectors.cli`; ``pack`` from :mod:`dialog.cli`.
Exit codes: 0 success, 2 bad usage or unreadable input (one-line error), 1 internal failure,
130 on Ctrl-C (:mod:`engine.cli_errors`).
"""

from __future__ import annotations

import argparse
import os
import re
import sys

from threadpoolctl import threadpool_limits

from engine import converse_cli, tools_cli
from engine.cli_errors import interrupted
from engine.logs import configure_logging


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error and exit status 2.

    A missing required argument is kept in :attr:`missing` instead of ending the parse, so
    argparse goes on to collect the arguments no parser knows and :func:`main` names an
    unknown flag first (``dhe config check --zz`` names ``--zz``, not the missing FILE; a
    misspelt ``--out`` is the likelier slip). Python 3.11's argparse (``requires-python``)
    checks required arguments last in a parser's pass and returns its unknown arguments after.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        #: the missing-argument error of this parser's pass, reported by :func:`main`
        self.missing: str | None = None

    def error(self, message: str) -> None:  # returns (for a missing argument only)
        if message.startswith("the following arguments are required"):
            self.missing = self.missing or message
            return
        self.exit(2, f"{self.prog}: error: {message}\n")


def _missing(parser: argparse.ArgumentParser) -> argparse.ArgumentParser | None:
    """The parser below ``parser`` (itself included) whose last pass missed a required
    argument, the innermost when several did; None when none did."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                if (found := _missing(sub)) is not None:
                    return found
    return parser if getattr(parser, "missing", None) else None


def _chosen(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.ArgumentParser:
    """The innermost (sub)command parser ``args`` went through (``dhe avatar preview``'s for
    ``dhe avatar preview --bogus``), so its errors name the command; ``parser`` when none."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            name = getattr(args, action.dest, None) if action.dest != argparse.SUPPRESS else None
            if name in action.choices:
                return _chosen(action.choices[name], args)
    return parser


def _version() -> str:
    """The installed package's version (``pyproject.toml``)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("digital-human-engine")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    """The full ``dhe`` parser, with the rooms' subcommands registered."""
    parser = _Parser(prog="dhe", description="Digital Human Engine")
    parser.add_argument("--version", action="version", version=f"dhe {_version()}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output (stderr)"
    )
    # not required here: main() names an unknown flag before saying a command is missing
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    converse_cli.add_commands(sub)
    tools_cli.add_commands(sub)
    for module in ("connectors.cli", "engine.chat_cli", "dialog.cli", "engine.server_cli"):
        try:
            mod = __import__(module, fromlist=["add_commands"])
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        mod.add_commands(sub)
    return parser


def limit_blas_threads() -> None:
    """One BLAS thread for the whole process (OpenBLAS under numpy and scikit-learn).

    A dialog turn's matrix work is small (one sentence vector against a few thousand example
    vectors, a linear classifier). With OpenBLAS's default of a thread per core, its idle
    workers spin after every call: a turn that waited ~15 ms burned ~30 ms of CPU
    (``benchmarks/dialog_turn.py``, process CPU), the second core's share taken from the ASR,
    the voice and the renderer of a 2-core kiosk. With one thread the same turn costs ~12 ms
    of CPU and waits as long. The models run by onnxruntime and CTranslate2 set their own
    thread counts and are not affected.
    """
    threadpool_limits(limits=1, user_api="blas")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``dhe`` console script."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    limit_blas_threads()
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    # -v / -vv / --verbose after the command (`dhe converse … -v`) count as before it: a
    # newcomer's `dhe converse … -v` was refused as an unrecognized argument (newcomer18)
    verbose = [flag for flag in unknown if re.fullmatch(r"-v+|--verbose", flag)]
    args.verbose += sum(1 if flag == "--verbose" else len(flag) - 1 for flag in verbose)
    unknown = [flag for flag in unknown if flag not in verbose]
    if unknown:  # named before a missing argument (see _Parser), by the command given
        _chosen(parser, args).error(f"unrecognized arguments: {' '.join(unknown)}")
    if (missing := _missing(parser)) is not None:
        missing.exit(2, f"{missing.prog}: error: {missing.missing}\n")
    if args.command is None:
        parser.exit(2, "dhe: error: the following arguments are required: command\n")
    configure_logging(args.verbose)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:  # a command that does not catch Ctrl-C itself
        return interrupted(args.command)


if __name__ == "__main__":
    sys.exit(main())
