"""The verified-access lapse (:mod:`dialog.lapse`) waits while the flow waits for the one-time
code (review17): the card's last four digits are held from the moment they are given, so a
visitor waiting a minute for the text message ("it can take a minute to arrive", the packs'
``utter_otp_help``; the code lives 5 minutes) lost the flow and had to start again. Once the
code is given (a token held), or at any other question, the lapse comes as before."""

from __future__ import annotations

import pytest

from dialog.lapse import at_code_question, holds_access
from dialog.pack import DEFAULT_PACKS_DIR, Pack, load_pack
from dialog.steps import DialogState, Frame


@pytest.fixture(scope="module")
def bank() -> Pack:
    return load_pack(DEFAULT_PACKS_DIR / "bank")


def _state(pack: Pack, step_id: str, **slots: object) -> DialogState:
    """The balance check calling verify_bank, which waits at its step ``step_id``."""
    verify = pack.flows["verify_bank"].index_of(step_id)
    stack = (
        Frame("check_balance", 0, waiting="call"),
        Frame("verify_bank", verify, waiting="collect"),
    )
    values = {name: slot.initial for name, slot in pack.slots.items()}
    return DialogState(language="en", slots={**values, **slots}, stack=stack)


def test_no_lapse_while_the_visitor_waits_for_the_code(bank: Pack) -> None:
    state = _state(bank, "ask_code", card_last4="4417", verification_id="v-1")
    assert at_code_question(bank, state)
    assert not holds_access(bank, state)


def test_the_lapse_comes_elsewhere_as_before(bank: Pack) -> None:
    # at the card question with a token held (a second flow), and with no flow running
    at_card = _state(bank, "ask_card", bank_token="tok")
    assert not at_code_question(bank, at_card) and holds_access(bank, at_card)
    idle = DialogState(slots={"card_last4": "4417", "bank_token": "tok"})
    assert not at_code_question(bank, idle) and holds_access(bank, idle)
    nothing = DialogState(slots={name: slot.initial for name, slot in bank.slots.items()})
    assert not holds_access(bank, nothing)
