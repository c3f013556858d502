"""``dhe converse`` and ``dhe demo``: one session from audio/text turns to a lip-synced MP4
(:mod:`engine.converse`). Registered by :mod:`engine.cli` through :func:`add_commands`.
Exit codes: 0 success, 2 bad usage or unreadable input (one-line error), 1 internal failure,
130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from engine.cli_errors import config_problem, fail, interrupted, run_answering_ctrl_c

DEMO_TURNS: tuple[tuple[str, str], ...] = (
    ("text", "Hello"),
    ("text", "When are you open?"),
    ("text", "What's my balance?"),
    ("text", "4417"),
    ("text", "123456"),
)


class _TurnAction(argparse.Action):
    """Collects ``--audio`` and ``--text`` into one ordered list of ``(kind, value)``."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        turns = list(getattr(namespace, "turns", None) or [])
        turns.append(("audio" if option_string == "--audio" else "text", values))
        namespace.turns = turns


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
        return fail(command, config_problem(exc, args.config), 2)
    except UsageError as exc:
        return fail(command, str(exc), 2)

    from engine.converse import KNOWN_FAILURES, converse, describe
    from engine.converse_inputs import setting_failure

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    if banner:
        progress(banner)

    try:
        doc = run_answering_ctrl_c(
            converse(
                turns,
                config=config,
                domain=args.domain,
                language=args.lang,
                demo=args.demo,
                out_path=out,
                progress=progress,
            ),
            command,
        )
    except UsageError as exc:
        return fail(command, str(exc), 2)
    except KeyboardInterrupt:
        return interrupted(command)
    except KNOWN_FAILURES as exc:  # a typed failure: its message says what to do
        bad_setting = setting_failure(exc, config, args.config)
        if bad_setting is not None:  # found only when its part loaded: still a usage error
            return fail(command, bad_setting.splitlines()[0], 2)
        return fail(command, str(exc).splitlines()[0], 1)
    except Exception as exc:  # the CLI boundary: one line; the traceback with -v
        logging.getLogger("dhe").debug("%s failed", command, exc_info=True)
        return fail(
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


def add_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``converse`` and ``demo`` subcommands."""
    p = subparsers.add_parser(
        "converse", help="one session from audio/text turns to a lip-synced MP4"
    )
    p.add_argument("--domain", default="bank", help="domain pack (bank, tax); default bank")
    p.add_argument("--lang", default="auto", choices=["auto", "en", "zh"])
    p.add_argument("--demo", action="store_true", help="demo customers use the fixed one-time code")
    p.add_argument("--audio", action=_TurnAction, metavar="FILE", help="a spoken visitor turn")
    p.add_argument("--text", action=_TurnAction, metavar="STR", help="a typed visitor turn")
    p.add_argument("--out", required=True, metavar="FILE.mp4", help="the video to write")
    p.add_argument("--json", action="store_true", help="print only the JSON document on stdout")
    p.add_argument(
        "--config", default=None, help="config YAML (default: assets/config/default.yaml)"
    )
    p.set_defaults(func=_cmd_converse, turns=[])

    p = subparsers.add_parser(
        "demo", help="the scripted demo conversation (make demo) written to an MP4"
    )
    p.add_argument("--out", default=None, metavar="FILE.mp4", help="default: var/demo.mp4")
    p.add_argument(
        "--config", default=None, help="config YAML (default: assets/config/default.yaml)"
    )
    p.set_defaults(func=_cmd_demo)
