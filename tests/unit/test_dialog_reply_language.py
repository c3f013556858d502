"""The language of the interpreter's replies: the visitor's, switched mid-flow, and what the
Chinese replies say of values the sandboxes give in English (a hall's name, merchants). The
real bank and tax packs; no I/O.
"""

from __future__ import annotations

from pathlib import Path

from dialog.nlu import IntentClassifier
from dialog.pack import DEFAULT_PACKS_DIR, Pack, load_pack
from dialog.types import NoInput, Say
from tests.support.dialog_visitor import Visitor, texts


def test_language_follows_the_visitor(pack: Pack, nlu: IntentClassifier) -> None:
    v = Visitor(pack, nlu)
    v.says("hello")
    v.language = "zh"
    out = v.says("查余额")
    assert texts(out) == ["为了您的账户安全，请说出或输入您银行卡号的后四位。"]
    assert out[0].reply.language == "zh"
    out = v.feed(NoInput())  # heard nothing: apology and the question, in the session's language
    assert texts(out) == [
        "抱歉，我没有听清，请您再说一遍。",
        "为了您的账户安全，请说出或输入您银行卡号的后四位。",
    ]
    v.language = "en"  # the visitor switches language mid-flow
    out = v.says("blue")
    assert all(a.reply.language == "en" for a in out if isinstance(a, Say))
    assert texts(out)[-1].startswith("For your security")


def test_a_chinese_tax_reply_names_the_hall_in_chinese() -> None:
    """Chinese tax replies said "（Hall A）": the sandbox names its halls in English."""
    from dialog.templates import render

    tax = load_pack(Path(DEFAULT_PACKS_DIR) / "tax")
    values = {"slot_day": "2026-12-07", "slot_start": "09:00", "slot_hall": "Hall A"}
    values |= {"appointment_id": "AP-1", "chosen_slot": {"date": "2026-12-07", "start": "09:00"}}
    values["chosen_slot"]["hall"] = "Hall A"
    for name in ("utter_booked", "utter_confirm_booking"):
        zh = render(tax.responses[name], "zh", values).text
        assert "A厅" in zh and "Hall" not in zh, zh
        assert "in Hall A" in render(tax.responses[name], "en", values).text


def test_the_chinese_transactions_reply_does_not_spell_english_merchants(pack: Pack) -> None:
    """newcomer10: the Mandarin voice spelled every English merchant letter by letter ("C-O-F-F-
    E-E …", ~8 s of a 30 s reply). The Chinese reply says each date and amount and points to
    the screen; the card keeps the merchants; the English reply still says them."""
    from dialog.templates import render

    rows = [
        {"date": "2025-03-15", "description": "Coffee shop", "amount": "-32.00"},
        {"date": "2025-03-12", "description": "Electricity bill", "amount": "-188.20"},
    ]
    response = pack.responses["utter_transactions"]
    zh = render(response, "zh", {"transactions": rows})
    assert zh.text == (
        "以下是您最近的交易，商户名称请看屏幕：3月15日星期六，-32.00元；3月12日星期三，-188.20元。"
    )
    assert [r["description"] for r in zh.card["rows"]] == ["Coffee shop", "Electricity bill"]
    en = render(response, "en", {"transactions": rows})
    assert "Coffee shop" in en.text and "Electricity bill" in en.text
