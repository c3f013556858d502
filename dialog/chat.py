"""The text chat loop shared by ``dhe chat`` and ``dhe converse --text``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable

from dialog.session import DialogEngine
from dialog.types import DialogTurn


async def run_chat(
    lines: Iterable[str],
    engine: DialogEngine,
    session_id: str,
    language: str = "auto",
) -> AsyncIterator[tuple[str, DialogTurn]]:
    """Run one session over lines of visitor text.

    Args:
        lines: the visitor's inputs in order; blank lines count as "heard nothing".
        engine: the domain's dialog engine.
        session_id: the session's id.
        language: ``"auto"``, ``"en"`` or ``"zh"``.

    Yields:
        ``(input, turn)`` per line. The session is closed (memory wiped) when the loop ends,
        also when the consumer stops early.
    """
    session = engine.new_session(session_id, language)
    try:
        for raw in lines:
            text = raw.rstrip("\r\n")
            if text.strip():
                turn = await session.handle_text(text)
            else:
                turn = await session.handle_no_input()
            yield text, turn
            if turn.ended:
                break
    finally:
        session.close()
