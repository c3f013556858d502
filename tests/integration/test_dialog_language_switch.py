"""The visitor switches the page's language while a flow waits at its question: the question
is asked again in the language chosen (it stayed, unanswered, in the old one), no failed
attempt counted; with no question waiting nothing is said."""

from __future__ import annotations

from tests.conftest import trained_dialog


async def test_a_switch_mid_flow_asks_the_question_again_in_the_new_language() -> None:
    engine = trained_dialog("bank")
    session = engine.new_session("switch-mid-flow", language="en")
    asked = await session.handle_text("what's my balance")
    assert session.awaited_answer() == "digits"
    turn = await session.switch_language("zh")
    assert turn is not None and turn.language == "zh"
    assert asked.replies[-1].text == engine.pack.responses["utter_ask_card_last4"].texts["en"]
    assert [r.text for r in turn.replies] == [
        engine.pack.responses["utter_ask_card_last4"].texts["zh"]
    ]
    assert session.awaited_answer() == "digits"  # still waiting
    assert session.state.stack[-1].attempts == 0  # the switch is no failed answer


async def test_a_switch_with_no_question_waiting_says_nothing() -> None:
    session = trained_dialog("bank").new_session("switch-idle", language="en")
    await session.handle_text("what are your opening hours")
    assert await session.switch_language("zh") is None
    assert session.language == "zh"
