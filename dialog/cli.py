"""The dialog room's CLI parts: ``dhe pack check``, and the text side of ``dhe chat``.

``engine/cli.py`` owns ``dhe``; it calls :func:`add_commands` to mount ``pack``. ``dhe chat`` is
wired by :mod:`engine.chat_cli` (it opens the business systems the way every command does) and
uses :func:`readable_lines`, :func:`dialog.chat.run_chat` and :func:`print_turn` from here.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from dialog.types import MAX_TEXT_CHARS, DialogTurn


def _pack_check(args: argparse.Namespace) -> int:
    """``dhe pack check DIR``: one ``FILE:LINE: message`` per problem; exit 1 if any, 2 (one
    line on stderr) when ``DIR`` is not a readable folder."""
    from dialog.pack_check import check_pack  # the KB's index and encoder: seconds to import

    root = Path(args.dir)
    if not root.is_dir():
        what = "not a folder" if root.exists() else "no such folder"
        print(f"dhe pack check: error: {root}: {what}", file=sys.stderr)
        return 2
    _, problems = check_pack(root, shown=args.dir)  # the path as the user typed it
    for problem in problems:
        print(problem)
    if not problems:
        print(f"{root}: ok", file=sys.stderr)
    return 1 if problems else 0


def readable_lines(stream: Iterable[str], *, why: bool = False) -> Iterator[str]:
    """The lines of ``stream``; one over :data:`~dialog.types.MAX_TEXT_CHARS` (the limit of
    every text turn, as on the server), or one that is not valid UTF-8 (read with
    ``errors="surrogateescape"``, its bad bytes are lone surrogates), is skipped with one line on
    stderr, the session goes on. A blank line (an Enter pressed by mistake) gets no reply: typed
    chat has no "heard nothing" turn (a live session's silence is one); with ``why`` it still
    gets its one stderr line, ``  [no input]``, so ``--why`` keeps one line per input line."""
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            if why:
                print("  [no input]", file=sys.stderr, flush=True)
            continue
        problem = None
        if len(line.rstrip("\r\n")) > MAX_TEXT_CHARS:
            problem = f"longer than {MAX_TEXT_CHARS} characters"
        elif not _is_utf8(line):
            problem = "not valid UTF-8"
        if problem is not None:
            print(f"dhe chat: line {number}: {problem}, not read", file=sys.stderr, flush=True)
            continue
        yield line


def _is_utf8(text: str) -> bool:
    """Whether ``text`` encodes as UTF-8 (no lone surrogates from undecodable bytes)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def why_line(turn: DialogTurn) -> str:
    """The ``dhe chat --why`` line of a turn: ``  [intent · faq.<lang>.md § Heading]`` for a
    knowledge-base answer, ``  [slot: name]`` for an answer to a flow's question,
    ``  [no match: name]`` for an input that held no answer to it (the question is asked again),
    ``  [help: name]`` for one that asked about the question ("what is the code?": its help and
    the question again),
    ``  [no input]`` for a blank line, ``  [intent]`` otherwise (``out_of_scope`` when nothing
    was understood)."""
    source = next((r.source for r in turn.replies if r.source), None)
    if turn.intent is None and turn.slot is not None:
        return f"  [slot: {turn.slot}]"
    if turn.intent is None and turn.helped is not None:
        return f"  [help: {turn.helped}]"
    if turn.intent is None and turn.unanswered is not None:
        return f"  [no match: {turn.unanswered}]"
    if not turn.text and turn.intent is None:
        return "  [no input]"
    label = turn.intent or "out_of_scope"
    return f"  [{label} · {source}]" if source else f"  [{label}]"


def print_turn(turn: DialogTurn, *, why: bool = False) -> None:
    """Print a turn's replies on stdout; with ``why``, exactly one line on stderr
    (:func:`why_line`: what the avatar acted on, for pack authors; stdout stays replies only)."""
    for reply in turn.replies:
        print(reply.text, flush=True)
    if why:
        print(why_line(turn), file=sys.stderr, flush=True)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def interrupt_on_sigint() -> None:
    """Make Ctrl-C raise at once while stdin is read on the loop's thread (asyncio's own
    SIGINT handler would only cancel the task after the next line arrives)."""
    signal.signal(signal.SIGINT, _interrupt)


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Add ``pack`` to the ``dhe`` sub-command parser.

    Args:
        subparsers: the ``dhe`` parser's ``add_subparsers()`` result.
    """
    pack = subparsers.add_parser("pack", help="domain pack tools")
    pack_sub = pack.add_subparsers(dest="pack_command", required=True)
    check = pack_sub.add_parser("check", help="validate a domain pack folder")
    check.add_argument("dir", help="the pack folder, e.g. assets/domains/bank")
    check.set_defaults(func=_pack_check)


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry: ``python -m dialog.cli pack check DIR``."""
    parser = argparse.ArgumentParser(prog="dhe")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
