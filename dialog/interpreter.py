"""The flow interpreter: ``step(state, event) -> (state, actions)``, pure: the dialog as data.

No I/O, no clock, no asyncio: connector calls come out as :class:`~dialog.types.Call` actions and
their outcome goes back in as :class:`~dialog.types.ConnectorDone` /
:class:`~dialog.types.ConnectorFailed`. The state is a frozen :class:`DialogState` holding a
stack of :class:`Frame` (the flow being run and the flows it interrupted or called).

Rules, in order, for a visitor's input:

0. an emergency or a scam in progress hands over at once (:mod:`dialog.safety`);
1. a conversation command (cancel, start over, repeat, speak slower, human) works everywhere;
2. a flow waiting at ``collect`` tries to read the slot from the text (digits, yes/no …);
   rejections are checked; a value that fits fills the slot and the flow goes on;
3. otherwise, when NLU is confident (the pack's ``digression_threshold``), a FAQ is answered and
   the flow resumes (digression), another flow's intent runs that flow on top and the
   interrupted one resumes after it, the running flow's own intent is told it is under way,
   a small-talk intent is answered;
4. otherwise the question is asked again, up to ``max_attempts``, then the visitor is handed to
   a human (or the step's ``on_max``);
5. with no flow running, the intent picks a flow, a response, or the knowledge base; no intent
   (below the NLU threshold) is out of scope and a human is offered.

A flow asked for in the same line as another (:attr:`~dialog.types.UserInput.later`) waits in
:attr:`DialogState.queued` and starts, announced in the visitor's words, when the flows end
(done, failed, or cancelled: "cancel" then cancels only the flow under way); start over, a
hand-off and a goodbye drop it. One flow runs at a time.

A gesture the camera recognised (:class:`~dialog.types.GestureInput`) is an answer only at a
yes/no question (thumbs up affirms, thumbs down denies: :data:`~dialog.types.GESTURE_ANSWERS`);
anywhere else it changes nothing.

This module routes each event; the question a flow waits at (rule 2, 4) is read in
:mod:`dialog.waiting`, the offer of a colleague and its yes/no (rule 5) in :mod:`dialog.offer`,
what the words answer beside the question asked in :mod:`dialog.prefill`.
"""

from __future__ import annotations

from dataclasses import replace

from dialog import offer, safety, waiting
from dialog.commands import declines
from dialog.entities import extract_digits
from dialog.flow_choice import option_beside_question
from dialog.pack import Pack, SlotDef
from dialog.prefill import flow_collects, prefill
from dialog.steps import SLOW_RATE, DialogState, FlowLoopError, Frame, Run, dig
from dialog.templates import kb_reply
from dialog.types import (
    GESTURE_ANSWERS,
    Action,
    AskAgain,
    ConnectorDone,
    ConnectorFailed,
    Event,
    GestureInput,
    NLUResult,
    NoInput,
    UserInput,
)

#: Connector failure codes that are the system's, not the visitor's data (a wrong code is
#: ``unauthorized``, an unknown card ``not_found``): :class:`connectors.base.ConnectorTimeout`,
#: :class:`~connectors.base.ConnectorUnavailable`, :class:`~connectors.base.BadResponse`.
SYSTEM_FAILURES = frozenset({"timeout", "unavailable", "bad_response"})

