"""A verified visitor's access lapsing after a short idle (newcomer #15): the account details a
visitor gave (the pack's slots marked ``sensitive`` and ``persist``: the bank's ``card_last4``
and ``bank_token``, the tax hall's ``tax_token``) are forgotten, and the running flows with
them and the visit's results (an appointment, a ticket), so whoever steps up to the kiosk next
finds nothing open; a question about the account then asks for the card and a fresh one-time
code. Locks and failure counts (``persist`` with an ``initial`` value, not ``sensitive``) stay:
walking away does not reset them. An anonymous visit's results (booked without verification)
are closed the same way after the same silence (:func:`holds_visit`), and the words say what
was closed (:func:`lapsed_reply`).

The server decides when (``server.verified_idle_s``, :mod:`engine.server.idle_watch`); this
module is the dialog side: pure, on :class:`~dialog.steps.DialogState`.
"""

from __future__ import annotations

from dialog.pack import Pack, SlotDef
from dialog.steps import DialogState
from dialog.templates import render
from dialog.types import ReplyPlan

#: Said when the access lapsed, for a pack without the response ``utter_access_lapsed`` (both
#: shipped packs have it, in these words).
LAPSED = {
    "en": "For your security, I've closed your account details, as no one has been here for a "
    "while. If you need your account again, I'll send you a new code.",
    "zh": "为了您的安全，刚才一段时间没有人操作，我已经关闭了您的账户信息。如果还要办理，我会重新给您发短信。",
}
#: Said when an anonymous visit's results lapsed (no account details held), for a pack without
#: the response ``utter_visit_lapsed`` (both shipped packs have it, in these words): what was
#: booked stays booked, only its number is no longer held at the kiosk (nobody there can change
#: or cancel it).
VISIT_LAPSED = {
    "en": "For your privacy, I've closed this visit, as no one has been here for a while. "
    "What you booked or registered here stays as it is, but its number is no longer kept "
    "at this kiosk.",
    "zh": "为了保护您的隐私，刚才一段时间没有人操作，我已经关闭了本次办理的记录。"
    "您在这里预约、取号或登记的事项仍然有效，但本机不再保留它的号码。",
}
#: Said when both lapsed, for a pack without the response ``utter_access_visit_lapsed`` (both
#: shipped packs have it, in these words).
BOTH_LAPSED = {
    "en": "For your security, I've closed your account details and this visit, as no one has "
    "been here for a while. What you booked or registered here stays as it is. If you need "
    "your account again, I'll send you a new code.",
    "zh": "为了您的安全，刚才一段时间没有人操作，我已经关闭了您的账户信息和本次办理的记录。"
    "您在这里预约、取号或登记的事项仍然有效。如果还要办理账户业务，我会重新给您发短信。",
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


def holds_visit(pack: Pack, state: DialogState) -> bool:
    """Whether ``state`` holds a visit's result: a slot marked ``persist``, not ``sensitive``,
    without an ``initial`` value, that has one (the tax hall's appointment and ticket, the
    bank's queue number and complaint number), booked with or without verification. An
    anonymous visit's results stayed for the next person until the idle timeout (300 s), and
    "cancel my appointment" cancelled it with a yes (fixes18). ``False`` while the flow waits
    for the one-time code, as for :func:`holds_access`."""
    if at_code_question(pack, state):
        return False
    return any(
        slot.persist
        and not slot.sensitive
        and slot.initial is None
        and state.slots.get(name) is not None
        for name, slot in pack.slots.items()
    )


def lapse_due(pack: Pack, state: DialogState) -> bool:
    """Whether the lapse has anything to close: account details (:func:`holds_access`) or a
    visit's results (:func:`holds_visit`)."""
    return holds_access(pack, state) or holds_visit(pack, state)


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


def code_awaited(pack: Pack, state: DialogState) -> bool:
    """Whether the visitor's next line may hold the one-time code, so that every number in it
    is hidden whole where it is logged, shown or printed: the flow waits at the code's question
    (:func:`at_code_question`), or a connector failure just ended a flow
    (:attr:`dialog.steps.DialogState.stopped`), after which the code typed again starts the
    request anew (dialogfix18 #1, review18).

    Args:
        pack: the session's domain pack; state: its dialog state before the line.
    """
    return at_code_question(pack, state) or state.stopped is not None


def lapsed(pack: Pack, state: DialogState) -> DialogState:
    """A fresh state that keeps of ``state`` only what must survive the lapse: the language,
    the speaking rate, the event count (``seq``: idempotency keys stay unique), ``ended``,
    and the locks and failure counts (persisting slots, not sensitive, with an ``initial``
    value); every other slot is back at its initial value and every other field at its default
    (the flows, the visit's results, the colleague's call, the last connector error). A field
    added to :class:`~dialog.steps.DialogState` later is forgotten by default, not kept by
    omission (fixes18: the earlier version listed the fields to reset). With the appointment
    kept, the next person at the kiosk could cancel it with a yes (review17: cancelling needs
    no verification)."""
    slots = {
        name: state.slots.get(name, slot.initial) if _survives(slot) else slot.initial
        for name, slot in pack.slots.items()
    }
    return DialogState(
        language=state.language,
        slots=slots,
        speaking_rate=state.speaking_rate,
        seq=state.seq,
        ended=state.ended,
    )


def _survives(slot: SlotDef) -> bool:
    """A lock or a failure count: walking away resets neither."""
    return slot.persist and not slot.sensitive and slot.initial is not None


def lapsed_reply(pack: Pack, state: DialogState) -> ReplyPlan:
    """What the avatar says when the lapse closed what ``state`` (the state before it) held, in
    its language: the account details (:data:`LAPSED`, the pack's ``utter_access_lapsed``), the
    visit's results (:data:`VISIT_LAPSED`, ``utter_visit_lapsed``) or both
    (:data:`BOTH_LAPSED`, ``utter_access_visit_lapsed``); English for another language."""
    access, visit = holds_access(pack, state), holds_visit(pack, state)
    if access and visit:
        name, words = "utter_access_visit_lapsed", BOTH_LAPSED
    elif visit:
        name, words = "utter_visit_lapsed", VISIT_LAPSED
    else:
        name, words = "utter_access_lapsed", LAPSED
    language = state.language
    response = pack.responses.get(name)
    if response is not None:
        return render(response, language, {})
    return ReplyPlan(words.get(language, words["en"]), language, emotion="neutral")
