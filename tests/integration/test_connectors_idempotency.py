"""A retried or repeated side-effecting request (card freeze, booking, ticket) has one effect:
sent twice, sent concurrently, and retried after a response lost on purpose (the sandbox commits,
then answers 500). Effects are counted in the sandboxes' own SQLite files."""

from __future__ import annotations

import asyncio

import pytest

from connectors.base import Conflict
from connectors.router import Router
from tests.support.sandbox import (
    connector,
    inproc_logs,
    sandbox,
    sandbox_rows,
    sandbox_write,
    verified_token,
)

__all__ = ["connector", "inproc_logs", "sandbox"]  # fixtures used by this module


async def fresh_card(connector: Router, sandbox, customer: str) -> tuple[str, str, str]:
    """(last4, full number, token) of an unfrozen card of ``customer``, verified."""
    card = sandbox_rows(sandbox, "bank", "SELECT * FROM cards WHERE customer_id=?", customer)[0]
    sandbox_write(
        sandbox, "bank", "UPDATE cards SET status='active' WHERE number=?", card["number"]
    )
    token = await verified_token(connector, sandbox, "bank", card["last4"])
    return card["last4"], card["number"], token


def freeze_events(sandbox, number: str) -> int:
    rows = sandbox_rows(
        sandbox, "bank", "SELECT COUNT(*) FROM card_events WHERE card_number=?", number
    )
    return int(rows[0][0])


async def test_freeze_sent_twice_has_one_effect(connector: Router, sandbox) -> None:
    last4, number, token = await fresh_card(connector, sandbox, "C0004")
    before = freeze_events(sandbox, number)
    params = {"token": token, "card_last4": last4}
    first = await connector.call("bank.freeze_card", params, idempotency_key="twice-1")
    second = await connector.call("bank.freeze_card", params, idempotency_key="twice-1")
    assert first.data == second.data
    assert freeze_events(sandbox, number) == before + 1


async def test_freeze_sent_concurrently_has_one_effect(connector: Router, sandbox) -> None:
    last4, number, token = await fresh_card(connector, sandbox, "C0005")
    before = freeze_events(sandbox, number)
    params = {"token": token, "card_last4": last4}
    results = await asyncio.gather(
        *(connector.call("bank.freeze_card", params, idempotency_key="conc-1") for _ in range(8))
    )
    assert len({r.data["freeze_id"] for r in results}) == 1
    assert freeze_events(sandbox, number) == before + 1


async def test_lost_response_is_retried_with_the_same_key(connector: Router, sandbox) -> None:
    last4, number, token = await fresh_card(connector, sandbox, "C0006")
    before = freeze_events(sandbox, number)
    sandbox.set_faults("bank", {"fail_after_commit_next": 1})
    # No key from the caller: the runtime makes one and every retry reuses it.
    result = await connector.call("bank.freeze_card", {"token": token, "card_last4": last4})
    assert result.data["status"] == "frozen"
    assert freeze_events(sandbox, number) == before + 1
    status = sandbox_rows(sandbox, "bank", "SELECT status FROM cards WHERE number=?", number)
    assert status[0]["status"] == "frozen"


async def test_booking_twice_and_after_lost_response(connector: Router, sandbox) -> None:
    slots = (await connector.call("tax.list_slots", {"limit": 100})).data["slots"]
    slot_a, slot_b = slots[-2]["slot_id"], slots[-3]["slot_id"]
    one = await connector.call("tax.book_appointment", {"slot_id": slot_a}, idempotency_key="bk-1")
    two = await connector.call("tax.book_appointment", {"slot_id": slot_a}, idempotency_key="bk-1")
    assert one.data["appointment_id"] == two.data["appointment_id"]
    sandbox.set_faults("tax", {"fail_after_commit_next": 1})
    lost = await connector.call("tax.book_appointment", {"slot_id": slot_b}, idempotency_key="bk-2")
    assert lost.data["status"] == "booked"
    for slot in (slot_a, slot_b):
        rows = sandbox_rows(
            sandbox,
            "tax",
            "SELECT COUNT(*) FROM appointments WHERE slot_id=? AND status='booked'",
            slot,
        )
        assert rows[0][0] == 1


async def test_no_double_booking_under_concurrent_requests(connector: Router, sandbox) -> None:
    slot = (await connector.call("tax.list_slots", {"limit": 100})).data["slots"][-4]["slot_id"]
    sandbox.set_faults("tax", {"latency_ms": 50})  # let the requests overlap at the server
    outcomes = await asyncio.gather(
        *(
            connector.call("tax.book_appointment", {"slot_id": slot}, idempotency_key=f"race-{i}")
            for i in range(10)
        ),
        return_exceptions=True,
    )
    booked = [o for o in outcomes if not isinstance(o, BaseException)]
    conflicts = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(booked) == 1 and len(conflicts) == 9
    rows = sandbox_rows(sandbox, "tax", "SELECT COUNT(*) FROM appointments WHERE slot_id=?", slot)
    assert rows[0][0] == 1


async def test_ticket_repeated_has_one_effect(connector: Router, sandbox) -> None:
    params = {"kind": "suggestion", "text": "More chairs in hall A, please."}
    results = await asyncio.gather(
        *(connector.call("tax.create_ticket", params, idempotency_key="tk-1") for _ in range(3))
    )
    again = await connector.call("tax.create_ticket", params, idempotency_key="tk-1")
    assert {r.data["ticket_id"] for r in [*results, again]} == {again.data["ticket_id"]}
    rows = sandbox_rows(sandbox, "tax", "SELECT COUNT(*) FROM tickets WHERE text=?", params["text"])
    assert rows[0][0] == 1


async def test_key_reused_with_other_arguments_is_conflict(connector: Router) -> None:
    first = {"kind": "inquiry", "text": "Opening hours on holidays?"}
    await connector.call("tax.create_ticket", first, idempotency_key="tk-reuse")
    with pytest.raises(Conflict) as info:
        await connector.call(
            "tax.create_ticket", {**first, "text": "Something else"}, idempotency_key="tk-reuse"
        )
    assert info.value.reason == "idempotency_key_reuse"
