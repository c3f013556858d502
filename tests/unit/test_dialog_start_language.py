"""A session in ``auto`` answers in the page's language (the offer's ``ui_language``) until the
visitor's words show one: newcomer9's Chinese page got "Sorry, I can't help with that here…" in
English for keypad digits and an emoji. Chinese or English words still switch it."""

from __future__ import annotations

import pytest

from dialog import DialogEngine
from tests.conftest import trained_dialog


@pytest.fixture(scope="module")
def bank() -> DialogEngine:
    return trained_dialog("bank")


@pytest.mark.parametrize("typed", ["1234", "😀"])
async def test_a_chinese_page_answers_wordless_input_in_chinese(
    bank: DialogEngine, typed: str
) -> None:
    session = bank.new_session("start-zh", language="auto", start_language="zh")
    turn = await session.handle_text(typed)
    assert turn.language == "zh" and all(r.language == "zh" for r in turn.replies), turn
    turn = await session.handle_text("what is my balance")  # English words switch it
    assert turn.language == "en"
    session.close()


async def test_without_a_page_language_auto_starts_in_the_packs_first() -> None:
    bank = trained_dialog("bank")
    session = bank.new_session("start-default", language="auto")
    assert session.language == "en"
    fixed = bank.new_session("start-fixed", language="en", start_language="zh")
    assert fixed.language == "en"  # a fixed language wins
    session.close()
    fixed.close()


@pytest.mark.parametrize("typed", ["ok", "OK", "ID", "App", "ATM", "ok ok"])
async def test_a_latin_word_chinese_speakers_use_keeps_a_chinese_session_chinese(
    typed: str,
) -> None:
    """newcomer10: "ok" at the tax hall's Chinese page was answered in English (and "ID"), as
    if the visitor had switched language. Such words say nothing on their own; English words
    still switch it."""
    from dialog.commands import detect_language

    assert detect_language(typed, default="zh") == "zh"
    assert detect_language(typed, default="en") == "en"
    assert detect_language(f"{typed} please", default="zh") == "en"
    session = trained_dialog("tax").new_session("loanword-zh", language="auto", start_language="zh")
    turn = await session.handle_text(typed)
    assert turn.language == "zh" and all(r.language == "zh" for r in turn.replies), turn
    session.close()
