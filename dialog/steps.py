"""Running flow steps: the session state (:class:`DialogState`, :class:`Frame`) and the per-event
scratch space (:class:`Run`) that executes ``say``, ``set_slots``, ``collect``, ``action``,
``link``, ``call``, ``handoff`` and ``noop`` steps and follows ``next``. Pure: no I/O, no clock.
Used by :mod:`dialog.interpreter`, which decides *what* to do with each event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from dialog.conditions import evaluate
from dialog.pack import Flow, Pack, Step
from dialog.read_back import read_back_language
from dialog.slot_values import extract_slot_value, has_times
from dialog.templates import fill, lookup, render
from dialog.types import Action, Call, Handoff, LaterRequest, ReplyPlan, Say

MAX_STEPS_PER_EVENT = 200
SLOW_RATE = 0.8
#: Slot types read from the utterance that starts a flow (digits only after a cue word).
PREFILL_TYPES = frozenset({"year", "date", "choice", "digits"})


class FlowLoopError(RuntimeError):
    """A flow ran :data:`MAX_STEPS_PER_EVENT` steps without waiting for the visitor."""


@dataclass(frozen=True, slots=True)
class Frame:
    """A running flow.

    Attributes:
        flow_id: the flow.
        step: index of the current step.
        attempts: failed tries at the current ``collect``.
        waiting: ``"collect"`` (for the visitor), ``"action"`` (for a connector result),
            ``"call"`` (for a child flow) or ``None``.
    """

    flow_id: str
    step: int = 0
    attempts: int = 0
    waiting: str | None = None


@dataclass(frozen=True, slots=True)
class DialogState:
    """Everything the interpreter knows about one session.

    Attributes:
        language: the reply language.
        slots: slot values.
        stack: running flows, innermost last.
        last_replies: the replies of the last turn (for "repeat that").
        speaking_rate: TTS rate multiplier.
        seq: number of events handled (makes idempotency keys unique per turn).
        last_error: the code of the last connector failure, for ``next`` conditions.
        ended: the visitor said goodbye.
        intent: the intent (or command) the last input was acted on as; ``None`` when it
            answered a question (a slot value); ``"out_of_scope"`` when nothing answered it.
        slot: the slot the last input was read as an answer for, else ``None``.
        unanswered: the slot the waiting question asked for when the last input held no value
            for it (it was asked again), else ``None``.
        helped: the slot whose question the last input asked about ("what is the code?"): the
            question's help was said and the question asked again, else ``None``.
        offered_handoff: the last reply asked whether to call a colleague (the out-of-scope
            reply): a yes to it hands off, a no is "how can I help?".
        handed_off: a colleague was called in this session: what is out of scope is answered
            with "a colleague is on the way" (``utter_handoff_pending``), not the offer of one.
        said_time: a time of day (``HH:MM``) said with a day that filled a ``date`` slot
            ("tomorrow at 3 pm"): the next ``choice`` question among options with times
            (free slots) takes the one option at that time without being asked (it asked
            "which one?" after "tomorrow at 3 pm"); other questions leave it, a question
            marked ``ask_before_filling`` is always asked, and it is forgotten when the flows
            end.
        queued: flows asked for in the same line as the running one, waiting their turn
            (:class:`~dialog.types.LaterRequest`): the next starts when the flows end (done,
            cancelled or failed); a restart, a hand-off or a goodbye drops them, and so does
            the session's end with the rest of its memory.
        stopped: the flow a connector failure with no handler just ended (the system was
            not available): the next line, when it only gives digits or a code, starts it
            again (:meth:`dialog.interpreter.Interpreter.step`); any other event forgets it.
        retried: the flow those digits started again, while it runs: the system's failure a
            second time in it calls a colleague (a failure in another request, later, is
            apologised for like the first, review19 F6); ``None`` once that flow has ended.
    """

    language: str = "en"
    slots: Mapping[str, Any] = field(default_factory=dict)
    stack: tuple[Frame, ...] = ()
    last_replies: tuple[ReplyPlan, ...] = ()
    speaking_rate: float = 1.0
    seq: int = 0
    last_error: str | None = None
    ended: bool = False
    intent: str | None = None
    slot: str | None = None
    unanswered: str | None = None
    helped: str | None = None
    offered_handoff: bool = False
    handed_off: bool = False
    said_time: str | None = None
    queued: tuple[LaterRequest, ...] = ()
    stopped: str | None = None
    retried: str | None = None


class Run:
    """Mutable scratch space for one ``step`` call; turned back into a frozen state by
    :meth:`freeze`. Never outlives the call, so the interpreter stays pure."""

    def __init__(self, pack: Pack, state: DialogState) -> None:
        self.pack = pack
        self.state = state
        self.language = state.language
        self.slots = dict(state.slots)
        self.stack = list(state.stack)
        self.actions: list[Action] = []
        self.rate = state.speaking_rate
        self.last_error = state.last_error
        self.stopped: str | None = None  # only the event right after the failure sees it
        self.retried = state.retried
        self.ended = state.ended
        self.budget = MAX_STEPS_PER_EVENT
        self.repeated = False
        self.intent: str | None = None
        self.slot: str | None = None
        self.unanswered: str | None = None
        self.helped: str | None = None
        self.offered_handoff = False
        self.handed_off = state.handed_off
        self.said_time = state.said_time
        self.queued = list(state.queued)

    # -- output
    def say(self, name: str, extra: Mapping[str, Any] | None = None) -> None:
        """Queue a :class:`Say` of the pack's response ``name``, filled from the slots (and
        ``extra`` over them) at the session's speaking rate, in the session's language (a
        reply quoting the visitor's words: the words' language, :mod:`dialog.read_back`).
        KeyError when the pack has no response ``name``."""
        values = {**self.slots, **(extra or {})}
        response = self.pack.responses[name]
        # a reply quoting the visitor's words is said in their language (dialog.read_back)
        language = read_back_language(self.pack, response, values, self.language)
        reply = render(response, language, values, speaking_rate=self.rate)
        self.actions.append(Say(reply))

    def say_plan(self, plan: ReplyPlan) -> None:
        """Queue a :class:`Say` of a reply made elsewhere (a knowledge-base answer, a repeat),
        at the session's speaking rate."""
        self.actions.append(Say(replace(plan, speaking_rate=self.rate)))

    def handoff(self, reason: str) -> None:
        """Hand the visitor to a colleague (``utter_handoff`` and a :class:`Handoff` for
        ``reason``) and end the flows. Once one was called in this session the pack's
        ``utter_handoff_pending`` ("a colleague is on the way") is said instead and no second
        colleague is called: after "Talk to a person" a locked verification said "I'm calling
        a colleague for you now" again, and again on the next balance request (newcomer13)."""
        if not self.colleague_on_the_way():
            self.say("utter_handoff")
            self.actions.append(Handoff(reason))
            self.handed_off = True
        self.queued.clear()  # a colleague takes over: the requests waiting go with the flows
        self.drop_flows()

    def colleague_on_the_way(self) -> bool:
        """Say the pack's ``utter_handoff_pending`` ("a colleague is on the way") when one was
        called in this session, and whether it was said."""
        if self.handed_off and "utter_handoff_pending" in self.pack.responses:
            self.say("utter_handoff_pending")
            return True
        return False

    def drop_flows(self) -> None:
        """End every running flow and forget the slots that do not persist (a cancel, an
        error with no handler, a handoff, a goodbye at a flow's question)."""
        self.stack.clear()
        self.said_time = None
        self.reset_slots()

    def reset_slots(self) -> None:
        """Forget the slots that do not persist (a flow ended or was cancelled)."""
        for name, slot in self.pack.slots.items():
            if not slot.persist:
                self.slots[name] = slot.initial

    # -- flow helpers
    def flow(self, frame: Frame) -> Flow:
        """The pack's flow that ``frame`` runs (KeyError: none of that id)."""
        return self.pack.flows[frame.flow_id]

    def current(self) -> tuple[Frame, Flow, Step | None]:
        """The top frame, its flow and its current step (``None`` once past the last step: the
        flow has ended). IndexError when no flow is running."""
        frame = self.stack[-1]
        flow = self.flow(frame)
        step = flow.steps[frame.step] if frame.step < len(flow.steps) else None
        return frame, flow, step

    def names(self, **extra: Any) -> dict[str, Any]:
        """The variables a flow's condition sees (:func:`dialog.conditions.evaluate`):
        ``slots`` (the live slot mapping), ``error`` (the last connector error code or
        ``None``) and ``extra`` (e.g. ``value``, a candidate answer to a rejection check)."""
        return {"slots": self.slots, "error": self.last_error, **extra}

    def goto(self, target: str) -> None:
        """Move the top frame to the step with id ``target`` (``"END"``: past the last step).
        KeyError when the flow has no such step (the pack check reports such a ``next``)."""
        frame, flow, _ = self.current()
        index = len(flow.steps) if target == "END" else flow.index_of(target)
        self.stack[-1] = Frame(frame.flow_id, index)

    def advance(self) -> None:
        """Leave the current step through its ``next``."""
        frame, _, step = self.current()
        assert step is not None
        nxt = step.spec.get("next")
        if nxt is None:
            self.stack[-1] = Frame(frame.flow_id, frame.step + 1)
            return
        if isinstance(nxt, str):
            self.goto(nxt)
            return
        for branch in nxt:
            if "if" in branch:
                if evaluate(str(branch["if"]), self.names()):
                    self.goto(str(branch["then"]))
                    return
            else:
                self.goto(str(branch["else"]))
                return
        self.stack[-1] = Frame(frame.flow_id, frame.step + 1)

    def start_flow(self, flow_id: str) -> None:
        """Push a fresh frame for ``flow_id`` and run it until it waits (:meth:`proceed`).

        Raises:
            FlowLoopError: the flows ran :data:`MAX_STEPS_PER_EVENT` steps without waiting.
        """
        self.stack.append(Frame(flow_id))
        self.proceed()

    def proceed(self) -> None:
        """Run steps until the flow waits for the visitor or a connector, or the stack empties."""
        while self.stack:
            self.budget -= 1
            if self.budget <= 0:
                raise FlowLoopError(f"flow {self.stack[-1].flow_id} does not wait")
            frame, _, step = self.current()
            if step is None:
                self.stack.pop()
                if not self.stack:
                    self.reset_slots()
                    self.said_time = None  # the time said belonged to the flows now ended
                    return
                parent = self.stack[-1]
                if parent.waiting == "collect":
                    # the flow that ended had interrupted this one at its question: ask it
                    # again (going past it left the question unanswered: a confirmation read
                    # as declined, a code never asked for)
                    self.say("utter_resume")
                    self.stack[-1] = replace(parent, waiting=None)
                    continue
                self.advance()  # the parent's `call` step is done
                continue
            if not self.run_step(frame, step):
                return

    def run_step(self, frame: Frame, step: Step) -> bool:
        """Run one step; ``False`` when the interpreter must now wait."""
        kind, value = step.type, step.value
        if kind == "say":
            self.say(str(value))
        elif kind == "set_slots":
            for slot, raw in value.items():
                is_expr = isinstance(raw, str) and raw.startswith("=")
                self.slots[slot] = evaluate(raw[1:], self.names()) if is_expr else raw
        elif kind == "collect":
            if step.spec.get("ask_before_filling"):
                # asked every time: never answered by a time said earlier (fixes13)
                if frame.waiting != "collect":
                    self.slots[str(value)] = None
            elif self.slots.get(str(value)) is None:
                self.slots[str(value)] = self._option_at_said_time(str(value))
            if self.slots.get(str(value)) is None:
                self.say(str(step.spec["utter"]))
                self.stack[-1] = replace(frame, waiting="collect")
                return False
        elif kind == "action":
            params = {
                k: fill_param(v, self.slots) for k, v in (step.spec.get("params") or {}).items()
            }
            key = None
            if step.spec.get("side_effect"):
                key = f"{frame.flow_id}.{step.id}.{self.state.seq}"
            self.actions.append(Call(str(value), params, key, frame.flow_id, step.id))
            self.stack[-1] = replace(frame, waiting="action")
            return False
        elif kind == "link":
            self.stack[-1] = Frame(str(value))
            return True
        elif kind == "call":
            self.stack[-1] = replace(frame, waiting="call")
            self.stack.append(self._callee(str(value)))
            return True
        elif kind == "handoff":
            self.handoff(str(value))
            return False
        self.advance()
        return True

    def _option_at_said_time(self, name: str) -> Any:
        """The one option of choice slot ``name`` at :attr:`DialogState.said_time`, else None.
        The time answers one question, a choice among options with times (free slots): there
        it is used up, found or not; any other question (the day asked again, a complaint's
        yes/no, a choice of services) leaves it for that one (fixes13: the day question asked
        again used it up, and "which one?" followed "Saturday at 3 pm … then Monday")."""
        slot = self.pack.slots.get(name)
        if self.said_time is None or slot is None or slot.type != "choice":
            return None
        options = self.slots.get(slot.choices_from or "") or []
        if not has_times(options):
            return None
        said, self.said_time = self.said_time, None
        return extract_slot_value(slot, said, self.slots)

    def _callee(self, flow_id: str) -> Frame:
        """The frame a ``call`` of ``flow_id`` runs: the flow's own frame when it is under way
        lower down the stack, stopped at its question by the flow calling it now (moved up
        here, so it goes on once: "show my transactions" at the lost-card flow's code prompt
        uses the code already texted instead of texting a second one and then checking the
        first flow's code against it); else a fresh frame."""
        for index in range(len(self.stack) - 2, -1, -1):
            below = self.stack[index]
            if below.flow_id == flow_id and below.waiting == "collect":
                del self.stack[index]
                return replace(below, waiting=None)
        return Frame(flow_id)

    def freeze(self, *, keep_replies: bool = False, append_replies: bool = False) -> DialogState:
        """The frozen state after this call, ``seq`` one higher; by default its
        ``last_replies`` are this call's replies.

        Args:
            keep_replies: keep the previous ``last_replies`` (a "repeat" command says them
                again and must not become the thing repeated).
            append_replies: add this call's replies to the previous ones (a connector's
                outcome finishes the turn the visitor's words began: "say that again" repeats
                what was said before the call and the result).
        """
        replies = tuple(a.reply for a in self.actions if isinstance(a, Say))
        if keep_replies:
            replies = self.state.last_replies
        elif append_replies:
            replies = self.state.last_replies + replies
        return DialogState(
            language=self.language,
            slots=dict(self.slots),
            stack=tuple(self.stack),
            last_replies=replies,
            speaking_rate=self.rate,
            seq=self.state.seq + 1,
            last_error=self.last_error,
            ended=self.ended,
            intent=self.intent,
            slot=self.slot,
            unanswered=self.unanswered,
            helped=self.helped,
            offered_handoff=self.offered_handoff,
            handed_off=self.handed_off,
            said_time=self.said_time,
            queued=tuple(self.queued),
            stopped=self.stopped,
            # kept while the flow started again runs (its own sub-flows included)
            retried=self.retried if any(f.flow_id == self.retried for f in self.stack) else None,
        )


def fill_param(value: Any, slots: Mapping[str, Any]) -> Any:
    """``"{slot}"`` / ``"{slot.field}"`` → the value itself (typed); other strings are filled as
    templates; anything else is passed verbatim."""
    if (
        isinstance(value, str)
        and value.startswith("{")
        and value.endswith("}")
        and value.count("{") == 1
    ):
        return lookup(slots, value[1:-1])
    if isinstance(value, str):
        return fill(value, slots)
    return value


def dig(data: Mapping[str, Any], path: str) -> Any:
    """The value at dotted ``path`` in a connector result (``"accounts.0"`` is not an index:
    only mappings are walked), e.g. ``dig({"a": {"b": 1}}, "a.b") == 1``; ``None`` where a part
    is missing or the value on the way is not a mapping."""
    value: Any = data
    for part in str(path).split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def replace_stack(state: DialogState) -> DialogState:
    """``state`` with no flow running (recovery after a pack bug)."""
    return replace(state, stack=())
