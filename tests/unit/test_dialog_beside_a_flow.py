"""A FAQ question said in the same line as a request for a flow (newcomer16 #17), and a line of
several requests at a choice question (#2), through a real session (the pack's trained
classifier and knowledge base, the interpreter): both are taken up, the FAQ answered first and
the flow's question last, in the visitor's language, whatever the order said.

"I want to check my tax refund status, and what time do you close?" ran only the filing check
(", and" left "and what time do you close" no request of its own); at the counter question
我要查余额，还有我的卡丢了 took 银行卡业务 from its 卡. The first four lines of each list
are the newcomer's, the others paraphrases written for this test."""

from __future__ import annotations

import pytest

from dialog import DialogEngine
from tests.conftest import trained_dialog
from tests.support.dialog_visitor import said

HOURS_EN_TAX = "faq.en.md § Opening hours of the service hall"
HOURS_ZH_TAX = "faq.zh.md § 办税服务厅工作时间"
HOURS_EN_BANK = "faq.en.md § Opening hours"
HOURS_ZH_BANK = "faq.zh.md § 营业时间"


@pytest.mark.parametrize(
    ("domain", "line", "flow", "section", "question"),
    [
        (
            "tax",
            "I want to check my tax refund status, and what time do you close?",
            "filing_status",
            HOURS_EN_TAX,
            "last four digits of your taxpayer ID",
        ),
        (
            "tax",
            "what time do you close, and I want to check my tax refund status",
            "filing_status",
            HOURS_EN_TAX,
            "last four digits of your taxpayer ID",
        ),
        (
            "tax",
            "我想查一下退税进度，另外你们几点下班？",
            "filing_status",
            HOURS_ZH_TAX,
            "纳税人识别号的后四位",
        ),
        (
            "tax",
            "你们几点下班？另外我想查一下退税进度",
            "filing_status",
            HOURS_ZH_TAX,
            "纳税人识别号的后四位",
        ),
        (
            "bank",
            "my card is lost, and what time do you close?",
            "report_lost_card",
            HOURS_EN_BANK,
            "last four digits of your card",
        ),
        (
            "tax",
            "I'd like to book an appointment, and where can I park?",
            "book_appointment",
            "faq.en.md § Parking",
            "Which day",
        ),
        (
            "bank",
            "我的卡丢了，你们几点关门？",
            "report_lost_card",
            HOURS_ZH_BANK,
            "银行卡号的后四位",
        ),
    ],
)
async def test_a_faq_question_beside_a_flow_is_answered_and_the_flow_starts(
    domain: str, line: str, flow: str, section: str, question: str
) -> None:
    session = trained_dialog(domain).new_session(f"beside-{domain}")
    turn = await session.handle_text(line)
    assert turn.intent == flow, said(turn)
    assert turn.language == ("zh" if section.startswith("faq.zh") else "en")
    sources = [r.source for r in turn.replies]
    assert sources[0] == section, said(turn)  # the FAQ answer first
    assert question in turn.replies[-1].text, said(turn)  # the flow's question last
    assert session.state.stack[0].flow_id == flow
    session.close()


async def test_a_flows_own_words_after_and_are_no_faq_question() -> None:
    """A clause read as a FAQ answer but worded as no question is the flow's own words: "I lost
    my card and I need a new one" starts the lost-card flow without the new-card FAQ."""
    session = trained_dialog("bank").new_session("beside-own-words")
    turn = await session.handle_text("I lost my card and I need a new one")
    assert turn.intent == "report_lost_card", said(turn)
    assert not [r.source for r in turn.replies if r.source], said(turn)
    session.close()


@pytest.fixture(scope="module")
def bank() -> DialogEngine:
    return trained_dialog("bank")


@pytest.mark.parametrize(
    ("start", "line", "flow", "waiting"),
    [
        ("我要取个号", "我要查余额，还有我的卡丢了", "check_balance", "report_lost_card"),
        ("我要取个号", "我想查一下余额，另外我的卡丢了", "check_balance", "report_lost_card"),
        ("我要取个号", "我的卡丢了，还有我要查余额", "report_lost_card", "check_balance"),
        (
            "I need a queue number",
            "What is my balance and I also lost my card",
            "check_balance",
            "report_lost_card",
        ),
    ],
)
async def test_two_requests_at_the_counter_question_are_both_taken_up(
    bank: DialogEngine, start: str, line: str, flow: str, waiting: str
) -> None:
    session = bank.new_session("choice-two")
    turn = await session.handle_text(start)
    assert turn.intent == "take_queue_number", said(turn)
    turn = await session.handle_text(line)
    assert turn.intent == flow, said(turn)
    assert "排队号" not in said(turn) and "queue number for" not in said(turn), said(turn)
    # the flow on top (its card check called in), the counter question under it
    assert [f.flow_id for f in session.state.stack][:2] == ["take_queue_number", flow]
    assert [q.flow_id for q in session.state.queued] == [waiting]
    session.close()


async def test_a_faq_question_beside_a_flow_at_the_counter_question(bank: DialogEngine) -> None:
    session = bank.new_session("choice-faq")
    await session.handle_text("我要取个号")
    turn = await session.handle_text("我的卡丢了，另外你们几点关门")
    assert turn.intent == "report_lost_card", said(turn)
    assert turn.replies[0].source == HOURS_ZH_BANK, said(turn)
    assert "银行卡号的后四位" in turn.replies[-1].text, said(turn)
    session.close()


@pytest.mark.parametrize("line", ["银行卡", "银行卡业务", "现金，还有账户"])
async def test_an_option_at_the_counter_question_still_answers_it(
    bank: DialogEngine, line: str
) -> None:
    session = bank.new_session("choice-option")
    await session.handle_text("我要取个号")
    turn = await session.handle_text(line)
    assert [f.flow_id for f in session.state.stack] == ["take_queue_number"], said(turn)
    assert not session.state.queued
    session.close()
