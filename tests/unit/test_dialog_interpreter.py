"""The pure flow interpreter on the real bank pack: events in, actions out, no I/O. Here the
flows themselves and their connector outcomes (calls and their parameters, results read out,
failures by code, locking, reprompts, idempotency keys); interruptions, answers at a question
and the replies' language are in test_dialog_flow_interruptions.py,
test_dialog_question_answers.py and test_dialog_reply_language.py.

Connector outcomes are fed back as the events the runner would produce (``ConnectorDone`` /
``ConnectorFailed``); nothing is faked — the interpreter never performs I/O itself.
"""

from __future__ import annotations

from dialog.interpreter import DialogState, Interpreter
from dialog.nlu import IntentClassifier
from dialog.pack import Pack
from dialog.types import Call, ConnectorDone, ConnectorFailed, Handoff, Say
from tests.support.dialog_visitor import Visitor, call_of, texts


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
