"""An anonymous visit's results lapse too (fixes18): the verified-access lapse came only while
account details were held, so an appointment booked without verification, a queue ticket or a
complaint number stayed for the next person at the kiosk until the idle timeout (300 s), and
"cancel my appointment" cancelled it with a yes. Now any persisting slot without an initial
value that holds a value makes the lapse due, and the words say what was closed. And
:func:`dialog.lapse.lapsed` builds a fresh state: a field it does not name is forgotten."""

from __future__ import annotations

import dataclasses

import pytest

from dialog.lapse import (
    BOTH_LAPSED,
    LAPSED,
    VISIT_LAPSED,
    holds_access,
    holds_visit,
    lapse_due,
    lapsed,
    lapsed_reply,
)
from dialog.pack import DEFAULT_PACKS_DIR, Pack, load_pack
from dialog.steps import DialogState, Frame
from dialog.types import ReplyPlan


@pytest.fixture(scope="module")
def tax() -> Pack:
    return load_pack(DEFAULT_PACKS_DIR / "tax")


@pytest.fixture(scope="module")
def bank() -> Pack:
    return load_pack(DEFAULT_PACKS_DIR / "bank")


def _fresh(pack: Pack, language: str = "en", **slots: object) -> DialogState:
    values = {name: slot.initial for name, slot in pack.slots.items()}
    return DialogState(language=language, slots={**values, **slots})


def test_an_anonymous_appointment_makes_the_lapse_due(tax: Pack) -> None:
    state = _fresh(tax, appointment_id="AP0042", appointment_when="2026-12-14 09:00")
    assert not holds_access(tax, state)
    assert holds_visit(tax, state) and lapse_due(tax, state)
    after = lapsed(tax, state)
    assert after.slots["appointment_id"] is None and after.slots["appointment_when"] is None
    assert not lapse_due(tax, after)


@pytest.mark.parametrize("slot", ["queue_ticket", "complaint_id"])
def test_a_bank_ticket_or_complaint_makes_the_lapse_due(bank: Pack, slot: str) -> None:
    state = _fresh(bank, **{slot: "C012"})
    assert lapse_due(bank, state) and not holds_access(bank, state)


def test_nothing_held_nothing_due(bank: Pack, tax: Pack) -> None:
    assert not lapse_due(bank, _fresh(bank))
    # a lock and a failure count are not a visit's result
    assert not lapse_due(tax, _fresh(tax, tax_locked=True, otp_failures=2))


def test_not_due_while_the_visitor_waits_for_the_code(bank: Pack) -> None:
    verify = bank.flows["verify_bank"].index_of("ask_code")
    stack = (
        Frame("check_balance", 0, waiting="call"),
        Frame("verify_bank", verify, waiting="collect"),
    )
    state = dataclasses.replace(_fresh(bank, queue_ticket="C012", card_last4="4417"), stack=stack)
    assert not lapse_due(bank, state)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_words_say_what_was_closed(bank: Pack, language: str) -> None:
    visit = _fresh(bank, language, queue_ticket="C012")
    access = _fresh(bank, language, bank_token="tok")
    both = _fresh(bank, language, bank_token="tok", complaint_id="K-1")
    assert lapsed_reply(bank, visit) == ReplyPlan(VISIT_LAPSED[language], language, "neutral")
    assert lapsed_reply(bank, access).text == LAPSED[language]
    assert lapsed_reply(bank, both).text == BOTH_LAPSED[language]
    assert len({VISIT_LAPSED[language], LAPSED[language], BOTH_LAPSED[language]}) == 3


def test_lapsed_keeps_only_what_must_survive(tax: Pack) -> None:
    """Every field set away from its default; after the lapse, only the language, the speaking
    rate, ``seq``, ``ended`` and the locks and failure counts keep their values. A field added
    to DialogState is checked here without a change to this test."""
    state = _fresh(tax, "zh", appointment_id="AP1", tax_token="tok", tax_locked=True)
    defaults = DialogState()
    changed = {
        f.name: _other_than(getattr(defaults, f.name))
        for f in dataclasses.fields(DialogState)
        if f.name not in ("language", "slots")
    }
    state = dataclasses.replace(state, **changed)
    after = lapsed(tax, state)
    kept = {"language", "speaking_rate", "seq", "ended", "slots"}
    for f in dataclasses.fields(DialogState):
        if f.name not in kept:
            assert getattr(after, f.name) == getattr(defaults, f.name), f.name
    assert (after.language, after.speaking_rate, after.seq, after.ended) == (
        "zh",
        state.speaking_rate,
        state.seq,
        state.ended,
    )
    assert after.slots["tax_locked"] is True and after.slots["appointment_id"] is None
    assert after.slots["tax_token"] is None


def _other_than(default: object) -> object:
    """A value of the field's kind unlike its default."""
    if isinstance(default, bool):
        return not default
    if isinstance(default, float):
        return default + 0.5
    if isinstance(default, int):
        return default + 7
    if isinstance(default, tuple):
        return ("x",)
    return "x"  # None or a string
