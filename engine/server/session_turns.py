"""The turn side of one live session: hearing's sink and the one reply at a time.

Split out of :mod:`engine.server.session` along the seam between the session's lifetime
(signaling, messages, timers, closing) and its turns:

* the :class:`~engine.server.turn_taking.TurnSink` ports the turn taking calls — an onset
  (:meth:`SessionTurns.speech_started`), a possible barge-in's hold, a turn foreseen on the pause
  (its reply prepared, :mod:`engine.foresight`), resumed, or ended;
* typed and keypad turns (:meth:`SessionTurns.typed_turn`), which the microphone does not
  interrupt;
* one :class:`~engine.reply.ReplyHandle` at a time, whose futures move the session's state
  (``first_audio`` → speaking, ``played`` → idle) and the listener's barge-in mode.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from dialog import DialogSession
from engine.asr.whisper import Transcript
from engine.audio.turn_policy import SemanticEndpointer
from engine.events import SessionState
from engine.foresight import Foresight
from engine.reply import ReplyHandle
from engine.server.lifecycle import SessionStateMachine
from engine.server.listening import Listener
from engine.server.media import SessionMedia
from engine.server.perception_stage import PerceptionStage
from engine.server.runtime import Runtime
from engine.server.turn_taking import LiveUtterance
from engine.turns import TurnRunner

log = logging.getLogger(__name__)


class TurnSession(Protocol):
    """The parts of :class:`engine.server.session.Session` its turns use (read when a turn
    comes, so the pipeline may be built after :class:`SessionTurns`)."""

    id: str
    runtime: Runtime
    dialog: DialogSession
    language: str
    loop: asyncio.AbstractEventLoop
    state: SessionStateMachine
    media: SessionMedia
    listener: Listener
    endpointer: SemanticEndpointer
    runner: TurnRunner
    perception: PerceptionStage

    def next_turn_id(self) -> str:
        """A fresh turn id."""
        ...


class SessionTurns:
    """The turns of one live session and its reply in progress.

    Args:
        session: the session (its state, media, listener, runner, dialog and language).
        on_failed: called with ``("turn", exc)`` when a reply's work fails (the session ends).
    """

    def __init__(
        self, session: TurnSession, on_failed: Callable[[str, BaseException], None]
    ) -> None:
        self.session = session
        self.on_failed = on_failed
        self.reply: ReplyHandle | None = None
        self._typed_reply: ReplyHandle | None = None  # the last typed/keypad turn's reply
        self._foresight: Foresight | None = None  # a reply prepared during the endpoint wait

    # --- hearing's sink (engine.server.turn_taking.TurnSink) -------------------------------------

    def speech_started(self, onset_s: float, barge_in: bool) -> bool:
        """The visitor started speaking: barge-in when the avatar is busy, then listen.

        While a typed or keypad turn is answered, sound in the microphone is not a turn (a lobby
        talks; a visitor who typed is reading the answer): it is neither heard nor a barge-in,
        and only typing again interrupts that answer. Returns whether the speech is a turn."""
        if self.reply is not None and self.reply.busy and self.reply is self._typed_reply:
            return False
        if barge_in and self.reply is not None and self.reply.busy:
            self.interrupt(onset_s)
        self.session.media.set_listening(True)
        self.session.state.enter("listening")
        return True

    def hold_reply(self, hold: bool) -> None:
        """Speech over the avatar that may be a barge-in: its reply is silenced until the
        onset is confirmed (then cut) or dismissed (then it plays on). A typed turn's answer is
        never held: the microphone does not interrupt it."""
        reply = self.reply
        busy = reply is not None and reply.busy and reply is not self._typed_reply
        self.session.media.hold(hold and busy)

    def turn_foreseen(self, span: tuple[int, int], transcript: Transcript) -> None:
        """The pause's decode came back before the end of the turn: prepare its reply, held
        (:mod:`engine.foresight`; off with ``server.prepare_reply``)."""
        self.drop_foresight()
        s = self.session
        if not s.runtime.config.server.prepare_reply:
            return
        self._foresight = Foresight.start(
            span, s.dialog, s.runtime.voices, transcript, s.language, lambda: s.perception.mood
        )

    def turn_resumed(self) -> None:
        """The visitor spoke on: the reply prepared on the pause is dropped."""
        self.drop_foresight()

    def drop_foresight(self) -> None:
        """Drop the reply prepared on a pause, if there is one (counted ``dropped``)."""
        foresight, self._foresight = self._foresight, None
        if foresight is not None:
            self.session.runtime.metrics.prepared_replies.labels(outcome="dropped").inc()
            foresight.drop()

    def turn_ended(self, utterance: LiveUtterance) -> None:
        """The visitor finished speaking: answer the turn (with the reply prepared on the same
        span, when there is one)."""
        s = self.session
        s.runtime.metrics.turns.labels(kind="speech").inc()
        s.media.set_listening(False)
        foresight = self._foresight
        if foresight is not None and foresight.span != utterance.span:
            self.drop_foresight()
            foresight = None
        elif foresight is not None:
            self._foresight = None
            s.runtime.metrics.prepared_replies.labels(outcome="kept").inc()
        self.start_reply(
            utterance.turn_id,
            lambda h: s.runner.spoken_turn(h, utterance, s.language, foresight),
        )

    # --- typed turns and the reply in progress ---------------------------------------------------

    def typed_turn(self, text: str) -> None:
        """A text, keypad or handoff message is the visitor's turn: a turn being spoken is
        abandoned (its prepared reply too) and the answer is not interrupted by the microphone."""
        s = self.session
        if s.endpointer.in_speech:
            s.endpointer.reset()
        self.drop_foresight()
        s.runtime.metrics.turns.labels(kind="text").inc()
        self._typed_reply = self.start_reply(
            s.next_turn_id(), lambda h: s.runner.typed_turn(h, text, s.language)
        )

    def start_reply(
        self,
        turn_id: str,
        work: Callable[[ReplyHandle], Coroutine[Any, Any, Any]],
        state: SessionState = "thinking",
    ) -> ReplyHandle:
        """Run a turn's work under a new handle (a busy reply is interrupted first); the
        session is in ``state`` (``thinking``, or ``greeting``) until its first audio."""
        if self.reply is not None and self.reply.busy:
            self.interrupt(None)
        self.session.state.enter(state)
        handle = ReplyHandle.start(turn_id, work)
        self.reply = handle
        self.session.listener.avatar_busy = True
        handle.first_audio.add_done_callback(lambda f: self._reply_speaking(handle, f))
        handle.played.add_done_callback(lambda f: self._reply_played(handle, f))
        handle.played.add_done_callback(lambda f: self.session.media.hold(False))
        assert handle.task is not None
        handle.task.add_done_callback(lambda t: self._reply_ended(handle, t))
        return handle

    def _reply_speaking(self, handle: ReplyHandle, first_audio: asyncio.Future[float]) -> None:
        if handle is self.reply and not first_audio.cancelled():
            self.session.state.enter("speaking")

    def _reply_played(self, handle: ReplyHandle, played: asyncio.Future[None]) -> None:
        if handle is self.reply and not played.cancelled():
            self.session.listener.avatar_busy = False
            self.session.state.enter("idle")

    def _reply_ended(self, handle: ReplyHandle, task: asyncio.Task[None]) -> None:
        """A reply's work ended: a failure inside it ends this session (never the server)."""
        if task.cancelled() or task.exception() is None:
            return
        exc = task.exception()
        log.error("session %s turn %s failed", self.session.id, handle.turn_id, exc_info=exc)
        self.on_failed("turn", exc)

    def interrupt(self, onset_s: float | None) -> None:
        """Cut the reply in progress (barge-in when ``onset_s``, the loop time the visitor's
        speech began, is given; else a typed turn replaced it) and report ``interrupted``."""
        reason = "barge-in" if onset_s is not None else "new-turn"
        s = self.session
        if self.reply is None or s.runner.interrupt(self.reply, onset_s, reason) is None:
            return
        s.listener.avatar_busy = False
        onset = self.reply.interrupted.result().onset_s  # the handle's record of the cut
        bargein_ms = None if onset is None else round((s.loop.time() - onset) * 1e3, 1)
        s.state.enter("interrupted", bargein_ms=bargein_ms)

    def end(self, reason: str) -> None:
        """The session ends: the reply in progress is cut and a prepared one dropped."""
        if self.reply is not None:
            self.reply.interrupt(reason=reason)
        self.drop_foresight()
