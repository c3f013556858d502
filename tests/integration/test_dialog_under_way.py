"""The running flow's own topic said at its question, through the real interpreter and trained
NLU: 我的退税到哪一步了 at the filing check's taxpayer-ID question (newcomer finding) was "Sorry,
I didn't get that." and a failed attempt (the flow already ran, so the router had nothing to do,
and the line read as the filing check at 0.50, under the 0.5 digression threshold). It is told
the flow is under way (``utter_flow_under_way``, which says why the question is asked) and the
question is asked again. It still counts as a failed attempt, so a visitor who only restates the
request reaches a colleague instead of looping (review14)."""

from __future__ import annotations

import pytest

from tests.conftest import trained_dialog


@pytest.mark.parametrize(
    ("first", "again", "language"),
    [
        ("我想查我的个税申报状态", ("我的退税到哪一步了", "我的申报到哪一步了"), "zh"),
        ("check my tax filing status", ("what's the status of my tax return",), "en"),
    ],
)
async def test_the_running_flows_topic_at_its_question_says_it_is_under_way(
    first: str, again: tuple[str, ...], language: str
) -> None:
    session = trained_dialog("tax").new_session("under-way", language=language)
    opened = await session.handle_text(first)
    question = opened.replies[-1].text
    responses = session.engine.pack.responses
    under_way = responses["utter_flow_under_way"].texts[language]
    for attempts, said in enumerate(again, start=1):
        turn = await session.handle_text(said)
        assert [r.text for r in turn.replies] == [under_way, question], said
        assert turn.intent == "filing_status" and not turn.handoff
        assert session.engine.interpreter.waiting_slot(session.state).name == "taxpayer_last4"
        assert session.state.stack[-1].attempts == attempts
    # a line that is no request at all is the plain failed attempt
    session = trained_dialog("tax").new_session("under-way-missed", language=language)
    await session.handle_text(first)
    missed = await session.handle_text("嗯嗯" if language == "zh" else "hmm")
    assert missed.replies[0].text == responses["utter_reprompt"].texts[language]
    assert session.state.stack[-1].attempts == 1


async def test_restating_the_running_flow_again_and_again_reaches_a_colleague() -> None:
    """review14: the restated request never counted, so a visitor who kept restating it
    instead of giving the taxpayer ID looped at the question for ever. The third time (the
    pack's ``max_attempts``) hands off, as three unanswered questions do."""
    session = trained_dialog("tax").new_session("under-way-loop", language="en")
    await session.handle_text("check my tax filing status")
    turns = [await session.handle_text("what's the status of my tax return") for _ in range(3)]
    assert [bool(t.handoff) for t in turns] == [False, False, True]
