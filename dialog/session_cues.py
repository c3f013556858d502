"""What a visitor's session does on a cue other than a line they said or typed: their
arrival (:meth:`SessionCues.greet`), a long silence (:meth:`~SessionCues.still_there`), the
idle lapse of the account details they gave (:meth:`~SessionCues.lapse_access`), a hand
gesture (:meth:`~SessionCues.handle_gesture`) and their facial emotion
(:meth:`~SessionCues.respond_to_emotion`). :class:`dialog.session.DialogSession` inherits
them; the visitor's lines, the language switch, the trial turn and the close stay there.
"""

from __future__ import annotations

import time
from typing import Protocol

from dialog.empathy import EmpathyMemory, with_empathy
from dialog.engine import DialogEngine
from dialog.interpreter import DialogState
from dialog.lapse import holds_access, lapse_due, lapsed, lapsed_reply
from dialog.outside import FillerCallback
from dialog.templates import render
from dialog.turn_loop import ms_since
from dialog.types import GESTURE_ANSWERS, AuditEntry, DialogTurn, Event, GestureInput


class _Session(Protocol):
    """What the cues use of :class:`dialog.session.DialogSession` (a Protocol: this module
    imports nothing of ``dialog.session``, which imports it)."""

    engine: DialogEngine
    _state: DialogState | None
    _audit: list[AuditEntry]
    _empathy: EmpathyMemory

    @property
    def state(self) -> DialogState: ...

    def _flow(self) -> str | None: ...

    async def _run(
        self, event: Event, text: str, on_filler: FillerCallback | None, t0: float
    ) -> DialogTurn: ...

    def accepts_gesture(self, name: str) -> bool: ...

    def respond_to_emotion(self, turn: DialogTurn, emotion: str | None) -> DialogTurn: ...


class SessionCues:
    """The turns a session takes on a cue other than the visitor's line (see the module);
    a mixin of :class:`dialog.session.DialogSession`, whose state, audit and empathy memory
    they read and change."""

    async def greet(self: _Session, emotion: str | None = None) -> DialogTurn:
        """The greeting for a visitor who just arrived (presence), in the session language, as
        their facial ``emotion`` at arrival wants it (:meth:`respond_to_emotion`: no smile nor
        wave at a frown; None without a camera)."""
        t0 = time.perf_counter()
        plan = render(self.engine.pack.responses["utter_greet"], self.state.language, {})
        turn = DialogTurn(
            "", None, plan.language, [plan], {"dialog": ms_since(t0), "connector": None}
        )
        return self.respond_to_emotion(turn, emotion)

    async def still_there(self: _Session, seconds_left: float) -> DialogTurn:
        """ "Are you still there?": the visitor has been silent a while and the session ends
        in ``seconds_left`` seconds, its data wiped (the pack's ``utter_still_there``, its
        ``{seconds}`` the whole seconds left), in the session's language; no replies from a
        pack without it. The state is not changed: the flow's question still waits.

        Raises:
            SessionClosedError: the session was closed.
        """
        t0 = time.perf_counter()
        language = self.state.language
        replies = []
        response = self.engine.pack.responses.get("utter_still_there")
        if response is not None:
            replies.append(render(response, language, {"seconds": round(seconds_left)}))
        return DialogTurn("", None, language, replies, {"dialog": ms_since(t0), "connector": None})

    @property
    def holds_access(self: _Session) -> bool:
        """Whether account details the visitor gave are held (:mod:`dialog.lapse`: a token, a
        card's digits); False after :meth:`~dialog.session.DialogSession.close`."""
        return self._state is not None and holds_access(self.engine.pack, self._state)

    @property
    def lapse_due(self: _Session) -> bool:
        """Whether the lapse (:meth:`lapse_access`) has anything to close: account details or an
        anonymous visit's results (:func:`dialog.lapse.lapse_due`); False after
        :meth:`~dialog.session.DialogSession.close`."""
        return self._state is not None and lapse_due(self.engine.pack, self._state)

    async def lapse_access(self: _Session) -> DialogTurn:
        """Forget the account details the visitor gave, the visit's results and the running flows
        (:mod:`dialog.lapse`; the server calls it after ``server.verified_idle_s`` without the
        visitor) and say what was closed in the session's language; no replies, nothing
        changed, when neither was held.

        Raises:
            SessionClosedError: the session was closed.
        """
        t0 = time.perf_counter()
        state = self.state
        replies = []
        if lapse_due(self.engine.pack, state):
            self._state = lapsed(self.engine.pack, state)
            self._audit.append(AuditEntry("flow", "access lapsed after idle", None))
            replies.append(lapsed_reply(self.engine.pack, state))
        timings = {"dialog": ms_since(t0), "connector": None}
        return DialogTurn("", None, state.language, replies, timings)

    def accepts_gesture(self: _Session, name: str) -> bool:
        """Whether gesture ``name`` answers the question the session waits at (a thumbs up or
        down at a yes/no confirmation); False after :meth:`~dialog.session.DialogSession.close`."""
        state = self._state
        return state is not None and self.engine.interpreter.expects_gesture(state, name)

    async def handle_gesture(self: _Session, name: str) -> DialogTurn:
        """A hand gesture the camera recognised, as the visitor's turn: at a yes/no question a
        thumbs up or down answers it (the audit says "confirmed by gesture" or "declined by
        gesture", never what the camera saw); elsewhere nothing happens (no replies).

        Raises:
            SessionClosedError: the session was closed.
        """
        t0 = time.perf_counter()
        if self.accepts_gesture(name):
            done = "confirmed" if GESTURE_ANSWERS[name] else "declined"
            self._audit.append(AuditEntry("gesture", f"{done} by gesture", self._flow()))
        return await self._run(GestureInput(name), "", None, t0)

    def respond_to_emotion(self: _Session, turn: DialogTurn, emotion: str | None) -> DialogTurn:
        """``turn`` as the visitor's facial emotion at it wants (:mod:`dialog.empathy`: an
        empathetic line and the offer of a person at frustration or sadness, once per
        episode; no smile at a frown); ``emotion`` None (no camera) changes nothing."""
        turn, self._empathy = with_empathy(turn, emotion, self.engine.pack.responses, self._empathy)
        return turn
