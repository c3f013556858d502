"""A flow interrupted and resumed by the pure flow interpreter on the real bank pack: a
knowledge-base digression, another flow started at a question, a second flow at the code
prompt that shares the pending verification; after each, the first flow's question again.
Events in, actions out, no I/O (as in :mod:`tests.unit.test_dialog_interpreter`).
"""

from __future__ import annotations

from dialog.nlu import IntentClassifier
from dialog.pack import Pack
from dialog.types import Call, ConnectorDone, KBAnswer
from tests.support.dialog_visitor import Visitor, call_of, texts


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
