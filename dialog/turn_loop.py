"""One event run to a visitor's turn: ``interpreter.step`` → each returned
:class:`~dialog.types.Call` executed on the connector and its outcome fed back → the
:class:`~dialog.types.ReplyPlan` s collected (reworded by the LLM when one is configured), with
the flows started and ended written to the audit trail. :class:`dialog.session.DialogSession`
keeps the state between turns and decides which event a line is; this is the loop it runs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from dialog.engine import DialogEngine
from dialog.interpreter import DialogState, FlowLoopError
from dialog.outside import FillerCallback, call_connector, reworded
from dialog.safety import RESPONSES as URGENT
from dialog.steps import replace_stack
from dialog.templates import render
from dialog.types import (
    AuditEntry,
    Call,
    DialogTurn,
    Event,
    Handoff,
    ReplyPlan,
    Say,
    TrialStopped,
    UserInput,
)

log = logging.getLogger(__name__)

#: Connector round trips per turn before the runner gives up (a pack bug).
MAX_CALLS_PER_TURN = 8


def ms_since(t0: float) -> float:
    """Milliseconds since ``t0`` (a :func:`time.perf_counter` reading)."""
    return (time.perf_counter() - t0) * 1000.0


class TurnLoop:
    """Runs events of one session to turns.

    Args:
        engine: the domain engine (interpreter, connector, pack, rephraser).
        session_id: the session's id (idempotency keys, audit, logs).
        audit: the session's audit trail, appended to in place.
        trial: a trial copy's loop (:meth:`dialog.session.DialogSession.trial`): it raises
            :class:`~dialog.types.TrialStopped` instead of calling a connector or the LLM.
    """

    def __init__(
        self, engine: DialogEngine, session_id: str, audit: list[AuditEntry], trial: bool
    ) -> None:
        self.engine, self.session_id, self.audit, self.trial = engine, session_id, audit, trial

    async def run(
        self,
        state: DialogState,
        event: Event,
        text: str,
        on_filler: FillerCallback | None,
        t0: float,
        commit: Callable[[DialogState], None],
    ) -> DialogTurn:
        """Run ``event`` from ``state`` to the turn.

        Args:
            state: the session's state before the event.
            event: the visitor's input (or no input, a gesture, the question again).
            text: the visitor's words (masked), for the turn and the LLM; ``""`` for none.
            on_filler: called with a short "one moment" reply when a connector call is slow.
            t0: when the turn began (:func:`time.perf_counter`), for its ``dialog`` timing.
            commit: takes the new state once no connector call is awaited any more (before
                the LLM rewording).

        Returns:
            The turn: intent, language, replies, timings (``dialog``, ``connector``, ms).

        Raises:
            TrialStopped: a trial loop reached a connector call or the LLM.
        """
        replies: list[ReplyPlan] = []
        intent: str | None = None
        slot: str | None = None
        unanswered: str | None = None
        helped: str | None = None
        connector_s: float | None = None
        handoff = False
        urgent = False  # an emergency or a scam (dialog.safety): no reply of it is reworded
        # The turn's state is committed only between steps, never while a connector call is
        # awaited: a turn cancelled there (barge-in) leaves the session as it was before the
        # turn, not with a flow waiting for an answer that will never come.
        for _ in range(MAX_CALLS_PER_TURN + 1):
            before = state
            try:
                state, actions = self.engine.interpreter.step(before, event)
            except FlowLoopError:
                log.error("flow loop in session %s", self.session_id)
                state = replace_stack(before)
                plan = render(self.engine.pack.responses["utter_error_default"], state.language, {})
                actions = [Say(plan)]
            self._audit_flows(before, state)
            if isinstance(event, UserInput):
                intent, slot, unanswered = state.intent, state.slot, state.unanswered
                helped = state.helped
            call: Call | None = None
            for action in actions:
                if isinstance(action, Say):
                    replies.append(action.reply)
                elif isinstance(action, Handoff):
                    handoff = True
                    urgent = urgent or action.reason in URGENT
                    self.audit.append(AuditEntry("handoff", action.reason, None))
                elif isinstance(action, Call):
                    call = action
            if call is None:
                break
            if self.trial:
                raise TrialStopped(f"connector call {call.op}")
            started = time.perf_counter()
            event = await call_connector(
                self.engine, self.session_id, call, on_filler, state.language, self.audit
            )
            connector_s = (connector_s or 0.0) + time.perf_counter() - started
        reword = self.engine.rephraser is not None and bool(text) and not urgent
        if self.trial and reword:
            raise TrialStopped("LLM rewording")
        commit(state)
        if reword:
            replies = [await reworded(self.engine, text, plan, self.audit) for plan in replies]
        total_ms = ms_since(t0)
        connector_ms = None if connector_s is None else connector_s * 1000.0
        timings: dict[str, float | None] = {
            "dialog": total_ms - (connector_ms or 0.0),
            "connector": connector_ms,
        }
        return DialogTurn(
            text,
            intent,
            state.language,
            replies,
            timings,
            handoff,
            state.ended,
            slot=slot,
            unanswered=unanswered,
            helped=helped,
        )

    def _audit_flows(self, before: DialogState, after: DialogState) -> None:
        """Record flows that started or ended (ids only, never slot values)."""
        old = [f.flow_id for f in before.stack]
        new = [f.flow_id for f in after.stack]
        for flow in old:
            if flow not in new:
                self.audit.append(AuditEntry("flow", f"{flow} ended", flow))
        for flow in new:
            if flow not in old:
                self.audit.append(AuditEntry("flow", f"{flow} started", flow))
