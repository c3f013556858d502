"""What is left of a masked full number ("•••• 2024", dialog.sensitive.redact) is no slot value:
never a year, date, amount, choice or yes/no, nor a card's last four. newcomer9 saw a
taxpayer's "我的身份证号是110101199001012024" answered with the filing status of *2024*, the
masked ID's last four digits, and at the bank's card prompt a phone number's last four sent
to the bank as the card's."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dialog.pack import SlotDef
from dialog.sensitive import redact
from dialog.slot_values import extract_slot_value

NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "slot"),
    [
        ("我的身份证号是110101199001012024", SlotDef("tax_year", "year")),
        ("my ID number is 110101199001012024", SlotDef("tax_year", "year")),
        ("my phone is 13812342025", SlotDef("tax_year", "year")),
        ("我的卡号是6228480012345671", SlotDef("amount", "amount")),
        ("my ID number is 110101199001011230", SlotDef("when", "datetime")),
    ],
)
def test_a_masked_numbers_ending_fills_no_year_amount_or_time(typed: str, slot: SlotDef) -> None:
    masked, kinds = redact(typed)
    assert kinds and "••••" in masked
    assert extract_slot_value(slot, masked, {}, NOW) is None, masked


def test_what_the_visitor_says_beside_a_masked_number_still_counts() -> None:
    masked, _ = redact("2023年的，我的身份证号是110101199001012024")
    assert extract_slot_value(SlotDef("tax_year", "year"), masked, {}, NOW) == 2023
    last4 = SlotDef("card_last4", "digits", length=4)
    masked, _ = redact("my phone is 13700001288")
    assert extract_slot_value(last4, masked, {}, NOW) is None  # asked again, no bank call
    masked, _ = redact("4417, not 6228 4800 1234 5671")
    assert extract_slot_value(last4, masked, {}, NOW) == "4417"
