"""The tax hall's one-time-code question answers a question about the code, as the bank's does
(newcomer15: "I didn't get the code" there was "Sorry, I didn't get that.", "what is the code?"
the app-login FAQ answer and 验证码没收到 "抱歉，我没有听懂"; the bank's fix was bank-only). The real
tax pack and its trained classifier; the tax system's answers are fed as connector results."""

from __future__ import annotations

import pytest

from dialog.pack import Pack
from dialog.types import Call, ConnectorDone, Handoff
from tests.support.dialog_visitor import Visitor, domain_nlu, domain_pack, texts


def tax_pack() -> Pack:
    return domain_pack("tax")


def at_the_code_question(language: str) -> Visitor:
    """A visitor of the filing check, its code texted to the phone ending 1188."""
    v = Visitor(tax_pack(), domain_nlu("tax"), language=language)
    actions = v.says(
        "what is the status of my tax filing?" if language == "en" else "查一下我的申报状态"
    )
    for _ in range(4):  # the questions before the code (the year, the taxpayer ID's last 4)
        calls = [a for a in actions if isinstance(a, Call)]
        if calls:
            break
        actions = v.says(
            "2024"
            if "year" in " ".join(texts(actions)) or "年" in " ".join(texts(actions))
            else "1234"
        )
    (call,) = [a for a in actions if isinstance(a, Call)]
    assert call.op == "tax.start_verification", call
    v.feed(ConnectorDone(call.op, {"verification_id": "v_1", "phone_masked": "*******1188"}))
    return v


@pytest.mark.parametrize(
    ("said", "language"),
    [("I didn't get the code", "en"), ("what is the code?", "en"), ("验证码没收到", "zh")],
)
def test_a_question_about_the_code_says_where_it_went(said: str, language: str) -> None:
    v = at_the_code_question(language)
    out = v.says(said)
    pack = tax_pack()
    help_ = pack.responses["utter_otp_help"].texts[language].replace("{phone_masked:last4}", "1188")
    assert texts(out) == [help_, pack.responses["utter_ask_otp"].texts[language]]
    assert v.state.stack[-1].attempts == 0 and v.state.helped == "otp"


def test_the_words_the_help_names_call_a_colleague() -> None:
    for said, language in (("talk to a person", "en"), ("找工作人员", "zh")):
        v = at_the_code_question(language)
        assert f"“{said}”" in tax_pack().responses["utter_otp_help"].texts[language] or (
            f'"{said}"' in tax_pack().responses["utter_otp_help"].texts[language]
        )
        out = v.says(said)
        assert [a.reason for a in out if isinstance(a, Handoff)] == ["visitor_asked"], said
