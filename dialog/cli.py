"""The dialog room's CLI commands: ``dhe chat`` and ``dhe pack check`` (DESIGN.md, "Contracts").

``engine/cli.py`` owns ``dhe``; it calls :func:`add_commands` to mount these.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

from dialog.embedding import EmbeddingError, SentenceEncoder
from dialog.llm import LLMSettings
from dialog.pack import DEFAULT_PACKS_DIR, PackError
from dialog.pack_check import check_pack
from dialog.slot_values import MAX_TEXT_CHARS

#: Where ``dhe chat`` keeps the embedded sandboxes' SQLite files.
DEFAULT_VAR_DIR = Path("var")


def _pack_check(args: argparse.Namespace) -> int:
    """``dhe pack check DIR``: one ``FILE:LINE: message`` per problem; exit 1 if any."""
    root = Path(args.dir)
    _, problems = check_pack(root)
    for problem in problems:
        print(problem)
    if not problems:
        print(f"{root}: ok", file=sys.stderr)
    return 1 if problems else 0


def _understanding_parts() -> tuple[SentenceEncoder | None, LLMSettings | None]:
    """The engine's configured sentence encoder and LLM, so `dhe chat` reads and answers text
    as the engine does."""
    from engine.config import ConfigError, load_config
    from engine.embeddings import sentence_encoder

    try:
        config = load_config().dialog
    except ConfigError as exc:  # a bad DHE_* value
        raise _SetupError(str(exc)) from exc
    return sentence_encoder(config.embedding_model), config.llm.settings()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


class _SetupError(Exception):
    """The engine configuration `dhe chat` reads is invalid (one line)."""


def _readable_lines(stream: Iterable[str]) -> Iterator[str]:
    """The lines of ``stream``; one over :data:`~dialog.slot_values.MAX_TEXT_CHARS` (the limit of
    every text turn, as on the server) is skipped with one line on stderr, the session goes on."""
    for number, line in enumerate(stream, start=1):
        if len(line.rstrip("\r\n")) > MAX_TEXT_CHARS:
            print(
                f"dhe chat: line {number}: longer than {MAX_TEXT_CHARS} characters, not read",
                file=sys.stderr,
                flush=True,
            )
            continue
        yield line


async def _chat(args: argparse.Namespace) -> int:
    from connectors.embedded import start_embedded
    from connectors.logs import configure_logging
    from dialog.chat import run_chat
    from dialog.session import DialogEngine

    configure_logging(stream=sys.stderr)  # stdout carries only the replies
    packs_dir = Path(args.packs_dir) if args.packs_dir else None
    var_dir = Path(args.var_dir) if args.var_dir else DEFAULT_VAR_DIR
    var_dir.mkdir(parents=True, exist_ok=True)
    # `sandbox.demo_otp` of the engine config, as its DHE_* variable, also applies here.
    demo = args.demo or os.environ.get("DHE_SANDBOX__DEMO_OTP", "").lower() in ("1", "true", "yes")
    async with start_embedded(var_dir, demo_otp=demo) as systems:
        encoder, llm = _understanding_parts()
        engine = DialogEngine.load(
            args.domain, systems.connectors, packs_dir, encoder=encoder, llm=llm
        )
        session_id = f"chat-{uuid.uuid4().hex[:8]}"
        async for _, turn in run_chat(_readable_lines(sys.stdin), engine, session_id, args.lang):
            for reply in turn.replies:
                print(reply.text, flush=True)
            if args.why:  # what the avatar acted on, for pack authors (stdout stays replies)
                sources = [r.source for r in turn.replies if r.source]
                cited = f" · {', '.join(sources)}" if sources else ""
                print(f"  [{turn.intent or 'out_of_scope'}{cited}]", file=sys.stderr, flush=True)
    return 0


def _chat_cmd(args: argparse.Namespace) -> int:
    """``dhe chat``: read lines from stdin, print each reply, exit at end of input."""
    # stdin is read on the loop's thread; asyncio's own SIGINT handler would only cancel the
    # task after the next line arrives, so Ctrl-C raises at once instead (exit 130).
    signal.signal(signal.SIGINT, _interrupt)
    try:
        return asyncio.run(_chat(args))
    except PackError as exc:
        print(f"dhe chat: invalid pack: {exc.problems[0]}", file=sys.stderr)
        return 2
    except EmbeddingError as exc:
        print(f"dhe chat: error: {exc}", file=sys.stderr)
        return 2
    except _SetupError as exc:
        print(f"dhe chat: error: {exc}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"dhe chat: --domain {args.domain}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Add ``chat`` and ``pack`` to the ``dhe`` sub-command parser.

    Args:
        subparsers: the ``dhe`` parser's ``add_subparsers()`` result.
    """
    chat = subparsers.add_parser("chat", help="text chat with a domain's digital employee")
    chat.add_argument("--domain", default="bank", help="domain pack (bank, tax)")
    chat.add_argument("--lang", default="auto", choices=("auto", "en", "zh"))
    chat.add_argument("--demo", action="store_true", help="demo customers use the fixed code")
    chat.add_argument("--packs-dir", default=None, help=f"default {DEFAULT_PACKS_DIR}")
    chat.add_argument("--var-dir", default=None, help="sandbox data folder (default var/)")
    chat.add_argument(
        "--why",
        action="store_true",
        help="after each reply, the intent and cited section on stderr",
    )
    chat.set_defaults(func=_chat_cmd)

    pack = subparsers.add_parser("pack", help="domain pack tools")
    pack_sub = pack.add_subparsers(dest="pack_command", required=True)
    check = pack_sub.add_parser("check", help="validate a domain pack folder")
    check.add_argument("dir", help="the pack folder, e.g. assets/domains/bank")
    check.set_defaults(func=_pack_check)


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry (``python -m dialog.cli chat ...``) until ``dhe`` mounts the commands."""
    parser = argparse.ArgumentParser(prog="dhe")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
