"""Flows that listen (issue 14) and what the screen shows (issue 15, items 2 and 3), over real
HTTP against the sandbox bank and tax bureau.

The sentence that starts a flow fills its questions; a clear question at a free-text prompt is
answered, then the prompt comes back; full card, account, ID and phone numbers are masked
before anything reads them; a FAQ card shows the answer and a readable source, never a file.
"""

from __future__ import annotations

import json

import pytest

from connectors.embedded import SandboxCluster
from connectors.router import Router
from dialog import DialogEngine
from tests.conftest import trained_dialog
from tests.support.dialog_visitor import said
from tests.support.sandbox import connector, inproc_logs, sandbox, sandbox_rows

__all__ = ["connector", "inproc_logs", "sandbox"]  # fixtures used by this module


@pytest.fixture
def bank(connector: Router) -> DialogEngine:
    return trained_dialog("bank").with_connector(connector)


@pytest.fixture
def tax(connector: Router) -> DialogEngine:
    return trained_dialog("tax").with_connector(connector)


async def test_card_ending_in_the_first_sentence_is_not_asked_again(
    bank: DialogEngine, sandbox: SandboxCluster
) -> None:
    session = bank.new_session("listen-prefill")
    turn = await session.handle_text("my card ending 4417 is lost, please freeze it")
    assert turn.intent == "report_lost_card"
    assert "last four digits" not in said(turn)  # went straight to the code
    assert "ending in 1288" in said(turn) and session.state.slots["card_last4"] == "4417"
    code = sandbox.read_otp("bank", session.state.slots["verification_id"])
    turn = await session.handle_text(code)
    assert turn.slot == "otp" and turn.intent is None and "4417" in said(turn)
    session.close()


async def test_question_at_the_complaint_prompt_is_answered_not_registered(
    tax: DialogEngine, sandbox: SandboxCluster
) -> None:
    # the sandbox is shared by the whole run: other tests' tickets are counted before this one
    tickets = "SELECT COUNT(*) FROM tickets"
    before = sandbox_rows(sandbox, "tax", tickets)[0][0]
    session = tax.new_session("listen-freetext")
    turn = await session.handle_text("我要投诉")
    prompt = turn.replies[-1].text
    turn = await session.handle_text("发票丢了怎么办")
    assert turn.replies[0].source == "faq.zh.md § 发票查验和遗失"
    assert turn.replies[-1].text == prompt  # the complaint prompt again
    assert "发票丢了怎么办" not in said(turn) and session.state.slots.get("ticket_text") is None
    words = "三号窗口让我等了一个小时"
    turn = await session.handle_text(words)
    assert turn.slot == "ticket_text" and words in said(turn)
    assert sandbox_rows(sandbox, "tax", tickets)[0][0] == before  # nothing registered yet
    session.close()


@pytest.mark.parametrize(
    ("typed", "kind", "warning"),
    [
        ("my card number is 6228 4800 1234 5671, what's my balance", "card", "full card"),
        ("我的手机号是13812345678，余额多少", "phone", "完整的银行卡号"),
        ("my ID is 11010119900307123X", "id", "full card"),
    ],
)
async def test_full_numbers_are_masked_and_warned_about(
    bank: DialogEngine, typed: str, kind: str, warning: str
) -> None:
    session = bank.new_session(f"listen-mask-{kind}")
    turn = await session.handle_text(typed)
    assert turn.redacted == (kind,)
    assert warning in turn.replies[0].text  # the warning comes first, in the visitor's language
    digits = "".join(c for c in typed if c.isdigit())
    assert digits[:-4] not in turn.text and "••••" in turn.text  # the caption text is masked
    assert all(digits[:-4] not in e.detail for e in session.audit)
    session.close()


@pytest.mark.parametrize(
    ("language", "typed", "asks_for", "not_card"),
    [
        ("zh", "我的身份证号是110101199001012024", "纳税人识别号的后四位", "卡号的后四位"),
        ("en", "My ID number is 110101199001012024", "your taxpayer ID", "of your card"),
    ],
)
async def test_the_tax_hall_warns_about_full_numbers_in_its_own_words(
    tax: DialogEngine, language: str, typed: str, asks_for: str, not_card: str
) -> None:
    """The tax hall asks for a taxpayer ID's last four, never a card's (newcomer9: its warning
    was the bank's "I only need the last four digits of your card")."""
    session = tax.new_session(f"listen-mask-tax-{language}", language=language)
    turn = await session.handle_text(typed)
    assert turn.redacted == ("id",)
    warning = turn.replies[0].text
    assert asks_for in warning and not_card not in warning, warning
    assert turn.slot != "tax_year" and "2024" not in said(turn)  # the ID's ending is no year
    session.close()


