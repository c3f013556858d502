"""Contract tests of every tax-bureau operation, through the declared HTTP connector, over real
HTTP against the running sandbox tax service (SQLite, fictional data)."""

from __future__ import annotations

import pytest

from connectors.base import Conflict, InvalidInput, NotFound, Unauthorized
from connectors.router import Router
from connectors.sandbox.tax import bureau_today
from tests.support.sandbox import connector, inproc_logs, sandbox, sandbox_rows
from tests.support.sandbox import verified_token as support_verified_token

__all__ = ["connector", "inproc_logs", "sandbox"]  # fixtures used by this module

DEMO_LAST4 = "2024"


async def verified_token(connector: Router, sandbox) -> str:
    """A tax token for the demo taxpayer."""
    return await support_verified_token(connector, sandbox, "tax", DEMO_LAST4)


async def test_start_verification_of_demo_taxpayer(connector: Router) -> None:
    result = await connector.call("tax.start_verification", {"taxpayer_id_last4": DEMO_LAST4})
    assert result.data["phone_masked"] == "*******1188"
    with pytest.raises(NotFound):
        await connector.call("tax.start_verification", {"taxpayer_id_last4": "9999"})


async def test_wrong_code_is_unauthorized(connector: Router) -> None:
    start = await connector.call("tax.start_verification", {"taxpayer_id_last4": DEMO_LAST4})
    with pytest.raises(Unauthorized) as info:
        await connector.call(
            "tax.verify_otp",
            {"verification_id": start.data["verification_id"], "code": "1234567"},
        )
    assert info.value.reason in ("otp_wrong", "otp_locked")


async def test_filing_status_by_year(connector: Router, sandbox) -> None:
    token = await verified_token(connector, sandbox)
    y2023 = await connector.call("tax.get_filing_status", {"token": token, "year": 2023})
    assert y2023.data == {
        "year": 2023,
        "status": "assessed",
        "amount": "1250.00",
        "amount_kind": "refund",
        "due_date": "2024-06-30",
        "taxpayer_masked": "**************2024",
    }
    y2025 = await connector.call("tax.get_filing_status", {"token": token, "year": "2025"})
    assert (y2025.data["status"], y2025.data["amount_kind"]) == ("not_filed", "due")
    with pytest.raises(NotFound):
        await connector.call("tax.get_filing_status", {"token": token, "year": 2019})
    with pytest.raises(InvalidInput):
        await connector.call("tax.get_filing_status", {"token": token, "year": 1900})
    with pytest.raises(Unauthorized):
        await connector.call("tax.get_filing_status", {"token": "t_forged", "year": 2023})


async def test_list_slots_from_today_and_by_date(connector: Router) -> None:
    upcoming = (await connector.call("tax.list_slots", {})).data["slots"]
    assert upcoming, "the sandbox keeps 14 days of slots"
    today = bureau_today().isoformat()  # the bureau's calendar (Asia/Shanghai)
    assert all(s["date"] >= today for s in upcoming)
    day = upcoming[0]["date"]
    on_day = (await connector.call("tax.list_slots", {"date": day, "limit": 100})).data["slots"]
    assert {s["date"] for s in on_day} == {day}
    assert [s["start"] for s in on_day] == sorted(s["start"] for s in on_day)
    with pytest.raises(InvalidInput):
        await connector.call("tax.list_slots", {"date": "next tuesday"})


async def test_book_cancel_and_rebook(connector: Router, sandbox) -> None:
    slots = (await connector.call("tax.list_slots", {"limit": 100})).data["slots"]
    slot = slots[-1]
    booked = await connector.call(
        "tax.book_appointment", {"slot_id": slot["slot_id"], "visitor_name": "Test Visitor"}
    )
    assert booked.data["status"] == "booked"
    assert (booked.data["slot_id"], booked.data["date"]) == (slot["slot_id"], slot["date"])
    free = (await connector.call("tax.list_slots", {"date": slot["date"], "limit": 100})).data
    assert slot["slot_id"] not in {s["slot_id"] for s in free["slots"]}
    with pytest.raises(Conflict) as info:
        await connector.call("tax.book_appointment", {"slot_id": slot["slot_id"]})
    assert info.value.reason == "slot_taken"
    aid = booked.data["appointment_id"]
    cancelled = await connector.call("tax.cancel_appointment", {"appointment_id": aid})
    assert cancelled.data == {"appointment_id": aid, "status": "cancelled"}
    again = await connector.call("tax.cancel_appointment", {"appointment_id": aid})
    assert again.data["status"] == "cancelled"
    rebooked = await connector.call("tax.book_appointment", {"slot_id": slot["slot_id"]})
    assert rebooked.data["appointment_id"] != aid
    rows = sandbox_rows(
        sandbox, "tax", "SELECT status FROM appointments WHERE slot_id=?", slot["slot_id"]
    )
    assert sorted(r["status"] for r in rows) == ["booked", "cancelled"]
    with pytest.raises(NotFound):
        await connector.call("tax.book_appointment", {"slot_id": "S-1999-01-01-0900-A"})
    with pytest.raises(NotFound):
        await connector.call("tax.cancel_appointment", {"appointment_id": "A-NOPE"})


async def test_create_ticket(connector: Router, sandbox) -> None:
    result = await connector.call(
        "tax.create_ticket", {"kind": "complaint", "text": "The queue display was broken."}
    )
    assert result.data["kind"] == "complaint" and result.data["status"] == "open"
    rows = sandbox_rows(
        sandbox, "tax", "SELECT * FROM tickets WHERE id=?", result.data["ticket_id"]
    )
    assert rows[0]["text"] == "The queue display was broken."
    with pytest.raises(InvalidInput):
        await connector.call("tax.create_ticket", {"kind": "rant", "text": "x"})
    with pytest.raises(InvalidInput):
        await connector.call("tax.create_ticket", {"kind": "inquiry", "text": ""})
