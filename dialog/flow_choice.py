"""A line at a flow's choice question that picks an option and asks a FAQ question beside it
("The second one, and is there parking nearby?", 第二个吧，附近有停车场吗？): the question is
answered and the option kept (dialogfix18 #3). Before, the clear question was routed as a
digression (so that an option's word inside a question, "what's the interest rate on a
savings account?" at the counter question, takes no option: newcomer15), and the option said
with it was lost: the avatar answered, then asked "which one?" again.

Decided: answer and keep the option, rather than keep the choice open and ask again: the
visitor has said what they want, and hearing the slots a second time is the failure reported.
The option must stand in a clause of its own that is no question (:func:`dialog.waiting.
is_question`): a question that holds an option's word is still only a question.
Pure, like :mod:`dialog.interpreter`, which calls :func:`option_beside_question` first at a
choice question.
"""

from __future__ import annotations

from dialog import waiting
from dialog.pack import Pack
from dialog.prefill import read_aloud, remember_time
from dialog.several_requests import all_clauses, clauses
from dialog.slot_values import extract_slot_value
from dialog.steps import Run
from dialog.templates import kb_reply
from dialog.types import UserInput


def option_beside_question(pack: Pack, run: Run, event: UserInput) -> bool:
    """Answer the line's FAQ question and fill the choice with the option named beside it.

    Args:
        pack: the domain pack (its intents, slots and ``digression_threshold``).
        run: the step's scratch state; a flow waits at a ``collect`` step.
        event: the visitor's line.

    Returns:
        ``True`` when done (the answer said, the option filled and the flow gone on);
        ``False``, nothing changed, unless the question waited for is a ``choice``, NLU
        reads the whole line surely as a knowledge-base question with an answer, and the line
        splits into clauses of which those worded as questions are at least one and the
        others name exactly one option.
    """
    frame, _, step = run.current()
    if step is None or frame.waiting != "collect":
        return False
    slot = pack.slots[str(step.value)]
    intent = pack.intents.get(event.nlu.intent or "")
    sure = event.nlu.confidence >= float(pack.setting("digression_threshold", 0.5))
    if slot.type != "choice" or intent is None or intent.kind != "kb" or event.kb is None:
        return False
    if not sure:
        return False
    parts = clauses(event.text, event.language) or all_clauses(event.text, event.language)
    asks = [part for part in parts if waiting.is_question(part)]
    picks = [part for part in parts if not waiting.is_question(part)]
    if not asks or not picks:
        return False
    limit = read_aloud(pack, slot)
    values = [extract_slot_value(slot, p, run.slots, event.now, limit) for p in picks]
    named = [v for v in values if v is not None]
    if len(named) != 1:
        return False
    run.intent = intent.name
    run.say_plan(kb_reply(event.kb, run.language))
    remember_time(run, slot, event)
    waiting.fill(pack, run, frame, step, named[0])
    return True