async def test_a_full_phone_number_at_the_card_prompt_is_no_card_ending(
    bank: DialogEngine,
) -> None:
    """newcomer9: its masked remainder ("•••• 1288") was sent to the bank as the card's last
    four ("Sorry, I couldn't find a card ending in those digits"); it is no answer: the
    warning, then the same question again, and no call."""
    session = bank.new_session("listen-mask-phone-at-card")
    turn = await session.handle_text("what is my balance")
    question = turn.replies[-1].text
    assert "last four digits of your card" in question
    turn = await session.handle_text("my phone is 13700001288")
    assert turn.redacted == ("phone",)
    assert turn.replies[-1].text == question and "couldn't find" not in said(turn)
    assert not any(e.kind == "call" for e in session.audit), session.audit
    session.close()


async def test_a_bare_number_at_the_complaints_confirmation_keeps_the_complaint(
    tax: DialogEngine,
) -> None:
    """newcomer9: '2024' at "Shall I submit it?" started the filing-status flow over the
    complaint, and the next 'never mind' dropped both. A wordless line is no request of its
    own: the question is asked again, and a yes then registers the complaint."""
    session = tax.new_session("listen-bare-number", language="en")
    await session.handle_text("I want to make a complaint")
    turn = await session.handle_text("The queue was two hours long")
    question = turn.replies[-1].text
    assert "Shall I submit it?" in question
    turn = await session.handle_text("2024")
    assert turn.intent is None and turn.replies[-1].text == question, said(turn)
    turn = await session.handle_text("yes")
    assert "ticket number" in said(turn), said(turn)
    session.close()


async def test_faq_card_shows_the_answer_and_a_readable_source(bank: DialogEngine) -> None:
    session = bank.new_session("faq-card")
    turn = await session.handle_text("what are your opening hours")
    card = turn.replies[0].card
    assert card is not None and card["kind"] == "faq"
    assert card["title"] == "Opening hours" and card["key_line"].startswith("The branch is open")
    assert card["text"] == turn.replies[0].text
    assert card["source"] == "Harbour Bank branch FAQ · Opening hours"
    assert ".md" not in json.dumps(card, ensure_ascii=False)  # no file name anywhere
    assert turn.replies[0].source == "faq.en.md § Opening hours"  # kept for `dhe chat --why`
    turn = await session.handle_text("你们几点开门")
    assert turn.replies[0].card["source"] == "海港银行网点常见问题 · 营业时间"
    session.close()


@pytest.mark.parametrize(
    ("typed", "intent", "next_question"),
    [  # the year is kept and verification comes next; the day is taken and its times offered
        ("查一下我2023年的个税申报状态", "filing_status", "后四位"),
        ("帮我预约下周三的办税时间", "book_appointment", "星期三最早可预约的时段"),
    ],
)
async def test_entities_in_the_first_chinese_sentence_are_not_asked_again(
    tax: DialogEngine, typed: str, intent: str, next_question: str
) -> None:
    session = tax.new_session(f"listen-prefill-zh-{intent}")
    turn = await session.handle_text(typed)
    assert turn.intent == intent and next_question in said(turn), said(turn)
    if intent == "filing_status":
        assert str(session.state.slots["tax_year"]) == "2023"
    session.close()


async def test_a_full_number_at_a_chinese_yes_no_question_is_not_a_yes(
    bank: DialogEngine,
) -> None:
    session = bank.new_session("listen-mask-confirm-zh")
    turn = await session.handle_text("我要取个号，办开户")
    assert "确认吗" in said(turn)
    turn = await session.handle_text("我的卡号是6228 4800 1234 5671")
    assert turn.redacted == ("card",)
    # "卡号是…" once read as "是" (yes) and issued the ticket
    assert "您的排队号是" not in said(turn) and session.state.slots.get("confirm_queue") is None
    turn = await session.handle_text("是的")
    assert "您的排队号是" in said(turn)
    session.close()
