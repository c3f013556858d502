"""Taking a queue number for a counter, in English and Chinese, over real HTTP against the
sandbox bank: what the avatar says and shows, checked against the queue in the bank's database."""

from __future__ import annotations

import pytest

from connectors.embedded import SandboxCluster
from connectors.router import Router
from dialog import DialogEngine, DialogTurn
from tests.conftest import trained_dialog
from tests.support.dialog_visitor import said
from tests.support.sandbox import connector, inproc_logs, sandbox, sandbox_rows

__all__ = ["connector", "inproc_logs", "sandbox"]  # fixtures used by this module


@pytest.fixture
def engine(connector: Router) -> DialogEngine:
    return trained_dialog("bank").with_connector(connector)


def cards_of(turn: DialogTurn, kind: str) -> list[dict]:
    return [r.card for r in turn.replies if r.card and r.card.get("kind") == kind]


def queue(cluster: SandboxCluster, service: str) -> tuple[int, int]:
    """(tickets issued, tickets waiting) for ``service``, as the sandbox bank stores them."""
    row = sandbox_rows(
        cluster,
        "bank",
        "SELECT COUNT(*), COALESCE(SUM(status = 'waiting'), 0) FROM queue_tickets WHERE service=?",
        service,
    )[0]
    return int(row[0]), int(row[1])


def newest_ticket(cluster: SandboxCluster, service: str) -> str:
    rows = sandbox_rows(
        cluster,
        "bank",
        "SELECT number FROM queue_tickets WHERE service=? ORDER BY id DESC LIMIT 1",
        service,
    )
    return str(rows[0]["number"])


async def test_queue_number_in_english(engine: DialogEngine, sandbox: SandboxCluster) -> None:
    session = engine.new_session("t-queue-en")
    issued, waiting = queue(sandbox, "cash")
    turn = await session.handle_text("Hello, I need a number for the counter please")
    assert turn.intent == "take_queue_number" and turn.language == "en"
    assert "cash, cards, or accounts" in said(turn)
    assert cards_of(turn, "options")[0]["options"] == ["cash", "cards", "accounts"]
    turn = await session.handle_text("I want to withdraw cash")
    assert "queue number for cash services" in said(turn)
    assert queue(sandbox, "cash") == (issued, waiting)  # nothing taken before the yes
    turn = await session.handle_text("yes please")
    number = f"A{issued + 1:03d}"
    assert newest_ticket(sandbox, "cash") == number
    assert queue(sandbox, "cash") == (issued + 1, waiting + 1)
    assert f"Your number is {number}" in said(turn)
    assert (f"{waiting} people ahead" if waiting else "Nobody is ahead") in said(turn)
    ticket = cards_of(turn, "queue_ticket")[0]
    assert ticket == {
        "kind": "queue_ticket", "number": number, "service": "cash", "waiting": str(waiting)
    }  # fmt: skip
    assert turn.replies[-1].emotion == "happy"
    session.close()


async def test_queue_number_in_chinese_names_the_service_up_front(
    engine: DialogEngine, sandbox: SandboxCluster
) -> None:
    session = engine.new_session("t-queue-zh")
    issued, waiting = queue(sandbox, "cards")
    turn = await session.handle_text("帮我取个号，我要办银行卡业务")
    assert turn.intent == "take_queue_number" and turn.language == "zh"
    assert "银行卡业务的排队号" in said(turn)  # the service was named: straight to the confirmation
    turn = await session.handle_text("是的")
    number = f"B{issued + 1:03d}"
    assert newest_ticket(sandbox, "cards") == number
    assert f"您的排队号是{number}" in said(turn)
    assert (f"前面还有{waiting}位" if waiting else "前面没有人") in said(turn)
    assert cards_of(turn, "queue_ticket")[0]["number"] == number
    session.close()


async def test_queue_number_declined_takes_nothing(
    engine: DialogEngine, sandbox: SandboxCluster
) -> None:
    session = engine.new_session("t-queue-no")
    before = queue(sandbox, "accounts")
    turn = await session.handle_text("can I have a ticket number")
    assert turn.intent == "take_queue_number"
    turn = await session.handle_text("the third one")  # by position: accounts
    assert "account services" in said(turn)
    turn = await session.handle_text("no")
    assert "haven't taken a number" in said(turn)
    assert queue(sandbox, "accounts") == before
    assert not any(e.detail.startswith("bank.take_queue_number") for e in session.audit)
    session.close()


async def test_a_question_at_the_service_question_is_answered_not_taken_as_the_service(
    engine: DialogEngine, sandbox: SandboxCluster
) -> None:
    """newcomer15: at "cash, cards, or accounts?" the question "what's the interest rate on a
    savings account?" was read as the accounts counter and a queue number offered. It gets the
    knowledge base's answer, then the question again; the service is still open."""
    session = engine.new_session("t-queue-question")
    turn = await session.handle_text("can I get a queue number?")
    assert "cash, cards, or accounts" in said(turn)
    turn = await session.handle_text("what's the interest rate on a savings account?")
    assert "queue number for" not in said(turn), said(turn)
    assert turn.replies[0].source and "cash, cards, or accounts" in said(turn), said(turn)
    turn = await session.handle_text("cards")
    assert "queue number for card services" in said(turn), said(turn)


async def test_another_request_at_the_service_question_is_taken_up_not_taken_as_the_service(
    engine: DialogEngine, sandbox: SandboxCluster
) -> None:
    """newcomer16 #2: at "cash, cards, or accounts?" the line "What is my balance and I also
    lost my card" (read as the balance check, below the digression threshold) took the cards
    counter from "card" and offered a queue number. A line that asks for another flow is a
    digression: the flow starts (its question now), no ticket is offered; the service stays
    open and a bare option still answers it."""
    session = engine.new_session("t-queue-other-flow-en")
    turn = await session.handle_text("I need a queue number")
    assert "cash, cards, or accounts" in said(turn)
    turn = await session.handle_text("What is my balance and I also lost my card")
    assert "queue number for" not in said(turn), said(turn)
    assert "last four digits of your card" in said(turn), said(turn)
    assert turn.intent == "check_balance"
    session.close()


async def test_another_request_at_the_service_question_in_chinese(
    engine: DialogEngine, sandbox: SandboxCluster
) -> None:
    """newcomer16 #2 in Chinese: 我的卡丢了 at the counter question named 卡 and offered a
    ticket for card services; it starts the lost-card flow (the urgent request)."""
    session = engine.new_session("t-queue-other-flow-zh")
    turn = await session.handle_text("我要取个号")
    assert turn.intent == "take_queue_number"
    assert "银行卡业务的排队号" not in said(turn), said(turn)
    turn = await session.handle_text("我的卡丢了")
    assert "排队号" not in said(turn), said(turn)
    assert turn.intent == "report_lost_card", said(turn)
    session.close()
