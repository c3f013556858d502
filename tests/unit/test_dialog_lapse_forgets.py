"""What the verified-access lapse (:func:`dialog.lapse.lapsed`) forgets and keeps (review17):
after a lapse the visit's results (the tax hall's appointment, a ticket, the bank's queue
number and complaint) stayed, so the next person at the kiosk could say "cancel my
appointment" and cancel it with a yes (cancelling asks for no verification), and a colleague's
call stayed, so their first out-of-scope line heard "a colleague is on the way". The locks
and failure counts (persisting slots with an initial value) stay: walking away resets
neither."""

from __future__ import annotations

from dialog.lapse import lapsed
from dialog.pack import DEFAULT_PACKS_DIR, load_pack
from dialog.steps import DialogState


def test_the_visit_is_forgotten_the_locks_kept() -> None:
    tax = load_pack(DEFAULT_PACKS_DIR / "tax")
    values = {name: slot.initial for name, slot in tax.slots.items()}
    held = {
        "taxpayer_last4": "2024",
        "tax_token": "tok",
        "appointment_id": "AP0042",
        "appointment_when": "2026-12-14 09:00",
        "ticket_id": "T-1",
        "tax_locked": True,
        "otp_failures": 2,
    }
    state = DialogState(
        language="zh", slots={**values, **held}, handed_off=True, last_error="timeout"
    )
    after = lapsed(tax, state)
    for name in ("taxpayer_last4", "tax_token", "appointment_id", "appointment_when", "ticket_id"):
        assert after.slots[name] == tax.slots[name].initial, name
    assert after.slots["tax_locked"] is True and after.slots["otp_failures"] == 2
    assert not after.handed_off and after.last_error is None
    assert after.language == "zh"


def test_the_bank_queue_number_and_complaint_are_forgotten() -> None:
    bank = load_pack(DEFAULT_PACKS_DIR / "bank")
    values = {name: slot.initial for name, slot in bank.slots.items()}
    state = DialogState(
        slots={**values, "bank_token": "tok", "queue_ticket": "C012", "complaint_id": "K-1"}
    )
    after = lapsed(bank, state)
    assert after.slots["queue_ticket"] is None and after.slots["complaint_id"] is None
    assert after.slots["bank_locked"] is False and after.slots["otp_failures"] == 0
