"""The pure flow interpreter on the real bank pack: events in, actions out, no I/O.

Connector outcomes are fed back as the events the runner would produce (``ConnectorDone`` /
``ConnectorFailed``); nothing is faked — the interpreter never performs I/O itself.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from dialog.cli import why_line
from dialog.commands import match_command
from dialog.interpreter import DialogState, Interpreter
from dialog.nlu import IntentClassifier
from dialog.pack import DEFAULT_PACKS_DIR, Pack, load_pack
from dialog.types import (
    Call,
    ConnectorDone,
    ConnectorFailed,
    DialogTurn,
    Handoff,
    KBAnswer,
    NoInput,
    Say,
)
from tests.support.dialog_visitor import Visitor, bank_nlu, bank_pack, call_of, texts


@pytest.fixture(scope="module")
def pack() -> Pack:
    return bank_pack()


@pytest.fixture(scope="module")
def nlu() -> IntentClassifier:
    return bank_nlu()


def test_balance_flow_returns_calls_and_reads_the_result(pack: Pack, nlu: IntentClassifier) -> None:
    v = Visitor(pack, nlu)
    out = v.says("what's my balance")
    assert texts(out) == [
        "For your security, please tell me or type the last four digits of your card."
    ]
    call = call_of(v.says("four four one seven"))
    assert (call.op, dict(call.params)) == ("bank.start_verification", {"card_last4": "4417"})
    assert call.idempotency_key is None  # reads carry no key
    out = v.feed(ConnectorDone(call.op, {"verification_id": "v_1", "phone_masked": "*******1288"}))
    assert "ending in 1288" in texts(out)[0] and not any(isinstance(a, Call) for a in out)
    call = call_of(v.says("one two three four five six"))
    assert call.op == "bank.verify_otp" and call.params == {
        "verification_id": "v_1",
        "code": "123456",
    }
    call = call_of(v.feed(ConnectorDone(call.op, {"token": "tok", "expires_in_s": 300})))
    assert call.op == "bank.get_balance" and call.params == {"token": "tok"}
    accounts = [  # the sandbox bank's answer for a customer with two accounts
        {"account_masked": "**5671", "kind": "checking", "balance": "12345.67", "currency": "CNY"},
        {"account_masked": "**5689", "kind": "savings", "balance": "50000.00", "currency": "CNY"},
    ]
    out = v.feed(
        ConnectorDone(
            call.op,
            {
                "accounts": accounts,
                "balance": "62345.67",
                "currency": "CNY",
                "account_masked": "**5671",
            },
        )
    )
    # Each account with its own balance, then the total, labelled as one (issue 15: the old
    # card showed the total beside one account number, as if that account held it).
    assert texts(out)[-1] == (
        "Your balances: checking account ending 5671, 12,345.67 yuan; savings account ending "
        "5689, 50,000.00 yuan. In total, across these accounts: 62,345.67 yuan."
    )
    card = out[-1].reply.card
    assert card["kind"] == "balance" and card["currency"] == "CNY"
    assert card["accounts"] == [
        {"account": "•••• 5671", "type": "checking", "amount": "12,345.67"},
        {"account": "•••• 5689", "type": "savings", "amount": "50,000.00"},
    ]
    assert card["total"] == {"label": "Total of all accounts", "amount": "62,345.67"}
    # the card's earlier fields stay (a contract is extended, never changed): the total and the
    # main account's last 4 digits
    assert card["amount"] == "62,345.67" and card["account"] == "5671"
    assert v.state.stack == () and v.state.slots["bank_token"] == "tok"  # token persists
    assert v.state.slots["otp"] is None  # non-persistent slots reset when the flow ended
    # Asked again in the same session: no second verification.
    call = call_of(v.says("and my balance again?"))
    assert call.op == "bank.get_balance"


def test_wrong_codes_lock_after_three(pack: Pack, nlu: IntentClassifier) -> None:
    v = Visitor(pack, nlu)
    v.says("check my balance")
    call = call_of(v.says("4417"))
    v.feed(ConnectorDone(call.op, {"verification_id": "v_1", "phone_masked": "*88"}))
    for attempt in range(3):
        call = call_of(v.says("000000"))
        out = v.feed(ConnectorFailed(call.op, "unauthorized"))
        if attempt < 2:
            assert "isn't right" in texts(out)[0] and texts(out)[-1].startswith("Please tell me")
    assert any(isinstance(a, Handoff) and a.reason == "verification_locked" for a in out)
    assert v.state.slots["bank_locked"] is True and v.state.stack == ()
    out = v.says("what's my balance")
    assert not any(isinstance(a, Call) for a in out) and "locked" in " ".join(texts(out))


def test_reprompt_then_handoff_after_max_attempts(pack: Pack, nlu: IntentClassifier) -> None:
    v = Visitor(pack, nlu)
    v.says("balance please")
    out = v.says("blue")
    assert texts(out) == [
        "Sorry, I didn't get that.",
        "For your security, please tell me or type the last four digits of your card.",
    ]
    v.says("green")
    out = v.says("purple")
    assert any(isinstance(a, Handoff) and a.reason == "max_attempts" for a in out)
    assert v.state.stack == ()
    # the screen says a colleague is on the way (a reply added after it once took its card)
    said = [a.reply for a in out if isinstance(a, Say)]
    assert [r.card for r in said if r.card] == [{"kind": "handoff"}]


def test_connector_error_without_branch_is_spoken_by_code(
    pack: Pack, nlu: IntentClassifier
) -> None:
    v = Visitor(pack, nlu)
    v.says("balance")
    call = call_of(v.says("4417"))
    out = v.feed(ConnectorFailed(call.op, "timeout"))
    assert "taking too long" in texts(out)[0]
    assert out[0].reply.emotion == "apologetic" and v.state.stack == ()
    assert v.state.last_error == "timeout"


def test_unknown_card_branch(pack: Pack, nlu: IntentClassifier) -> None:
    v = Visitor(pack, nlu)
    v.says("balance")
    call = call_of(v.says("1234"))
    out = v.feed(ConnectorFailed(call.op, "not_found"))
    assert "couldn't find a card" in texts(out)[0] and "last four" in texts(out)[1]
    assert v.state.slots["card_last4"] is None


def test_digression_answers_then_resumes(pack: Pack, nlu: IntentClassifier) -> None:
    v = Visitor(pack, nlu)
    v.says("balance")
    answer = KBAnswer("Open 9 to 5.", "faq.en.md § Opening hours", 5.0)
    out = v.says("what are your opening hours", kb=answer)
    assert texts(out) == [
        "Open 9 to 5.",
        "Now, back to where we were.",
        "For your security, please tell me or type the last four digits of your card.",
    ]
    assert out[0].reply.source == "faq.en.md § Opening hours"
    call = call_of(v.says("4417"))
    assert call.op == "bank.start_verification"


def test_another_flow_mid_flow_runs_then_resumes(pack: Pack, nlu: IntentClassifier) -> None:
    v = Visitor(pack, nlu)
    v.says("show my recent transactions")
    out = v.says("actually I lost my card")
    assert [f.flow_id for f in v.state.stack][-2:] == ["report_lost_card", "verify_bank"]
    assert "sorry to hear" in texts(out)[0]


def test_commands_everywhere(pack: Pack, nlu: IntentClassifier) -> None:
    v = Visitor(pack, nlu)
    first = texts(v.says("what's my balance"))
    assert texts(v.says("say that again")) == first
    out = v.says("speak slower please")
    assert all(a.reply.speaking_rate < 1.0 for a in out if isinstance(a, Say))
    assert texts(out)[1:] == first
    out = v.says("start over")
    assert "start over" in texts(out)[0] and v.state.stack == ()
    v.says("I lost my card")
    out = v.says("never mind")
    assert "cancelled" in texts(out)[0] and v.state.stack == ()
    out = v.says("I want to talk to a real person")
    assert isinstance(out[-1], Handoff)


def test_leave_taking_or_a_double_cancel_at_a_question_ends_the_flow(
    pack: Pack, nlu: IntentClassifier
) -> None:
    """At the card-digits question "thanks, bye" / "谢谢再见" were re-asked as a failed answer."""
    for language, lost, bye, goodbye in (
        ("en", "I lost my card", "thanks, bye", "Have a nice day!"),
        ("zh", "我的卡丢了", "谢谢再见", "再见！"),
    ):
        v = Visitor(pack, nlu, language)
        v.says(lost)
        assert v.state.stack, "the lost-card flow waits for the card's digits"
        out = v.says(bye)
        assert texts(out) and texts(out)[-1].endswith(goodbye) and v.state.stack == ()
    v = Visitor(pack, nlu, "zh")
    v.says("我的卡丢了")
    assert texts(v.says("算了不用了")) and v.state.stack == ()  # two cancel words in one line
    assert match_command("thanks") is None  # not every polite word ends anything


def test_an_input_that_answers_nothing_is_not_a_slot_answer(
    pack: Pack, nlu: IntentClassifier
) -> None:
    """``dhe chat --why`` printed ``[slot: card_last4]`` for words the question was asked again
    after; it names the slot as not answered (``[no match: card_last4]``)."""
    v = Visitor(pack, nlu)
    v.says("I lost my card")
    v.says("purple elephants dance")
    assert (v.state.slot, v.state.unanswered) == (None, "card_last4")
    v.says("4417")
    assert (v.state.slot, v.state.unanswered) == ("card_last4", None)
    turn = DialogTurn("purple elephants dance", None, "en", [], {}, unanswered="card_last4")
    assert why_line(turn) == "  [no match: card_last4]"


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


def test_idempotency_key_only_for_side_effects(pack: Pack, nlu: IntentClassifier) -> None:
    v = Visitor(pack, nlu)
    v.state = Interpreter(pack).initial_state("en")
    v.state = DialogState(
        language="en", slots={**v.state.slots, "bank_token": "tok", "card_last4": "4417"}
    )
    call = call_of(v.says("I lost my card"))  # verified: the card's status is read first
    assert (call.op, call.idempotency_key) == ("bank.get_card", None)
    out = v.feed(ConnectorDone(call.op, {"status": "active"}))
    assert "freeze your card ending in 4417" in texts(out)[-1]
    call = call_of(v.says("yes"))
    assert call.op == "bank.freeze_card" and call.idempotency_key
    assert call.params == {"token": "tok", "card_last4": "4417"}


def test_dhe_chat_skips_blank_lines(capsys: pytest.CaptureFixture[str]) -> None:
    """Each blank line got "Sorry, I didn't catch that." in ``dhe chat``; typed chat has no
    "heard nothing" turn. With ``--why`` a blank line still has its one stderr line."""
    from dialog.cli import readable_lines

    lines = ["hi\n", "\n", "   \n", "\r\n", "bye\n"]
    assert list(readable_lines(lines)) == ["hi\n", "bye\n"]
    assert capsys.readouterr().err == ""
    assert list(readable_lines(lines, why=True)) == ["hi\n", "bye\n"]
    assert capsys.readouterr().err.splitlines() == ["  [no input]"] * 3


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


def test_a_second_flow_at_the_code_prompt_uses_the_code_already_sent(
    pack: Pack, nlu: IntentClassifier
) -> None:
    """Asking for the transactions at the lost-card flow's code prompt: the pending
    verification goes on (one code texted, checked once), then the transactions, then the
    lost-card flow's own question. It used to text a second code, show the transactions, and
    check the first flow's code against the spent verification ("that code isn't right")
    after every later turn; the card was never frozen."""
    v = Visitor(pack, nlu)
    v.says("I lost my card")
    call = call_of(v.says("4417"))
    assert call.op == "bank.start_verification"
    v.feed(ConnectorDone(call.op, {"verification_id": "v_1", "phone_masked": "*******1288"}))
    out = v.says("show me my last transactions")
    assert not any(isinstance(a, Call) for a in out)  # no second code texted
    assert texts(out) == ["Please tell me or type the six-digit code."]
    call = call_of(v.says("123456"))
    assert (call.op, dict(call.params)) == (
        "bank.verify_otp",
        {"verification_id": "v_1", "code": "123456"},
    )
    call = call_of(v.feed(ConnectorDone(call.op, {"token": "tok"})))
    assert call.op == "bank.list_transactions"
    row = {"date": "2025-03-15", "description": "Coffee shop", "amount": "-32.00"}
    out = v.feed(ConnectorDone(call.op, {"transactions": [row]}))
    assert texts(out)[0].startswith("Here are your latest transactions: Saturday 15 March")
    call = call_of(out)  # back in the lost-card flow: the card's status, then the question
    assert call.op == "bank.get_card" and call.params["token"] == "tok"
    out = v.feed(ConnectorDone(call.op, {"status": "active"}))
    assert texts(out)[-1] == "Shall I freeze your card ending in 4417 now? Please say yes or no."
    assert [f.flow_id for f in v.state.stack] == ["report_lost_card"]
    assert v.state.slots["otp_failures"] == 0
    call = call_of(v.says("yes"))
    assert call.op == "bank.freeze_card" and call.params["token"] == "tok"


def test_a_flow_that_interrupted_a_question_ends_with_the_question_asked_again(
    pack: Pack, nlu: IntentClassifier
) -> None:
    """The balance asked at "Shall I freeze your card?": the balance, then the question again
    (going past it used to read the unanswered confirmation as a no)."""
    v = Visitor(pack, nlu)
    v.says("I lost my card")
    call = call_of(v.says("4417"))
    v.feed(ConnectorDone(call.op, {"verification_id": "v_1", "phone_masked": "*******1288"}))
    call = call_of(v.says("123456"))
    call = call_of(v.feed(ConnectorDone(call.op, {"token": "tok"})))
    assert call.op == "bank.get_card"
    out = v.feed(ConnectorDone(call.op, {"status": "active"}))
    assert texts(out)[-1] == "Shall I freeze your card ending in 4417 now? Please say yes or no."
    call = call_of(v.says("what's my balance"))
    assert call.op == "bank.get_balance"
    out = v.feed(ConnectorDone(call.op, {"accounts": [], "balance": "5.00", "currency": "CNY"}))
    assert texts(out)[-2:] == [
        "Now, back to where we were.",
        "Shall I freeze your card ending in 4417 now? Please say yes or no.",
    ]
    assert call_of(v.says("yes")).op == "bank.freeze_card"


@pytest.mark.parametrize("word", ["yes", "ok", "no"])
def test_a_bare_yes_at_a_question_it_does_not_answer_is_asked_again(
    pack: Pack, nlu: IntentClassifier, word: str
) -> None:
    """ "yes" (or "ok", "no") at the code prompt: "Sorry, I didn't get that." and the question,
    not "How can I help you today?" followed by "Now, back to where we were."."""
    v = Visitor(pack, nlu)
    v.says("I lost my card")
    call = call_of(v.says("4417"))
    v.feed(ConnectorDone(call.op, {"verification_id": "v_1", "phone_masked": "*******1288"}))
    assert nlu.predict(word).intent in ("affirm", "deny"), word  # the case this is about
    out = v.says(word)
    assert texts(out) == ["Sorry, I didn't get that.", "Please tell me or type the six-digit code."]
    assert v.state.unanswered == "otp"


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


@pytest.mark.parametrize(
    ("said", "language"),
    [
        ("what is the code?", "en"),
        ("I didn't get the code", "en"),
        ("I haven't received any text yet", "en"),
        ("验证码还没收到", "zh"),
        ("没收到短信啊", "zh"),
    ],
)
def test_a_question_about_the_code_at_the_code_prompt_says_where_it_went(
    pack: Pack, nlu: IntentClassifier, said: str, language: str
) -> None:
    """newcomer14: at the code question "what is the code?" got the SWIFT-code FAQ answer and
    "I didn't get the code" the unrecognised-payment one. The step's ``help`` says where the
    code went, then the question again, with no failed attempt counted."""
    v = Visitor(pack, nlu, language=language)
    v.says("I lost my card" if language == "en" else "我的卡丢了")
    call = call_of(v.says("4417"))
    v.feed(ConnectorDone(call.op, {"verification_id": "v_1", "phone_masked": "*******1288"}))
    out = v.says(said)
    help_ = pack.responses["utter_otp_help"].texts[language]
    assert texts(out) == [
        help_.replace("{phone_masked:last4}", "1288"),
        pack.responses["utter_ask_otp"].texts[language],
    ]
    assert not any(isinstance(a, Call) for a in out)
    assert v.state.stack[-1].attempts == 0 and v.state.slots["otp"] is None
    # dhe chat --why says so (it printed [out_of_scope], newcomer15)
    assert (v.state.intent, v.state.helped, v.state.unanswered) == (None, "otp", None)
    assert why_line(DialogTurn(said, None, language, [], {}, helped="otp")) == "  [help: otp]"
    # the question again opens the keypad for the code, as the first time (the help reply was
    # once inserted between utter_ask_otp's text and its card, and took the card)
    cards = [a.reply.card for a in out if isinstance(a, Say)]
    assert cards == [None, {"kind": "keypad", "digits": 6}]


def test_the_code_help_names_a_request_the_code_question_obeys(
    pack: Pack, nlu: IntentClassifier
) -> None:
    """The help line tells the visitor to say "call a colleague": said at the code question,
    those words call one (a bare "yes" there would be asked again)."""
    assert '"call a colleague"' in pack.responses["utter_otp_help"].texts["en"]
    assert "呼叫工作人员" in pack.responses["utter_otp_help"].texts["zh"]
    for said, language in (("call a colleague", "en"), ("呼叫工作人员", "zh")):
        v = Visitor(pack, nlu, language=language)
        v.says("I lost my card")
        call = call_of(v.says("4417"))
        v.feed(ConnectorDone(call.op, {"verification_id": "v_1", "phone_masked": "*******1288"}))
        out = v.says(said)
        assert [a.reason for a in out if isinstance(a, Handoff)] == ["visitor_asked"], said


def test_without_a_go_ahead_reply_an_announced_question_is_no_answer(
    pack: Pack, nlu: IntentClassifier
) -> None:
    """review14: in a pack without ``utter_go_ahead`` "can I ask you something" at the
    complaint's free-text prompt became the complaint again. It hears the question again and
    the prompt keeps waiting."""
    responses = {k: v for k, v in pack.responses.items() if k != "utter_go_ahead"}
    v = Visitor(dataclasses.replace(pack, responses=responses), nlu)
    v.says("I want to make a complaint")
    prompt = pack.responses["utter_ask_complaint_text"].texts["en"]
    assert texts(v.says("can I ask you something")) == [prompt]
    assert v.state.slots.get("complaint_text") is None
    assert v.state.stack[-1].waiting == "collect"
