"""A line with no word and no digit (emoji, punctuation) answers nothing: newcomer12's "😀😀"
was classified as a yes (affirm), "😀🎉🏦" got the offer of a colleague. Outside a flow it gets
"How can I help you today?"; at a flow's question (a yes/no one included) the question is asked
again, with no failed attempt counted and nothing confirmed."""

from __future__ import annotations

import pytest

from tests.conftest import trained_dialog


@pytest.mark.parametrize(
    ("typed", "language", "help_line"),
    [
        ("😀😀", "zh", "请问有什么可以帮您？"),
        ("😀🎉🏦", "en", "How can I help you today?"),
        ("?!", "en", None),
    ],
)
async def test_a_wordless_line_outside_a_flow_asks_how_to_help(
    typed: str, language: str, help_line: str | None
) -> None:
    session = trained_dialog("bank").new_session("wordless", language=language)
    turn = await session.handle_text(typed)
    texts = [r.text for r in turn.replies]
    assert texts == [help_line or "How can I help you today?"], texts
    assert turn.intent is None and not session.state.offered_handoff


async def test_a_wordless_line_at_a_question_asks_it_again() -> None:
    session = trained_dialog("bank").new_session("wordless-question", language="en")
    asked = await session.handle_text("what's my balance")
    question = asked.replies[-1].text
    for _ in range(3):  # three misses would hand off: a wordless line is no miss
        turn = await session.handle_text("👍🙂")
        assert [r.text for r in turn.replies] == [question]
    assert session.engine.interpreter.waiting_slot(session.state).name == "card_last4"


@pytest.mark.parametrize(
    ("domain", "opening", "typed", "language"),
    [
        ("tax", "我的退税什么时候到账", "2024", "zh"),
        ("tax", "when will my refund arrive?", "2024", "en"),
        ("bank", "what are your opening hours?", "4417", "en"),
        ("bank", "", "4417#", "zh"),
    ],
)
async def test_digits_with_no_question_open_ask_how_to_help(
    domain: str, opening: str, typed: str, language: str
) -> None:
    """newcomer13: the keypad pressed with no question open sent "2024", which started the
    filing status (2024 read as its year) and asked for the taxpayer ID just typed; "4417"
    got the offer of a colleague. Digits alone ask for nothing: "How can I help you today?"."""
    session = trained_dialog(domain).new_session("digits-only", start_language=language)
    if opening:
        await session.handle_text(opening)
    turn = await session.handle_text(typed)
    help_line = session.engine.pack.responses["utter_how_can_i_help"].texts[language]
    assert [r.text for r in turn.replies] == [help_line]
    assert turn.intent is None and not session.state.stack and not session.state.offered_handoff
    assert session.state.slots.get("tax_year") is None
    # at a question the same digits answer it (test_dialog_tax, test_dialog_bank: 2024, 4417)


@pytest.mark.parametrize(
    ("domain", "said", "language"),
    [
        ("tax", "我想问", "zh"),
        ("bank", "I have a question", "en"),
        # the tax classifier read these as the home-ownership FAQ ("have") and the
        # suggestion flow: the announcement is read before the classifier (lead14)
        ("tax", "I have a question", "en"),
        ("tax", "I would like to ask something", "en"),
        ("bank", "你好，我想问一下", "zh"),
    ],
)
async def test_a_line_that_only_announces_a_question_asks_how_to_help(
    domain: str, said: str, language: str
) -> None:
    """newcomer13: the real recording 我想问 … 1.5 s … 我在滨海新区有房 made 我想问 a turn, which got
    the offer of a colleague (a 好 next would have called one). It gets "How can I help you
    today?" and no offer."""
    session = trained_dialog(domain).new_session("announce", start_language=language)
    turn = await session.handle_text(said)
    help_line = session.engine.pack.responses["utter_how_can_i_help"].texts[language]
    assert [r.text for r in turn.replies] == [help_line]
    assert not session.state.offered_handoff and not turn.handoff


async def test_an_announced_question_at_a_free_text_prompt_keeps_the_prompt_waiting() -> None:
    """lead14: at the suggestion's free-text prompt "can I ask you something" was registered as
    the suggestion ("I'll register this suggestion: 'can I ask you something'"). It gets "Of
    course, go ahead." and the prompt keeps waiting for the visitor's own words."""
    session = trained_dialog("tax").new_session("announce-prompt", start_language="en")
    await session.handle_text("I want to make a suggestion")
    assert session.engine.interpreter.waiting_slot(session.state).name == "ticket_text"
    turn = await session.handle_text("can I ask you something")
    assert [r.text for r in turn.replies] == ["Of course, go ahead."]
    assert session.state.slots.get("ticket_text") is None
    assert session.engine.interpreter.waiting_slot(session.state).name == "ticket_text"
    turn = await session.handle_text("please put more chairs in the waiting area")
    assert session.state.slots["ticket_text"] == "please put more chairs in the waiting area"
