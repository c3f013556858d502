"""What the visitor's words answer beside the question asked: the questions of a flow that
the words starting it already answer (:func:`prefill`), a time said with a day that picks the
option at that time later (:func:`remember_time`), and how many options a question read aloud
(:func:`read_aloud`, for "the last one"). Pure functions of the pack and the run, used by
:class:`dialog.interpreter.Interpreter`."""

from __future__ import annotations

from dialog.pack import Pack, SlotDef, Step
from dialog.slot_values import extract_cued_digits, extract_slot_value, match_option
from dialog.steps import PREFILL_TYPES, Run
from dialog.types import UserInput
from dialog.when import extract_datetime


def flow_collects(pack: Pack, flow_id: str, seen: set[str] | None = None) -> list[Step]:
    """The ``collect`` steps of ``flow_id`` and of the flows it calls or links to."""
    seen = seen if seen is not None else set()
    if flow_id in seen or flow_id not in pack.flows:
        return []
    seen.add(flow_id)
    steps: list[Step] = []
    for step in pack.flows[flow_id].steps:
        if step.type == "collect":
            steps.append(step)
        elif step.type in ("call", "link"):
            steps.extend(flow_collects(pack, str(step.value), seen))
    return steps


def prefill(pack: Pack, run: Run, flow_id: str, event: UserInput) -> None:
    """Fill the questions of the flow (and the flows it calls) that the words starting it
    already answer, so they are not asked again: dates, years and options ("book an
    appointment for tomorrow", "my 2024 filing status", "a queue number for cash"), and
    digits a cue word introduces ("my card ending 4417 is lost")."""
    for step in flow_collects(pack, flow_id):
        slot = pack.slots.get(str(step.value))
        if (
            slot is None
            or slot.type not in PREFILL_TYPES
            or step.spec.get("ask_before_filling")
            or run.slots.get(slot.name) is not None
        ):
            continue
        if slot.type == "choice":  # only an option named outright ("a number for cash")
            options = run.slots.get(slot.choices_from or "") or []
            value = match_option(options, event.text)
        elif slot.type == "digits":
            value = extract_cued_digits(event.text, slot.length)
        else:
            value = extract_slot_value(slot, event.text, run.slots, event.now)
        if value is not None:
            run.slots[slot.name] = value
            remember_time(run, slot, event)


def read_aloud(pack: Pack, slot: SlotDef) -> int | None:
    """How many of a ``choice`` slot's options the replies read aloud: the smallest
    ``items.max`` of a response listing ``slot.choices_from`` (None: no limit)."""
    if slot.type != "choice":
        return None
    limits = [
        int(r.items["max"])
        for r in pack.responses.values()
        if r.items and r.items.get("slot") == slot.choices_from and r.items.get("max")
    ]
    return min(limits, default=None)


def remember_time(run: Run, slot: SlotDef, event: UserInput) -> None:
    """A ``date`` slot filled from words that also name a time ("tomorrow at 3 pm", "明天下午
    三点"): keep the time for the choice question that follows
    (:attr:`dialog.steps.DialogState.said_time`)."""
    if slot.type != "date":
        return
    said = extract_datetime(event.text, event.now)
    if said and "T" in said and not said.startswith("T"):
        run.said_time = said.split("T", 1)[1]
