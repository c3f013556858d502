"""``dhe chat --domain D [--lang L] [--demo] [--why]``: text chat with the dialog engine.

Reads visitor lines from stdin and prints each reply, until end of input. The dialog room owns
the chat loop (:func:`dialog.chat.run_chat`) and its text I/O (:mod:`dialog.cli`); this module
wires it to the engine's configuration and to the business systems, opened the way every
command opens them (:func:`engine.systems.open_systems`). Registered by :mod:`engine.cli`.
Exit codes: 0 at end of input, 2 on bad usage (config, pack, embedding model), 130 on Ctrl-C
(one line ``dhe chat: interrupted`` on stderr). While the sandboxes and models start, two
progress lines (``starting: …``, ``ready in N s``) go to stderr, as ``dhe converse`` prints them.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import logging
import sys
import time
import uuid
from pathlib import Path

from engine.cli_errors import fail


def add_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``chat`` subcommand."""
    chat = subparsers.add_parser("chat", help="text chat with a domain's digital employee")
    chat.add_argument("--domain", default="bank", help="domain pack (bank, tax; default bank)")
    chat.add_argument("--lang", default="auto", choices=("auto", "en", "zh"))
    chat.add_argument("--demo", action="store_true", help="demo customers use the fixed code")
    chat.add_argument("--packs-dir", default=None, help="domain packs folder (assets/domains)")
    chat.add_argument("--var-dir", default=None, help="sandbox data folder (default var/)")
    chat.add_argument(
        "--config", default=None, help="config YAML (default: assets/config/default.yaml)"
    )
    chat.add_argument(
        "--why",
        action="store_true",
        help="after each reply, the intent and cited section on stderr",
    )
    chat.set_defaults(func=run_chat_command)


def run_chat_command(args: argparse.Namespace) -> int:
    """``dhe chat``: read lines from stdin, print each reply, exit at end of input."""
    from dialog.cli import interrupt_on_sigint
    from dialog.embedding import EmbeddingError
    from dialog.pack import PackError
    from engine.cli_errors import config_problem, interrupted
    from engine.config import ConfigError, load_config
    from engine.logs import configure_logging

    # Connector calls are logged (masked) on stderr; stdout carries only the replies. With --why
    # stderr carries exactly one line per input line, so routine call lines are left out.
    calls = logging.WARNING if args.why else logging.INFO
    configure_logging(getattr(args, "verbose", 0), structlog_level=calls)
    interrupt_on_sigint()
    try:
        config = load_config(args.config)
        return asyncio.run(_chat(args, config))
    except ConfigError as exc:
        return _fail(config_problem(exc, args.config))
    except PackError as exc:
        return _fail(f"invalid pack: {exc.problems[0]}")
    except EmbeddingError as exc:
        return _fail(str(exc))
    except FileNotFoundError as exc:
        return _fail(_missing_path(exc, args))
    except KeyboardInterrupt:
        return interrupted("chat")
    except Exception as exc:  # the CLI boundary, as dhe converse's: one line; the traceback with -v
        logging.getLogger("dhe").debug("chat failed", exc_info=True)
        return fail(
            "chat", f"internal failure: {exc.__class__.__name__}: {exc} (-v for details)", 1
        )


def _missing_path(exc: FileNotFoundError, args: argparse.Namespace) -> str:
    """Name what was missing: the state folder (``--var-dir`` or ``DHE_VAR_DIR``) that could not
    be made, another path, or the pack. ``DHE_VAR_DIR=/proc/nope`` was blamed on ``--domain``
    (newcomer11)."""
    import os

    missing = str(exc.filename or "")
    for given, name in ((args.var_dir, "--var-dir"), (os.environ.get("DHE_VAR_DIR"), None)):
        # the folder itself or a path inside it; not a sibling that shares its start
        # (--var-dir /tmp/var blamed for /tmp/var2/x)
        if given and missing and Path(missing).is_relative_to(Path(given)):
            where = name or "DHE_VAR_DIR (environment)"
            return f"{where}: {given}: cannot make the state folder ({exc.strerror})"
    if missing:
        return f"{missing}: {exc.strerror}"
    return f"--domain {args.domain}: {exc}"


def _fail(message: str) -> int:
    """``dhe chat``'s usage errors: one line, exit 2."""
    return fail("chat", message, 2)


async def _chat(args: argparse.Namespace, config) -> int:
    from dialog import DialogEngine
    from dialog.chat import run_chat
    from dialog.cli import print_turn, readable_lines
    from dialog.pack import unknown_pack_message
    from engine.embeddings import section_reranker, sentence_encoder
    from engine.systems import open_systems

    var = Path(args.var_dir) if args.var_dir else None
    if var is not None:
        var.mkdir(parents=True, exist_ok=True)
    packs_dir = Path(args.packs_dir) if args.packs_dir else config.dialog.packs_dir
    if args.packs_dir and not packs_dir.is_dir():  # not the --domain's fault
        reason = "is not a folder" if packs_dir.exists() else "does not exist"
        return _fail(f"--packs-dir {packs_dir}: {reason}")
    t0 = time.perf_counter()
    unknown = unknown_pack_message(args.domain, packs_dir)
    if unknown is not None:  # before the slow start, and the message converse and the API give
        return _fail(f"--domain {args.domain}: {unknown}")
    print("starting: sandboxes, models …", file=sys.stderr, flush=True)
    async with open_systems(config, demo=args.demo, var=var) as systems:
        engine = DialogEngine.load(
            args.domain,
            systems.connector,
            packs_dir,
            encoder=sentence_encoder(config.dialog.embedding_model),
            llm=config.dialog.llm.settings(),
            reranker=section_reranker(config.dialog.rerank_model),
        )
        print(f"ready in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
        session_id = f"chat-{uuid.uuid4().hex[:8]}"
        # bytes that are not UTF-8 become lone surrogates, refused line by line (not U+FFFD
        # guesses, not a UnicodeDecodeError that ends the chat)
        if isinstance(sys.stdin, io.TextIOWrapper):  # not a test's replacement stream
            sys.stdin.reconfigure(encoding="utf-8", errors="surrogateescape")
        async for _, turn in run_chat(
            readable_lines(sys.stdin, why=args.why), engine, session_id, args.lang
        ):
            print_turn(turn, why=args.why)
    return 0