__all__ = ["DialogState", "FlowLoopError", "Frame", "Interpreter"]


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
        keep = append = False  # the replies "repeat" says again: kept / added to
        if isinstance(event, UserInput):
            run.language = event.language
            if safety.intervene(run, event.text):  # an emergency or a scam: handed over at once
                pass
            elif self._command(run, event):
                keep = event.nlu.command == "repeat"
            else:
                self._user_input(run, event)
                keep = run.repeated
        elif isinstance(event, NoInput):
            run.say("utter_no_input")
            waiting.reask(run)
        elif isinstance(event, AskAgain):
            run.language = event.language
            waiting.reask(run)
        elif isinstance(event, ConnectorDone | ConnectorFailed):
            self._connector_outcome(run, event)
            append = True
        elif isinstance(event, GestureInput):
            if not self.expects_gesture(state, event.name):
                return state, []  # a gesture that answers nothing here changes nothing
            frame, _, step = run.current()
            assert step is not None
            waiting.fill(self.pack, run, frame, step, GESTURE_ANSWERS[event.name])
        # wherever the flows ended (done, cancelled, failed), a request of the same line waiting
        # its turn starts now; with a flow still running (or after silence) this does nothing
        self._next_queued(run)
        return run.freeze(keep_replies=keep, append_replies=append), run.actions

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
        if command == "cancel" and run.stack and run.queued:
            # one request of several is cancelled: the next one waiting starts after it
            # (:meth:`_next_queued`), so no "what else can I do for you?" before it
            run.drop_flows()
            one = "utter_cancelled_one"
            run.say(one if one in self.pack.responses else "utter_cancelled")
        elif command in ("cancel", "restart"):
            run.drop_flows()
            if command == "restart":
                run.queued.clear()  # start over: nothing asked before stands
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
        if self._retry_stopped(run, event):
            return
        if waiting.question_announced(self.pack, run, event):
            return
        if run.stack and run.stack[-1].waiting == "collect":
            if option_beside_question(self.pack, run, event):
                return  # "the second one, and is there parking?": answered, option kept
            if not self._declined(run, event):
                waiting.collect_answer(self.pack, run, event, self._digression)
            return
        self._others(run, event, queue=not run.stack)
        self._route(run, event, digression=False)

    def _retry_stopped(self, run: Run, event: UserInput) -> bool:
        """Digits or a code said right after a connector failure ended a flow
        (:attr:`DialogState.stopped`: "the bank's system is not available right now"): they
        were meant for that flow's question, so the avatar says the request had stopped and
        starts it again (the pack's ``utter_retry_stopped``), its first question filled when
        the digits fit it (the card's last four digits given again: the call is tried again at
        once); other digits (a code for a verification that never started) get that first
        question. Before, the flow was gone and six code digits got "How can I help you
        today?" (dialogfix18 #1). Decided: restart rather than keep the flow at its step, as
        a code sent before the failure may never have reached the phone and the system
        stays the judge of whether it is back. ``False`` (nothing done) for a line with no
        digits, one NLU reads as another request, or with no flow just stopped."""
        stopped = run.state.stopped
        if stopped is None or run.stack or stopped not in self.pack.flows:
            return False
        if "utter_retry_stopped" not in self.pack.responses or extract_digits(event.text) is None:
            return False
        intent = self.pack.intents.get(event.nlu.intent or "")
        if intent is not None and intent.kind != "out_of_scope" and intent.target != stopped:
            return False
        run.intent = next(
            (
                i.name
                for i in self.pack.intents.values()
                if i.kind == "flow" and i.target == stopped
            ),
            None,
        )
        run.say("utter_retry_stopped")
        first = next(iter(flow_collects(self.pack, stopped)), None)
        slot = self.pack.slots.get(str(first.value)) if first is not None else None
        if slot is not None and slot.type == "digits" and run.slots.get(slot.name) is None:
            digits = extract_digits(event.text, slot.length)
            if digits is not None:
                run.slots[slot.name] = digits
        run.start_flow(stopped)
        run.retried = stopped  # its next system failure calls a colleague (_connector_outcome)
        return True

    def _others(self, run: Run, event: UserInput, *, queue: bool) -> None:
        """The line's other requests: its FAQ answers, in the order said, and (``queue``) its
        other flows, which wait their turn: one flow at a time, said so up front (before the
        first flow's question, which ends the turn). At a choice question the flow asked for
        runs on top and the waiting ones start when every flow has ended (newcomer16 #2)."""
        for answer in event.also:
            run.say_plan(kb_reply(answer, run.language))
        running = {frame.flow_id for frame in run.stack}
        later = [q for q in event.later if q.flow_id not in running] if queue else []
        if later:
            run.queued.extend(later)
            if "utter_request_queued" in self.pack.responses:
                run.say("utter_request_queued", {"request": later[0].text})

    def _declined(self, run: Run, event: UserInput) -> bool:
        """A plain no (:func:`dialog.commands.declines`: "no", "I'd rather not say", 不要,
        不想说) at a question that is no yes/no question: the visitor will not answer it, so the
        flow stops, as "cancel" would, and the avatar says it has stopped, that they may ask
        again and that a colleague at the counter can help (the pack's ``utter_declined``;
        with another request waiting, that one starts). Before, "no" at "the last four digits
        of your card" got "Sorry, I didn't get that." and the same question (newcomer16 #17).
        Decided: stop rather than offer to stop, as a clerk who hears "no" to "which card?"
        does not insist; a visitor who meant to go on asks again in one line. ``False`` at a
        yes/no question (the no is its answer) or for any other line."""
        _, _, step = run.current()
        assert step is not None  # a flow waits at its question
        if self.pack.slots[str(step.value)].type == "yes_no" or not declines(event.text):
            return False
        if run.queued or "utter_declined" not in self.pack.responses:
            return self._command(run, event, "cancel")
        run.intent = "cancel"
        run.drop_flows()
        run.say("utter_declined")
        return True

    def _digression(self, run: Run, event: UserInput) -> bool:
        """A request said at the waiting question, routed as a digression (the question is asked
        again after it); ``False`` when it gives nothing to do there."""
        return self._route(run, event, digression=True)

    def _route(self, run: Run, event: UserInput, *, digression: bool) -> bool:
        """Act on the intent; ``False`` when the intent gives nothing to do here."""
        intent = self.pack.intents.get(event.nlu.intent or "")
        if offer.declined_person(self.pack, run, event, intent, digression=digression):
            return True
        if intent is not None and intent.kind == "command":
            run.repeated = intent.target == "repeat"
            return self._command(run, event, intent.target)
        if intent is None or intent.kind == "out_of_scope":
            if digression:
                return False
            return offer.out_of_scope(self.pack, run, event)
        if not digression and offer.intent_at_offer(self.pack, run, event, intent):
            return True
        if intent.kind != "flow":
            run.intent = intent.name
        if intent.kind == "kb":
            if event.kb is not None:
                run.say_plan(kb_reply(event.kb, run.language))
            else:
                run.say("utter_kb_unknown")
        elif intent.kind == "response":
            run.say(intent.target)
            if intent.name == "goodbye" and not run.stack:
                run.ended = True
        elif intent.kind == "flow":
            if any(f.flow_id == intent.target for f in run.stack):
                return digression and self._under_way(run, intent.name)
            run.intent = intent.name
            # asked for now, it is no longer waiting its turn
            run.queued = [q for q in run.queued if q.flow_id != intent.target]
            if digression:  # a line of several requests at a choice question
                self._others(run, event, queue=True)
            prefill(self.pack, run, intent.target, event)
            run.start_flow(intent.target)
            return True
        if digression:
            waiting.reask(run, resume=True)
        return True

    def _under_way(self, run: Run, intent: str) -> bool:
        """The visitor asked, at a flow's question, for that same flow (at the taxpayer-ID
        question of the filing check: 我的退税到哪一步了): it is the topic, so the avatar says it
        is under way and why it asks (the pack's ``utter_flow_under_way``) and asks again.
        Before, it was "Sorry, I didn't get that." and the question. It still counts as a
        failed attempt: the question got no answer, and a visitor who keeps restating the
        request instead of giving it must reach ``max_attempts`` and a colleague, not loop
        (review14). ``False`` (the plain failed attempt) when the pack has no such reply."""
        if "utter_flow_under_way" not in self.pack.responses:
            return False
        run.intent = intent
        frame, _, step = run.current()
        assert step is not None  # a digression: the flow waits at its question
        waiting.failed_attempt(self.pack, run, frame, step, "utter_flow_under_way")
        return True

    def _next_queued(self, run: Run) -> None:
        """The flows have ended (done, cancelled, failed) and another request of the same line
        waits (:attr:`DialogState.queued`): say that it comes now, in the visitor's words
        (the pack's ``utter_next_request``), and start it, its questions prefilled from those
        words. Nothing while a flow runs, after a goodbye, or with nothing waiting."""
        while not run.stack and run.queued and not run.ended:
            later = run.queued.pop(0)
            if later.flow_id not in self.pack.flows:
                continue
            if "utter_next_request" in self.pack.responses:
                run.say("utter_next_request", {"request": later.text})
            said = UserInput(later.text, run.language, NLUResult(later.intent), None, later.now)
            prefill(self.pack, run, later.flow_id, said)
            run.start_flow(later.flow_id)

    def _connector_outcome(self, run: Run, event: ConnectorDone | ConnectorFailed) -> None:
        """A connector call's result: its values into the slots and the flow goes on; or its
        failure, to the step's ``on_error`` branch, else the apology for its code
        (``utter_error_<code>``) and the flow stops (:attr:`DialogState.stopped`: digits said
        next start it again, :meth:`_retry_stopped`). The system's failure
        (:data:`SYSTEM_FAILURES`) a second time in a row, in the request the visitor's digits
        started again (:attr:`DialogState.retried`, set by :meth:`_retry_stopped`), calls a
        colleague instead (:meth:`~dialog.steps.Run.handoff`: the pack's ``utter_handoff``, or
        ``utter_handoff_pending`` when one is on the way): the retry after a failure called the
        system again at once, and while it was still down the visitor heard the same apology
        twice. Decided: the colleague is called, not offered with a question, as the visitor
        had already tried again and the apology itself says "or ask for a colleague". Another
        request failing once, later (an FAQ or minutes between), gets the apology like the
        first: it had never failed, and the visitor had not tried again (review19 F6: any
        later failure before a call succeeded called a colleague at once)."""
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
        retried = run.retried is not None and run.stack[0].flow_id == run.retried
        failed_before = retried and run.last_error in SYSTEM_FAILURES
        run.last_error = event.code
        on_error = step.spec.get("on_error") or {}
        target = on_error.get(event.code, on_error.get("default"))
        if target is not None:
            run.goto(str(target))
            run.proceed()
            return
        if failed_before and event.code in SYSTEM_FAILURES:
            run.handoff("system_failed_twice")
            return
        name = f"utter_error_{event.code}"
        run.say(name if name in self.pack.responses else "utter_error_default")
        run.stopped = run.stack[0].flow_id  # digits said next start it again
        run.drop_flows()
