"""The question a flow waits at (its ``collect`` step): reading the visitor's answer into the
slot, the step's rejections, a failed attempt (the question again, up to ``max_attempts``,
then ``on_max`` or a human), asking it again after a digression or silence, and leave-taking
at it, and a line that only announces a question (:func:`question_announced`). Pure functions
of the pack and the run, used by
:class:`dialog.interpreter.Interpreter`; routing a request said instead of an answer stays
there (passed in as ``route``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import replace

from dialog.commands import announces_a_question, asks_what_next
from dialog.conditions import evaluate
from dialog.farewell import is_goodbye
from dialog.offer import HANDOFF_ANSWERS, OUT_OF_SCOPE
from dialog.pack import Pack, Step
from dialog.prefill import read_aloud, remember_time
from dialog.slot_values import extract_slot_value
from dialog.steps import Frame, Run
from dialog.types import UserInput

#: Routes a request said at the question as a digression; ``False`` when it gives nothing to
#: do there (:meth:`dialog.interpreter.Interpreter.route_digression`).
Route = Callable[[Run, UserInput], bool]

_QUESTION_EN = re.compile(
    r"^\s*(how|what|when|where|why|who|which|can|could|do|does|did|is|are|will|would|should|may)\b",
    re.IGNORECASE,
)
#: A letter or a CJK character: a line without one is no request of its own.
_WORD = re.compile(r"[^\W\d_]")
_QUESTION_ZH = re.compile(r"吗|么|呢|怎么|怎样|如何|什么|哪|几|多少|多久|是否|能否|可不可以|能不能")


def is_question(text: str) -> bool:
    """Whether ``text`` is worded as a question: a question mark, an English question word or
    auxiliary first, or a Chinese question word or particle."""
    t = text.strip()
    return t.endswith(("?", "？")) or bool(_QUESTION_EN.match(t) or _QUESTION_ZH.search(t))


def collect_answer(pack: Pack, run: Run, event: UserInput, route: Route) -> None:
    """The visitor's line at the waiting question: a value that fits fills the slot (and the
    flow goes on); a clear request is routed as a digression (the question is asked again
    after it); a goodbye ends the visit; anything else is a failed attempt."""
    frame, _, step = run.current()
    assert step is not None
    slot = pack.slots[str(step.value)]
    sure = event.nlu.confidence >= float(pack.setting("digression_threshold", 0.5))
    # At a free-text prompt any words fit, and at a choice an option's word may sit inside a
    # question ("what's the interest rate on a savings account?" at the counter question took
    # accounts, newcomer15): a clear question or command is answered or obeyed first, then
    # the question is asked again.
    if asks_what_next(event.text):
        # 怎么办？ after 我的银行卡丢了 (a comma's pause ended the turn) asks what the question
        # wants: the question again, no "didn't get that" and no failed attempt (newcomer17)
        reask(run)
        return
    asked_instead = slot.type in ("text", "choice") and sure and clear_request(pack, event)
    if asked_instead and route(run, event):
        return
    # At a choice an option's word may sit inside another flow's request: "What is my
    # balance and I also lost my card" at the counter question took cards (newcomer16 #2).
    if slot.type == "choice" and other_flow_asked(pack, run, event, sure) and route(run, event):
        return
    value = extract_slot_value(slot, event.text, run.slots, event.now, read_aloud(pack, slot))
    if value is None and asks_about_the_question(step, event, sure and clear_request(pack, event)):
        # "I didn't get the code" at the code question: where the code went, and the question
        # again; not a FAQ about some other code (SWIFT), nor a failed attempt (newcomer14)
        run.helped = slot.name
        run.say(str(step.spec["help"]["utter"]))
        reask(run)
        return
    if value is None and is_goodbye(event.text):
        leave(pack, run)
        return
    if value is None:
        # a wordless line (digits, an emoji) is no new request: "2024" at a yes/no question
        # started the filing-status flow over a complaint waiting to be confirmed; nor is a
        # bare yes or no at a question it does not answer (it got "How can I help you
        # today?" and "back to where we were" in one breath)
        answer_word = event.nlu.intent in HANDOFF_ANSWERS
        asked = sure or running_flow_asked(pack, run, event)
        # a choice's line that names no option and that NLU reads as another flow, even below
        # the threshold, is that request, as it is with no question pending: 我要投诉你们大堂经理，
        # 他态度很差，让我等了一个小时 (complaint at 0.38) at the queue number's choice got
        # "抱歉，我没有听懂。" while the English line, read above 0.5, started the complaint
        asked = asked or (slot.type == "choice" and _other_flow(pack, run, event))
        if asked and not answer_word and _WORD.search(event.text) and route(run, event):
            return
        run.unanswered = slot.name
        failed_attempt(pack, run, frame, step, "utter_reprompt")
        return
    remember_time(run, slot, event)
    fill(pack, run, frame, step, value)


def running_flow_asked(pack: Pack, run: Run, event: UserInput) -> bool:
    """Whether the line's intent, even below the digression threshold, is a flow already
    running: at the filing check's taxpayer-ID question 我的退税到哪一步了 read as the filing
    check at 0.50. Routing it starts nothing (the flow is told it is under way and the
    question asked again), so a doubtful reading costs nothing there; read as no answer it
    was "Sorry, I didn't get that." and a failed attempt."""
    intent = pack.intents.get(event.nlu.intent or "")
    return (
        intent is not None
        and intent.kind == "flow"
        and any(frame.flow_id == intent.target for frame in run.stack)
    )


def _other_flow(pack: Pack, run: Run, event: UserInput) -> bool:
    """Whether NLU reads the line (at any confidence it reports) as a flow not running."""
    intent = pack.intents.get(event.nlu.intent or "")
    if intent is None or intent.kind != "flow":
        return False
    return not any(frame.flow_id == intent.target for frame in run.stack)


def other_flow_asked(pack: Pack, run: Run, event: UserInput, sure: bool) -> bool:
    """Whether the line at a choice question asks for another flow rather than naming an
    option: NLU reads it as a flow that is not running, surely (at least the pack's
    ``digression_threshold``) or, below it, in a line worded as a question (a choice is
    answered with an option, not a question: "What is my balance and I also lost my card" was
    read as the balance check at 0.45 and took the cards counter from "card", newcomer16 #2).
    A line of an option's words alone (its name or a synonym: "cards", "银行卡") is its answer
    whatever it is read as. Routed as a digression, the flow runs and the question is asked
    again after it."""
    intent = pack.intents.get(event.nlu.intent or "")
    if intent is None or intent.kind != "flow":
        return False
    if any(frame.flow_id == intent.target for frame in run.stack):
        return False
    if _option_words_only(pack, run, event.text):
        return False
    return sure or is_question(event.text)


def _option_words_only(pack: Pack, run: Run, text: str) -> bool:
    """Whether ``text`` (trimmed, lower case, end punctuation dropped) is one of the waiting
    choice's options as written: one of its strings (``en``/``zh`` name, ``kind``) or
    ``synonyms``."""
    _, _, step = run.current()
    assert step is not None
    slot = pack.slots[str(step.value)]
    said = text.strip().strip("?？!！.。,，").strip().lower()
    for option in run.slots.get(slot.choices_from or "") or []:
        words = [option] if isinstance(option, str) else []
        if isinstance(option, dict):
            words = [v for v in option.values() if isinstance(v, str)]
            words += [w for w in option.get("synonyms") or () if isinstance(w, str)]
        if said in (w.lower() for w in words):
            return True
    return False


def asks_about_the_question(step: Step, event: UserInput, clear_question: bool = False) -> bool:
    """Whether the line is about what the waiting question asks for rather than an answer: it
    holds one of the step's help words in the line's language, ``help.words`` or
    ``help.lacking`` (case-insensitive; English words as whole words). "what is the code?" and
    "I didn't get the code" at the code question got the SWIFT-code and unrecognised-payment
    FAQ answers (newcomer14).

    With ``clear_question`` (the line is also a clear question the knowledge base answers) the
    line must hold one of ``help.words``, which name what is asked for ("card number", 后四位,
    "code"): the pack's ``help.lacking`` words only say that the visitor lacks something ("I
    don't know", "without", 没带) and are then part of that question: "I don't know, what time
    do you close?" at the card question is the closing-time question (review17)."""
    help_ = step.spec.get("help")
    if not help_:
        return False
    text = event.text.lower()
    if _holds_one(text, help_["words"].get(event.language) or ()):
        return True
    if clear_question:
        return False
    return _holds_one(text, (help_.get("lacking") or {}).get(event.language) or ())


def _holds_one(text: str, words: Iterable[str]) -> bool:
    """Whether lower-case ``text`` holds one of ``words`` (case-insensitive): an ASCII word as a
    whole word (``\\b`` either side), any other as a substring (Chinese has no spaces)."""
    return any(
        re.search(rf"\b{re.escape(w.lower())}\b", text) if w.isascii() else w in text for w in words
    )


def clear_request(pack: Pack, event: UserInput) -> bool:
    """Whether ``event`` is plainly a request of its own rather than an answer: a
    conversation command, or a question the knowledge base answers."""
    intent = pack.intents.get(event.nlu.intent or "")
    if intent is None:
        return False
    if intent.kind == "command":
        return True
    return intent.kind == "kb" and event.kb is not None and is_question(event.text)


def fill(pack: Pack, run: Run, frame: Frame, step: Step, value: object) -> None:
    """The waiting ``collect`` got ``value``: check its rejections, fill it, go on."""
    slot = pack.slots[str(step.value)]
    run.slot = slot.name
    for rejection in step.spec.get("rejections") or []:
        if evaluate(str(rejection["if"]), run.names(value=value)):
            failed_attempt(pack, run, frame, step, str(rejection["utter"]))
            return
    run.slots[slot.name] = value
    run.stack[-1] = Frame(frame.flow_id, frame.step)
    run.advance()
    run.proceed()


def failed_attempt(pack: Pack, run: Run, frame: Frame, step: Step, utter: str) -> None:
    """No fitting answer: say ``utter`` and the question again, or after ``max_attempts``
    (the step's, else the pack's, else 3) go to the step's ``on_max`` or hand off."""
    attempts = frame.attempts + 1
    limit = int(step.spec.get("max_attempts", pack.setting("max_attempts", 3)))
    if attempts >= limit:
        on_max = step.spec.get("on_max")
        if on_max is None:
            run.handoff("max_attempts")
            return
        run.stack[-1] = Frame(frame.flow_id, frame.step)
        run.goto(str(on_max))
        run.proceed()
        return
    run.stack[-1] = replace(frame, attempts=attempts)
    run.say(utter)
    run.say(str(step.spec["utter"]))


def reask(run: Run, *, resume: bool = False) -> None:
    """Ask the waiting question again (after a digression, ``resume``: "back to where we
    were", or no input); nothing when no flow waits at a question."""
    if run.stack and run.stack[-1].waiting == "collect":
        if resume:
            run.say("utter_resume")
        _, _, step = run.current()
        assert step is not None
        run.say(str(step.spec["utter"]))


def leave(pack: Pack, run: Run) -> None:
    """The visitor took leave at a flow's question: the flow ends (its slots forgotten), the
    avatar says goodbye and the conversation is over."""
    run.drop_flows()
    run.queued.clear()  # the visitor is leaving: nothing waits for them
    run.intent = "goodbye"
    goodbye = pack.intents.get("goodbye")
    run.say(
        goodbye.target if goodbye is not None and goodbye.kind == "response" else "utter_cancelled"
    )
    run.ended = True


def question_announced(pack: Pack, run: Run, event: UserInput) -> bool:
    """A line that only announces a question ("I have a question", "can I ask you something",
    我想问, 请问; :func:`dialog.commands.announces_a_question`), read before the classifier's
    reading: it asks for nothing yet. Outside a flow it gets "How can I help you today?"
    (``utter_how_can_i_help``) and no offer of a colleague; at a flow's waiting question it
    gets "Of course, go ahead." (``utter_go_ahead``) and the question keeps waiting: it is
    neither the slot's value (a free-text prompt took "can I ask you something" as the
    complaint) nor a failed attempt. Reported as out of scope (no intent of the pack).

    Returns:
        ``True`` when the line was such an announcement and was answered (at a question, by
        the question again when the pack has no ``utter_go_ahead``: the line is never the
        slot's value); ``False`` otherwise, or outside a flow in a pack without
        ``utter_how_can_i_help``.

    The tax pack's classifier read "I have a question" as the home-ownership FAQ ("have")
    and "I would like to ask something" as the suggestion flow; the check only ran after an
    out-of-scope reading (newcomer13 #5, lead14)."""
    if not announces_a_question(event.text):
        return False
    at_question = bool(run.stack) and run.stack[-1].waiting == "collect"
    response = "utter_go_ahead" if at_question else "utter_how_can_i_help"
    if response not in pack.responses and not at_question:
        return False
    run.intent = OUT_OF_SCOPE
    if response in pack.responses:
        run.say(response)
    else:  # a pack without "go ahead": the question again, never the line as its answer
        reask(run)
    return True
