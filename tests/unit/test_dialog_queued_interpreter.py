"""A flow waiting its turn (flows16) on the pure interpreter with the real bank pack: it starts
when the running flow fails (a connector error with no handler), is not started twice when the
visitor asks for it at the first flow's question, and waits while a flow runs."""

from __future__ import annotations

from dialog.types import Call, ConnectorFailed, LaterRequest, Say, UserInput
from tests.support.dialog_visitor import Visitor, bank_nlu, bank_pack

BALANCE = LaterRequest("check_balance", "check_balance", "what is my balance")


def texts(actions) -> list[str]:
    return [a.reply.text for a in actions if isinstance(a, Say)]


def start(visitor: Visitor) -> list:
    line = "I lost my card and what is my balance"
    nlu = visitor.nlu.predict("I lost my card")
    return visitor.feed(UserInput(line, "en", nlu, later=(BALANCE,)))


def test_the_waiting_flow_starts_when_the_first_fails() -> None:
    visitor = Visitor(bank_pack(), bank_nlu())
    said = texts(start(visitor))
    assert said[0] == (
        'I\'ll do one thing at a time: this first, then your other request, "what is my balance".'
    )
    assert visitor.state.stack[0].flow_id == "report_lost_card"
    actions = visitor.says("4417")
    [call] = [a for a in actions if isinstance(a, Call)]
    assert call.op == "bank.start_verification" and visitor.state.queued == (BALANCE,)
    actions = visitor.feed(ConnectorFailed(call.op, "unavailable"))
    said = texts(actions)
    joined = " ".join(said)
    assert "something went wrong" in joined or "not available" in joined.lower(), said
    assert 'Now for your other request: "what is my balance".' in said, said
    assert visitor.state.stack[0].flow_id == "check_balance" and not visitor.state.queued
    # the card's last four, given a moment ago, are kept: the balance check asks the bank again
    assert isinstance(actions[-1], Call) and actions[-1].op == "bank.start_verification"


def test_asked_for_at_the_first_flows_question_it_is_no_longer_waiting() -> None:
    visitor = Visitor(bank_pack(), bank_nlu())
    start(visitor)
    visitor.says("actually what's my balance")  # the balance check on top, now
    assert not visitor.state.queued, visitor.state.queued
    assert [f.flow_id for f in visitor.state.stack].count("check_balance") == 1
