"""The flow interpreter: ``step(state, event) -> (state, actions)``, pure: the dialog as data.

No I/O, no clock, no asyncio: connector calls come out as :class:`~dialog.types.Call` actions and
their outcome goes back in as :class:`~dialog.types.ConnectorDone` /
:class:`~dialog.types.ConnectorFailed`. The state is a frozen :class:`DialogState` holding a
stack of :class:`Frame` (the flow being run and the flows it interrupted or called).

Rules, in order, for a visitor's input:

1. a conversation command (cancel, start over, repeat, speak slower, human) works everywhere;
2. a flow waiting at ``collect`` tries to read the slot from the text (digits, yes/no …);
   rejections are checked; a value that fits fills the slot and the flow goes on;
3. otherwise, when NLU is confident (the pack's ``digression_threshold``), a FAQ is answered and
   the flow resumes (digression), another flow's intent runs that flow on top and the
   interrupted one resumes after it, a small-talk intent is answered;
4. otherwise the question is asked again, up to ``max_attempts``, then the visitor is handed to
   a human (or the step's ``on_max``);
5. with no flow running, the intent picks a flow, a response, or the knowledge base; no intent
   (below the NLU threshold) is out of scope and a human is offered.

A gesture the camera recognised (:class:`~dialog.types.GestureInput`) is an answer only at a
yes/no question (thumbs up affirms, thumbs down denies: :data:`~dialog.types.GESTURE_ANSWERS`);
anywhere else it changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import replace

from dialog.commands import declines_a_person, is_goodbye
from dialog.conditions import evaluate
from dialog.entities import extract_yes_no
from dialog.pack import Pack, SlotDef, Step
from dialog.prefill import prefill, read_aloud, remember_time
from dialog.slot_values import extract_slot_value
from dialog.steps import SLOW_RATE, DialogState, FlowLoopError, Frame, Run, dig
from dialog.types import (
    GESTURE_ANSWERS,
    Action,
    AskAgain,
    ConnectorDone,
    ConnectorFailed,
    Event,
    GestureInput,
    KBAnswer,
    NoInput,
    ReplyPlan,
    UserInput,
)

__all__ = ["DialogState", "FlowLoopError", "Frame", "Interpreter"]

#: The packs' yes/no intents, as answers to the out-of-scope reply's "shall I call a
#: colleague?" (``utter_out_of_scope``): yes hands off, no is the intent's own response.
HANDOFF_ANSWERS = {"affirm": True, "deny": False}

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


def key_line(text: str) -> str:
    """The first sentence of an answer (its key line), for the screen."""
    match = re.match(r"(.+?[.!?。！？])(\s|$)", text.strip())
    return match.group(1) if match else text.strip()


def faq_card(answer: KBAnswer, language: str) -> dict[str, str]:
    """The screen card of a knowledge-base answer: the section heading, the answer's key line and
    the whole answer, and a source a visitor can read ("Harbour Bank branch FAQ · Opening
    hours"); never the file name (``ReplyPlan.source`` keeps that for ``dhe chat --why``)."""
    sep = " · "
    return {
        "kind": "faq",
        "title": answer.heading,
        "key_line": key_line(answer.text),
        "text": answer.text,
        "source": f"{answer.title}{sep}{answer.heading}" if answer.title else answer.heading,
        "language": language,
    }


class Interpreter:
    """Runs a pack's flows. Holds only the (immutable) pack; all session data is in the state."""

    def __init__(self, pack: Pack) -> None:
        """Args:
        pack: the loaded, validated domain pack.
        """
        self.pack = pack

    def initial_state(self, language: str = "en") -> DialogState:
        """A fresh session's state: slots at their initial values, no flow running."""
        slots = {name: slot.initial for name, slot in self.pack.slots.items()}
        return DialogState(language=language, slots=slots)

    def step(self, state: DialogState, event: Event) -> tuple[DialogState, list[Action]]:
        """Handle one event.

        Args:
            state: the session's state.
            event: the visitor's input, a connector outcome, or no input.

        Returns:
            ``(new_state, actions)``; actions are :class:`Say`, :class:`Call`, :class:`Handoff`.

        Raises:
            FlowLoopError: a flow never waits (a pack bug the validator could not see).
        """
        run = Run(self.pack, state)
        if isinstance(event, UserInput):
            run.language = event.language
            if self._command(run, event):
                return run.freeze(keep_replies=event.nlu.command == "repeat"), run.actions
            self._user_input(run, event)
            if run.repeated:
                return run.freeze(keep_replies=True), run.actions
        elif isinstance(event, NoInput):
            run.say("utter_no_input")
            self._reask(run)
        elif isinstance(event, AskAgain):
            run.language = event.language
            self._reask(run)
        elif isinstance(event, ConnectorDone | ConnectorFailed):
            self._connector_outcome(run, event)
            return run.freeze(append_replies=True), run.actions
        elif isinstance(event, GestureInput):
            if not self.expects_gesture(state, event.name):
                return state, []  # a gesture that answers nothing here changes nothing
            frame, _, step = run.current()
            assert step is not None
            self._fill(run, frame, step, GESTURE_ANSWERS[event.name])
        return run.freeze(), run.actions

    def waiting_slot(self, state: DialogState) -> SlotDef | None:
        """The slot of the question a flow waits at (its ``collect`` step), or ``None`` when no
        flow waits for an answer."""
        if not state.stack or state.stack[-1].waiting != "collect":
            return None
        frame = state.stack[-1]
        step = self.pack.flows[frame.flow_id].steps[frame.step]
        return self.pack.slots[str(step.value)]

    def expects_gesture(self, state: DialogState, name: str) -> bool:
        """Whether gesture ``name`` answers the question the session waits at: a thumbs up or
        down at a ``collect`` of a ``yes_no`` slot (a confirmation step)."""
        slot = self.waiting_slot(state)
        return name in GESTURE_ANSWERS and slot is not None and slot.type == "yes_no"

    # -- the rules
    def _command(self, run: Run, event: UserInput, command: str | None = None) -> bool:
        """Run a conversation command: one matched by rule (``nlu.command``), or ``command``
        (an intent the classifier chose, tried only after the waiting slot found no value)."""
        command = command or event.nlu.command
        if command is None:
            return False
        run.intent = command
        if command in ("cancel", "restart"):
            run.drop_flows()
            run.say("utter_cancelled" if command == "cancel" else "utter_restarted")
        elif command == "repeat":
            if not run.state.last_replies:
                run.say("utter_nothing_to_repeat")
            for plan in run.state.last_replies:
                run.say_plan(replace(plan, language=plan.language))
        elif command == "slower":
            run.rate = SLOW_RATE
            run.say("utter_slower")
            for plan in run.state.last_replies:
                run.say_plan(plan)
        elif command == "human":
            run.handoff("visitor_asked")
        return True

    def _user_input(self, run: Run, event: UserInput) -> None:
        if run.stack and run.stack[-1].waiting == "collect":
            self._collect_answer(run, event)
            return
        self._route(run, event, digression=False)

    def _route(self, run: Run, event: UserInput, *, digression: bool) -> bool:
        """Act on the intent; ``False`` when the intent gives nothing to do here."""
        intent = self.pack.intents.get(event.nlu.intent or "")
        unsure = intent is None or intent.kind == "out_of_scope"
        asks_person = intent is not None and intent.kind == "command" and intent.target == "human"
        deny = self.pack.intents.get("deny")
        if (
            (asks_person or (unsure and not digression))
            and declines_a_person(event.text)
            and deny is not None
            and deny.kind == "response"
        ):
            # "I don't want a person", read as the request for one or as nothing: a no, not
            # a handoff nor the offer of one (newcomer11)
            run.intent = deny.name
            run.say(deny.target)  # "how can I help?"
            return True
        if intent is not None and intent.kind == "command":
            run.repeated = intent.target == "repeat"
            return self._command(run, event, intent.target)
        if intent is None or intent.kind == "out_of_scope":
            if digression:
                return False
            said = self._offer_answered(run, event)
            if said is not None:
                # a yes or no the classifier did not know: 需要, the answer to the offer's
                # 需要我为您呼叫工作人员吗, was out of scope and the offer was made again
                return self._answer_offer(run, said)
            if run.handed_off and "utter_handoff_pending" in self.pack.responses:
                # a colleague is already on the way: no second offer to call one (newcomer11)
                run.say("utter_handoff_pending")
                return True
            run.say("utter_out_of_scope")
            run.offered_handoff = True  # it ends "shall I call a colleague?"
            return True
        if run.state.offered_handoff and intent.name in HANDOFF_ANSWERS and not digression:
            said = self._offer_answered(run, event)
            if said is None:
                # the classifier's guess at a garbled line (似是一起: 四四一七 misheard) is no
                # answer: a yes or no needs the word itself; the offer is made again
                run.say("utter_out_of_scope")
                run.offered_handoff = True
                return True
            # the words decide when the classifier reads the other answer (需要 was a deny,
            # 0.29, beside its examples' 不需要)
            return self._answer_offer(run, said)
        if intent.kind == "response" and not digression and self._offer_answered(run, event):
            # approval the classifier read as another reply: "that would be great" was goodbye
            # and ended the visit (review12); a yes in the words answers the offer
            return self._answer_offer(run, True)
        if intent.kind != "flow":
            run.intent = intent.name
        if intent.kind == "kb":
            if event.kb is not None:
                run.say_plan(
                    ReplyPlan(
                        event.kb.text,
                        run.language,
                        card=faq_card(event.kb, run.language),
                        source=event.kb.source,
                    )
                )
            else:
                run.say("utter_kb_unknown")
        elif intent.kind == "response":
            run.say(intent.target)
            if intent.name == "goodbye" and not run.stack:
                run.ended = True
        elif intent.kind == "flow":
            if any(f.flow_id == intent.target for f in run.stack):
                return False
            run.intent = intent.name
            prefill(self.pack, run, intent.target, event)
            run.start_flow(intent.target)
            return True
        if digression:
            self._reask(run, resume=True)
        return True

    def _offer_answered(self, run: Run, event: UserInput) -> bool | None:
        """The visitor's yes (True) or no (False) to a pending offer of a colleague, read from
        the words (:func:`dialog.entities.extract_yes_no`); None when no offer is pending, the
        words say neither, or the pack has no intent for that answer (``affirm`` / ``deny``)."""
        if not run.state.offered_handoff:
            return None
        said = extract_yes_no(event.text)
        if said is None or ("affirm" if said else "deny") not in self.pack.intents:
            return None
        return said

    def _answer_offer(self, run: Run, yes: bool) -> bool:
        """The visitor's yes (a colleague is called) or no ("how can I help?", the ``deny``
        intent's response) to the offer of a colleague; the pack has both intents."""
        intent = self.pack.intents["affirm" if yes else "deny"]
        run.intent = intent.name
        if yes:
            run.handoff("visitor_accepted")
        else:
            run.say(intent.target)  # "how can I help?"
        return True

    def _reask(self, run: Run, *, resume: bool = False) -> None:
        """Ask the waiting question again (after a digression or no input)."""
        if run.stack and run.stack[-1].waiting == "collect":
            if resume:
                run.say("utter_resume")
            _, _, step = run.current()
            assert step is not None
            run.say(str(step.spec["utter"]))

    def _collect_answer(self, run: Run, event: UserInput) -> None:
        frame, _, step = run.current()
        assert step is not None
        slot = self.pack.slots[str(step.value)]
        sure = event.nlu.confidence >= float(self.pack.setting("digression_threshold", 0.5))
        # At a free-text prompt any words fit; a clear question or command is still answered
        # or obeyed first, then the prompt is repeated.
        free_text = slot.type == "text" and sure and self._clear_request(event)
        if free_text and self._route(run, event, digression=True):
            return
        value = extract_slot_value(
            slot, event.text, run.slots, event.now, read_aloud(self.pack, slot)
        )
        if value is None and is_goodbye(event.text):
            self._leave(run)
            return
        if value is None:
            # a wordless line (digits, an emoji) is no new request: "2024" at a yes/no question
            # started the filing-status flow over a complaint waiting to be confirmed; nor is a
            # bare yes or no at a question it does not answer (it got "How can I help you
            # today?" and "back to where we were" in one breath)
            answer_word = event.nlu.intent in HANDOFF_ANSWERS
            if (
                sure
                and not answer_word
                and _WORD.search(event.text)
                and self._route(run, event, digression=True)
            ):
                return
            run.unanswered = slot.name
            self._failed_attempt(run, frame, step, "utter_reprompt")
            return
        remember_time(run, slot, event)
        self._fill(run, frame, step, value)

    def _leave(self, run: Run) -> None:
        """The visitor took leave at a flow's question: the flow ends (its slots forgotten), the
        avatar says goodbye and the conversation is over."""
        run.drop_flows()
        run.intent = "goodbye"
        goodbye = self.pack.intents.get("goodbye")
        run.say(
            goodbye.target
            if goodbye is not None and goodbye.kind == "response"
            else "utter_cancelled"
        )
        run.ended = True

    def _fill(self, run: Run, frame: Frame, step: Step, value: object) -> None:
        """The waiting ``collect`` got ``value``: check its rejections, fill it, go on."""
        slot = self.pack.slots[str(step.value)]
        run.slot = slot.name
        for rejection in step.spec.get("rejections") or []:
            if evaluate(str(rejection["if"]), run.names(value=value)):
                self._failed_attempt(run, frame, step, str(rejection["utter"]))
                return
        run.slots[slot.name] = value
        run.stack[-1] = Frame(frame.flow_id, frame.step)
        run.advance()
        run.proceed()

    def _clear_request(self, event: UserInput) -> bool:
        """Whether ``event`` is plainly a request of its own rather than an answer: a
        conversation command, or a question the knowledge base answers."""
        intent = self.pack.intents.get(event.nlu.intent or "")
        if intent is None:
            return False
        if intent.kind == "command":
            return True
        return intent.kind == "kb" and event.kb is not None and is_question(event.text)

    def _failed_attempt(self, run: Run, frame: Frame, step: Step, utter: str) -> None:
        attempts = frame.attempts + 1
        limit = int(step.spec.get("max_attempts", self.pack.setting("max_attempts", 3)))
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

    def _connector_outcome(self, run: Run, event: ConnectorDone | ConnectorFailed) -> None:
        if not run.stack or run.stack[-1].waiting != "action":
            return  # a late result for a flow that was cancelled
        frame, _, step = run.current()
        assert step is not None
        run.stack[-1] = Frame(frame.flow_id, frame.step)
        if isinstance(event, ConnectorDone):
            run.last_error = None
            for slot, path in (step.spec.get("result") or {}).items():
                run.slots[slot] = dig(event.data, str(path))
            run.advance()
            run.proceed()
            return
        run.last_error = event.code
        on_error = step.spec.get("on_error") or {}
        target = on_error.get(event.code, on_error.get("default"))
        if target is not None:
            run.goto(str(target))
            run.proceed()
            return
        name = f"utter_error_{event.code}"
        run.say(name if name in self.pack.responses else "utter_error_default")
        run.drop_flows()
