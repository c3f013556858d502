"""Answers a newcomer trial found wrong (issue 14, session 13), through the trained dialog as the
server runs it: sending money abroad got the answer for receiving it, a question about the
annual tax return's deadline got the business filing deadlines, and that answer began with the
operator's label "Sample rules:", which the avatar spoke."""

from __future__ import annotations

import re

import pytest

from dialog import DialogEngine
from dialog.kb import parse_markdown
from dialog.pack import DEFAULT_PACKS_DIR, load_pack
from tests.conftest import trained_dialog
from tests.support.dialog_visitor import said


@pytest.mark.parametrize(
    ("typed", "source", "fact"),
    [  # the avatar moves no money: it says how (the app, the counter, SWIFT) in both directions
        ("how do I send money abroad", "faq.en.md § Sending money abroad", "SWIFT code"),
        ("transfer money abroad", "faq.en.md § Sending money abroad", "can't send money"),
        ("I need to send money to another country", "faq.en.md § Sending money abroad", "IBAN"),
        ("怎么往国外汇钱", "faq.zh.md § 汇款到境外", "SWIFT代码"),
        ("我要给国外的儿子转账", "faq.zh.md § 汇款到境外", "不能在这里替您汇款"),
        # ... and receiving keeps its own answer
        ("how do I receive money from abroad", "faq.en.md § Receiving money from abroad", "pinyin"),
        ("国外的朋友怎么给我打钱", "faq.zh.md § 接收境外汇款", "拼音姓名"),
    ],
)
async def test_money_abroad_in_the_direction_asked(typed: str, source: str, fact: str) -> None:
    session = trained_dialog("bank").new_session("abroad")
    turn = await session.handle_text(typed)
    assert turn.intent == "faq" and turn.replies[0].source == source, said(turn)
    assert fact in turn.replies[0].text
    session.close()


@pytest.mark.parametrize(
    "typed",
    ["what is the deadline for the annual tax return", "when is my yearly income tax return due"],
)
async def test_annual_return_deadline_is_the_reconciliation(typed: str) -> None:
    engine: DialogEngine = trained_dialog("tax")
    session = engine.new_session("deadline")
    turn = await session.handle_text(typed)
    reply = turn.replies[0]
    assert reply.source == "faq.en.md § Annual reconciliation: deadline and how to file", said(turn)
    assert "1 March to 30 June" in reply.text
    session.close()


@pytest.mark.parametrize("domain", ["bank", "tax"])
def test_no_answer_speaks_an_operator_label(domain: str) -> None:
    label = re.compile(
        r"sample (rules?|terms|rates|figures|details|address|information)|示例", re.I
    )
    pack = load_pack(DEFAULT_PACKS_DIR / domain)
    spoken = [s for path in pack.kb_files for s in parse_markdown(path)]
    assert len(spoken) > 40
    assert [s.source for s in spoken if label.search(s.text)] == []


@pytest.mark.parametrize(
    ("typed", "source"),
    [  # the opposite of a freeze is not a lost card (newcomer15: "I can freeze it right away")
        ("unfreeze my card", "faq.en.md § Unfreezing a card"),
        ("I found my card, please unblock it", "faq.en.md § Unfreezing a card"),
        ("我的卡找到了，帮我解冻", "faq.zh.md § 银行卡解冻"),
    ],
)
async def test_unfreezing_a_card_is_not_a_lost_card(typed: str, source: str) -> None:
    session = trained_dialog("bank").new_session("unfreeze")
    turn = await session.handle_text(typed)
    assert turn.intent == "faq" and turn.replies[0].source == source, said(turn)
    assert not session.state.stack  # no lost-card flow started
    session.close()
