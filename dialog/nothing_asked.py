"""The turn of a line that asks for nothing — only a full number (masked before anything read
it), no word at all (emoji, punctuation), or digits when no question waits for them: its
replies, then "How can I help you today?" (the pack's ``utter_how_can_i_help``), and a state
with no intent, slot or offer of a colleague.
Pure: :class:`dialog.session.DialogSession` keeps the state and the audit."""

from __future__ import annotations

import dataclasses

from dialog.pack import Pack
from dialog.steps import DialogState
from dialog.templates import render
from dialog.types import DialogTurn, ReplyPlan


def wordless(text: str) -> bool:
    """Whether ``text`` holds no letter, CJK character or digit (``"😀😀"``, ``"?!"``)."""
    return not any(ch.isalnum() for ch in text)


def digits_only(text: str) -> bool:
    """Whether ``text`` is digits with no word (``"2024"``, ``"4417#"``, ``"12 34"``): what the
    on-screen keypad sends, or a bare number said."""
    return any(ch.isdigit() for ch in text) and not any(
        ch.isalnum() and not ch.isdigit() for ch in text
    )


def nothing_asked(
    pack: Pack,
    state: DialogState,
    text: str,
    language: str,
    replies: list[ReplyPlan],
    dialog_ms: float,
    redacted: tuple[str, ...] = (),
) -> tuple[DialogState, DialogTurn]:
    """The new state and the turn for ``text``, a line that asks for nothing.

    Args:
        pack: the domain pack (its ``utter_how_can_i_help``).
        state: the session's state before the line.
        text: the line (masked).
        language: the reply language.
        replies: what is said before "How can I help you today?" (the number warning).
        dialog_ms: the turn's dialog time so far (ms).
        redacted: the kinds of numbers masked in the line.
    """
    response = pack.responses.get("utter_how_can_i_help")
    replies = [*replies, *([render(response, language, {})] if response else [])]
    new = dataclasses.replace(
        state,
        language=language,
        last_replies=tuple(replies),
        seq=state.seq + 1,
        intent=None,
        slot=None,
        unanswered=None,
        helped=None,
        offered_handoff=False,
    )
    timings: dict[str, float | None] = {"dialog": dialog_ms, "connector": None}
    return new, DialogTurn(text, None, language, replies, timings, redacted=redacted)
