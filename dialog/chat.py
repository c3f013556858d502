"""The text chat loop shared by ``dhe chat``, ``dhe converse`` and ``dhe serve``.

:func:`take_turn` is one visitor turn (typed text or a final transcript); :func:`run_chat` runs it
over lines of text (``dhe chat``). The engine's turn runner (``engine/turns.py``) calls
:func:`take_turn` for every spoken and typed turn of the file and live transports.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable

from dialog.session import DialogEngine, DialogSession
from dialog.types import DialogTurn


async def take_turn(
    session: DialogSession,
    text: str,
    language: str | None = None,
    *,
    emotion: str | None = None,
) -> DialogTurn:
    """Answer one visitor turn: the words, or "heard nothing" when they are blank.

    Args:
        session: the visitor's dialog session.
        text: what the visitor typed or said (the final transcript); blank → no input.
        language: the language heard (ASR), or ``None`` to detect it from the text.
        emotion: the visitor's facial emotion at the turn when a camera sees them
            (:mod:`dialog.empathy`), else ``None``.

    Raises:
        dialog.session.SessionClosedError: the session was closed.
    """
    if text.strip():
        turn = await session.handle_text(text, language=language)
    else:
        turn = await session.handle_no_input()
    return session.respond_to_emotion(turn, emotion)


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
            turn = await take_turn(session, text)
            yield text, turn
            if turn.ended:
                break
    finally:
        session.close()
