"""What the visitor's words answer beside the question asked: the questions of a flow that
the words starting it already answer (:func:`prefill`), a time said with a day that picks the
option at that time later (:func:`remember_time`), and how many options a question read aloud
(:func:`read_aloud`, for "the last one"). Pure functions of the pack and the run, used by
:class:`dialog.interpreter.Interpreter`."""

from __future__ import annotations

import re

from dialog.pack import Pack, SlotDef, Step
from dialog.slot_values import extract_cued_digits, extract_slot_value, match_option
from dialog.steps import PREFILL_TYPES, Run
from dialog.types import UserInput
from dialog.when import extract_datetime

#: A line that starts a free-text flow fills its text question when it holds at least this
#: many words (English; letters and digits) or character bigrams (Chinese) that none of the
#: flow's intent examples use: a description, not only the request or its topic ("I'd like to
#: complain about the queue", 我要投诉这个柜员 are still asked what happened).
DESCRIBES_MIN = {"en": 3, "zh": 6}
_WORDS = re.compile(r"[a-z0-9']+|[\u3400-\u9fff]+")


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
    appointment for tomorrow", "my 2024 filing status", "a queue number for cash"), digits a
    cue word introduces ("my card ending 4417 is lost"), and a free-text question (the
    complaint's "what happened") when the line describes more than the request
    (:func:`describes`: 我要投诉你们大堂经理，他态度很差，让我等了一个小时 was asked what
    happened, newcomer14)."""
    for step in flow_collects(pack, flow_id):
        slot = pack.slots.get(str(step.value))
        if (
            slot is None
            or (slot.type not in PREFILL_TYPES and slot.type != "text")
            or step.spec.get("ask_before_filling")
            or run.slots.get(slot.name) is not None
        ):
            continue
        if slot.type == "text":  # the visitor's own words, when the line says more than asking
            value = event.text.strip() if describes(pack, flow_id, event) else None
        elif slot.type == "choice":  # only an option named outright ("a number for cash")
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


def describes(pack: Pack, flow_id: str, event: UserInput) -> bool:
    """Whether the line that starts ``flow_id`` describes more than the request: it has at
    least :data:`DESCRIBES_MIN` words (English) or character bigrams (Chinese; other languages
    by the English count) that no example of an intent starting the flow uses, in any language.
    Topic words the examples already name ("queue", 柜员) count as the request."""
    known = {
        token
        for intent in pack.intents.values()
        if intent.kind == "flow" and intent.target == flow_id
        for lines in intent.examples.values()
        for line in lines
        for token in _tokens(line)
    }
    new = [t for t in _tokens(event.text) if t not in known]
    return len(new) >= DESCRIBES_MIN.get(event.language, DESCRIBES_MIN["en"])


def _tokens(text: str) -> list[str]:
    """English words, and the character bigrams of each Chinese run (a run of one character
    is its own token): Chinese is written without spaces, and single characters are too
    common to tell a description from the request."""
    tokens: list[str] = []
    for run in _WORDS.findall(text.lower()):
        if run.isascii() or len(run) == 1:
            tokens.append(run)
        else:
            tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
    return tokens
