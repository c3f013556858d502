"""A question about when a place opens or closes wants a time of day (dialog.answer_type
asks_for_clock_time, dialog.kb.CLOCK_WEIGHT): "when does the tax office close" at the tax hall got
"Closing a business: tax deregistration", whose listed questions say "close my business with the
tax office" (session-19 dev finding), instead of the hall's opening hours."""

from __future__ import annotations

import pytest

from dialog.answer_type import asks_for_clock_time, states_clock_time
from tests.support.dialog_sessions import assert_read_as

HOURS = "Opening hours of the service hall"
DEREGISTRATION = "Closing a business: tax deregistration"


@pytest.mark.parametrize(
    ("line", "asks"),
    [
        ("when does the tax office close", True),
        ("what time do you open", True),
        ("how late is the service hall open", True),
        ("when does the hall close for lunch", True),
        ("when do I close my business", False),  # "close" with an object: no place's hours
        ("when should I close my company's tax registration", False),
        ("how do I close my business with the tax office", False),
        ("how long does deregistration take", False),
    ],
)
def test_asks_for_clock_time(line: str, asks: bool) -> None:
    assert asks_for_clock_time(line) is asks


def test_states_clock_time() -> None:
    assert states_clock_time("open Monday to Friday, 9 am to 12 noon and 1:30 pm to 5 pm")
    assert not states_clock_time("With nothing outstanding it is done within a few working days.")


@pytest.mark.parametrize(
    ("line", "section"),
    [
        ("when does the tax office close", HOURS),
        ("when does the tax bureau close on fridays", HOURS),
        ("how do I close my business with the tax office", DEREGISTRATION),
        ("when should I close my company's tax registration", DEREGISTRATION),
    ],
)
def test_tax_office_hours_read(line: str, section: str) -> None:
    assert_read_as("tax", line, "en", section)
