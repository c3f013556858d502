"""A verified visitor's access lapsing after a short idle (newcomer #15): the account details a
visitor gave (the pack's slots marked ``sensitive`` and ``persist``: the bank's ``card_last4``
and ``bank_token``, the tax hall's ``tax_token``) are forgotten, and the running flows with
them and the visit's results (an appointment, a ticket), so whoever steps up to the kiosk next
finds nothing open; a question about the account then asks for the card and a fresh one-time
code. Locks and failure counts (``persist`` with an ``initial`` value, not ``sensitive``) stay:
walking away does not reset them.

The server decides when (``server.verified_idle_s``, :mod:`engine.server.idle_watch`); this
module is the dialog side: pure, on :class:`~dialog.steps.DialogState`.
"""

from __future__ import annotations

import dataclasses

from dialog.pack import Pack
from dialog.steps import DialogState
from dialog.templates import render
from dialog.types import ReplyPlan

#: Said when the access lapsed, for a pack without the response ``utter_access_lapsed``.
LAPSED = {
    "en": "For your security, I've closed your account details, as no one has been here for a "
    "while. If you need your account again, I'll send you a new code.",
    "zh": "为了您的安全，刚才一段时间没有人操作，我已经关闭了您的账户信息。如果还要办理，我会重新给您发短信。",
}


def holds_access(pack: Pack, state: DialogState) -> bool:
    """Whether ``state`` holds account details a visitor gave: a slot marked ``sensitive`` and
    ``persist`` that is not at its initial value (a verification token, a card's digits).
    ``False`` while the flow waits for the one-time code (:func:`at_code_question`): nothing is
    open yet, and the visitor may be waiting for the text message."""
    if at_code_question(pack, state):
        return False
    return any(
        slot.sensitive and slot.persist and state.slots.get(name, slot.initial) != slot.initial
        for name, slot in pack.slots.items()
    )


def at_code_question(pack: Pack, state: DialogState) -> bool:
    """Whether the flow waits at the question for a slot marked ``sensitive`` that does not
    persist: the one-time code (``otp``), which the packs say "can take a minute to arrive"
    and which lives 5 minutes. The lapse forgot the card's digits and the flow there after a
    minute of the visitor waiting for their text message (review17)."""
    if not state.stack or state.stack[-1].waiting != "collect":
        return False
    frame = state.stack[-1]
    steps = pack.flows[frame.flow_id].steps
    if frame.step >= len(steps):
        return False
    slot = pack.slots.get(str(steps[frame.step].value))
    return slot is not None and slot.sensitive and not slot.persist


def lapsed(pack: Pack, state: DialogState) -> DialogState:
    """``state`` with the account details forgotten: every running or queued flow ended, the
    slots that do not persist, the persisting sensitive ones and the visit's results (a
    persisting slot without an ``initial`` value: an appointment, a ticket, a queue number)
    back at their initial values, the colleague's call and the last connector error cleared;
    the language, locks and failure counts (persisting slots with an ``initial`` value) kept.
    With the appointment kept, the next person at the kiosk could cancel it with a yes
    (review17: cancelling needs no verification)."""
    slots = {
        name: state.slots.get(name)
        if slot.persist and not slot.sensitive and slot.initial is not None
        else slot.initial
        for name, slot in pack.slots.items()
    }
    return dataclasses.replace(
        state,
        slots=slots,
        stack=(),
        queued=(),
        last_replies=(),
        said_time=None,
        intent=None,
        slot=None,
        unanswered=None,
        helped=None,
        offered_handoff=False,
        handed_off=False,
        last_error=None,
    )


def lapsed_reply(pack: Pack, language: str) -> ReplyPlan:
    """What the avatar says when the access lapsed, in ``language``: the pack's
    ``utter_access_lapsed`` when it has one, else :data:`LAPSED` (English for another
    language)."""
    response = pack.responses.get("utter_access_lapsed")
    if response is not None:
        return render(response, language, {})
    return ReplyPlan(LAPSED.get(language, LAPSED["en"]), language, emotion="neutral")
