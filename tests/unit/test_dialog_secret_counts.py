"""A count or a card's ending said beside "PIN" is not the PIN (review16). f9a8ca2 hid the value
said after "pin" / "password" when it held a digit, so "I entered the wrong PIN 3 times" lost
its count and got "never tell anyone your PIN", and "I forgot my PIN for card 4417" lost the
card ending the bank asks for."""

from __future__ import annotations

import pytest

from dialog.sensitive import redact


@pytest.mark.parametrize(
    "line",
    [
        "I entered the wrong PIN 3 times",
        "my card got blocked after PIN 3 tries",
        "I forgot my PIN for card 4417",
        "my password is 2 weeks old",
    ],
)
def test_a_count_or_a_card_ending_beside_the_word_pin_is_kept(line: str) -> None:
    assert redact(line) == (line, ())


@pytest.mark.parametrize(
    ("line", "masked"),
    [
        ("my pin is 4831, is that safe?", "my pin is ••••, is that safe?"),
        ("my password for the app is hunter2", "my password for the app is ••••"),
        ("my PIN is 3 3 1 2", "my PIN is ••••"),  # said apart: all of it (was "•••• 3 1 2")
        ("my pin is 48 31, ok?", "my pin is ••••, ok?"),
    ],
)
def test_a_pin_said_with_its_value_is_still_hidden(line: str, masked: str) -> None:
    assert redact(line) == (masked, ("secret",))
