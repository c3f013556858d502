"""Garbled speech read as goodbye gets "didn't get that", not a farewell (fixes19 #2).

"War 9 Free Chat 2 in 1. I'M FOR YOU, E2." (a newcomer's transcript of unclear speech) was
classified ``goodbye`` by the bank's intent classifier and answered "Thank you for visiting
Harbour Bank. Have a nice day!". The other lines are dev lines written for this fix that the
same classifier reads as goodbye with no farewell in them. Real dialog (the shipped packs,
the real sentence encoder); farewells in both languages keep their answer."""

from __future__ import annotations

import pytest

from tests.conftest import trained_dialog
from tests.support.dialog_visitor import said
from tests.unit.test_farewell import GARBLED

REPROMPT = {"en": "Sorry, I didn't get that.", "zh": "抱歉，我没有听懂。"}
FAREWELL = {"en": "Have a nice day", "zh": "再见"}


def _language(line: str) -> str:
    return "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in line) else "en"


@pytest.mark.parametrize("line", [g for g in GARBLED if g != "拜托"])
async def test_garbled_speech_is_not_taken_for_goodbye(line: str) -> None:
    language = _language(line)
    engine = trained_dialog("bank")
    assert engine.understanding.read(line, language)[0].intent == "goodbye"  # the trap is real
    session = engine.new_session(f"unclear-goodbye-{abs(hash(line))}", language=language)
    try:
        turn = await session.handle_text(line)
        assert said(turn).startswith(REPROMPT[language]), said(turn)
        assert FAREWELL[language] not in said(turn) and not turn.ended, said(turn)
        turn = await session.handle_text("What are your opening hours?")  # the visit goes on
        assert turn.intent != "goodbye" and not turn.ended
    finally:
        session.close()


@pytest.mark.parametrize(
    "line",
    ["goodbye", "I have to go", "Okay thank you bye bye", "再见", "好的，我先走了", "就这些"],
)
async def test_a_farewell_keeps_its_answer(line: str) -> None:
    language = _language(line)
    session = trained_dialog("bank").new_session(f"farewell-{abs(hash(line))}", language=language)
    try:
        turn = await session.handle_text(line)
        assert turn.intent == "goodbye" and turn.ended, said(turn)
        assert FAREWELL[language] in said(turn), said(turn)
    finally:
        session.close()


async def test_garbled_speech_at_a_question_asks_it_again() -> None:
    """At the card question the line is a failed attempt: "didn't get that" and the question."""
    session = trained_dialog("bank").new_session("unclear-goodbye-question", language="en")
    try:
        await session.handle_text("what is my balance")
        assert session.awaited_answer() == "digits"
        turn = await session.handle_text(GARBLED[0])
        assert said(turn).startswith(REPROMPT["en"]) and not turn.ended, said(turn)
        assert session.awaited_answer() == "digits", said(turn)
    finally:
        session.close()
