"""One visitor at one terminal: the live transport's adapter around the engine's turn loop.

A :class:`Session` is built inside the offer handler (never module-level state). It wires the
pipeline of one visitor out of narrow parts and reacts to them:

* the aiortc peer connection and its outbound media (:class:`~engine.server.media.SessionMedia`:
  the reply-audio and avatar-video tracks on one media clock — the turn runner's outbox);
* hearing: :class:`~engine.server.listening.Listener` (VAD, endpointing) →
  :class:`~engine.server.turn_taking.TurnTaking` (onsets, partials, the final decode), which
  hands each onset and finished turn back here (:meth:`Session.speech_started`,
  :meth:`Session.turn_ended`);
* the turn loop: :class:`~engine.turns.TurnRunner`, given the dialog session, a speaker, the bus
  and the outbox — never the session;
* one :class:`~engine.reply.ReplyHandle` at a time, whose futures move the state
  (``first_audio`` → speaking, ``played`` → idle) and the listener's barge-in mode;
* the bus: every event of the session, the events socket's feed
  (:class:`~engine.server.feed.ClientFeed`) and the Prometheus observer among its subscribers;
* the camera, with the visitor's consent: the perception stage
  (:class:`~engine.server.perception_stage.PerceptionStage`) publishes what it sees on the bus,
  the speaker gate (:class:`~engine.server.speaker_gate.GatedDecisions`) lets an onset start a
  turn only when the visitor's lips move with it, and
  :class:`~engine.server.perception_stage.VisitorReactions` answers arrivals, departures,
  gestures and expressions through :class:`~engine.server.seeing.SeeingSession`;
* the idle and connect timeouts as timers armed by state changes.

States: ``idle → listening → thinking → speaking``, ``interrupted`` on barge-in, ``ended``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from types import MappingProxyType
from typing import Any

from aiortc import RTCPeerConnection
from sqlalchemy.exc import SQLAlchemyError

from avatar.frame_renderer import FrameRenderer
from dialog import DialogSession
from engine.asr.whisper import Transcript
from engine.audit import record_dialog
from engine.events import SessionError, SessionState
from engine.foresight import Foresight
from engine.observers import EventBus, label_follows_replies
from engine.perception.speaker import SpeakerGate
from engine.reply import ReplyHandle
from engine.server import protocol
from engine.server.feed import ClientFeed
from engine.server.hearing_parts import build_hearing
from engine.server.lifecycle import Deadline, SessionStateMachine, SessionTasks
from engine.server.media import SessionMedia
from engine.server.perception_stage import PerceptionStage, VisitorReactions
from engine.server.rtc import ice_configuration, negotiate, transport_cause
from engine.server.runtime import Runtime
from engine.server.seeing import SeeingSession
from engine.server.speaker_gate import GatedDecisions
from engine.server.turn_taking import LiveUtterance
from engine.speaking import Speaker
from engine.turns import TurnRunner

log = logging.getLogger(__name__)

#: The handoff button's words, per session language.
HANDOFF_TEXT = MappingProxyType({"zh": "转人工", "en": "I want to talk to a human"})
#: States in which the idle timeout runs (nothing is being said or prepared).
IDLE_STATES = ("idle", "interrupted")


class Session:
    """One visitor's realtime session.

    Args:
        runtime: the shared models and executors.
        session_id: the public id.
        dialog: this visitor's dialog session.
        renderer: this session's avatar backend (returned to the runtime at the end).
        language: ``auto``, ``en`` or ``zh``.
        label_language: the AI mark's language while ``language`` is ``auto`` and nothing has
            been answered yet (the page's language, the offer's ``ui_language``); None: English.
        on_closed: awaited once when the session has ended (the registry forgets it).
        on_connected: awaited once when the media connection first comes up (the session then
            takes a slot of the server: ``engine.server.admission``).
    """

    def __init__(
        self,
        runtime: Runtime,
        session_id: str,
        dialog: DialogSession,
        renderer: FrameRenderer,
        language: str,
        on_closed: Callable[[Session], Awaitable[None]],
        label_language: str | None = None,
        on_connected: Callable[[Session], Awaitable[None]] | None = None,
    ) -> None:
        cfg = runtime.config.server
        self.id, self.runtime, self.dialog, self.renderer = session_id, runtime, dialog, renderer
        self.language = language
        self.loop = asyncio.get_running_loop()
        self.started = dt.datetime.now(dt.UTC)
        self.pc = RTCPeerConnection(configuration=ice_configuration(cfg))
        self.bus = EventBus()
        self.feed = ClientFeed()
        self.bus.subscribe(self.feed)
        self.bus.subscribe(runtime.metrics.observe)
        self.media = SessionMedia(
            cfg, runtime.config.avatar.ai_label, renderer, runtime.asr_inflight
        )
        # "auto": the page's language, then each answer's (the visitor may speak the other)
        self.media.label.set_language((label_language or "en") if language == "auto" else language)
        self.bus.subscribe(label_follows_replies(self.media.label))
        self.bus.subscribe(self.media.observe)
        self.state = SessionStateMachine(session_id, self.bus, self._state_changed)
        self.tasks = SessionTasks(session_id, self._task_failed)
        self.reply: ReplyHandle | None = None
        self._typed_reply: ReplyHandle | None = None  # the last typed/keypad turn's reply
        self._foresight: Foresight | None = None  # a reply prepared during the endpoint wait
        self.turns_taken = 0
        self._build_pipeline(runtime)
        self._idle = Deadline(cfg.idle_timeout_s, lambda: self._expire("idle-timeout"))
        self._connect = Deadline(cfg.connect_timeout_s, lambda: self._expire("connect-timeout"))
        self._closing = False
        self._connected = False  # the media connection has been up at least once
        self._on_closed = on_closed
        self._on_connected = on_connected
        self.ended = asyncio.Event()

    def _build_pipeline(self, runtime: Runtime) -> None:
        """Hearing (listener → turn taking), seeing and the turn runner, wired by narrow ports."""
        hearing = build_hearing(
            self.id,
            runtime,
            language=self.language,
            bus=self.bus,
            sink=self,
            echo=self.media.echo,
            next_turn_id=self.next_turn_id,
            clock=self.loop.time,
        )
        self.endpointer, self.decoder = hearing.endpointer, hearing.decoder
        self.listener, self.turn_taking = hearing.listener, hearing.turn_taking
        self._build_seeing(runtime)
        speaker = Speaker(runtime.voices, self.media, self.bus, self.id)
        self.runner = TurnRunner(
            self.id,
            dialog=self.dialog,
            speaker=speaker,
            bus=self.bus,
            outbox=self.media,
            clock=self.loop.time,
            mood=lambda: self.perception.mood,
        )

    def _build_seeing(self, runtime: Runtime) -> None:
        """The camera side: the speaker gate between listener and turn taking, the perception
        stage (idle until the visitor consents and a camera track arrives), the reactions."""
        self.gate = GatedDecisions(
            self.id,
            self.bus,
            SpeakerGate(),
            self.turn_taking.on_decision,
            self.endpointer.reset,
            self.listener.earliest_time_of,
            self.loop.time,
        )
        self.listener.on_decision = self.gate.on_decision
        self.perception = PerceptionStage(
            self.id,
            self.bus,
            runtime.config.perception,
            self.tasks.spawn,
            gate=self.gate,
            look=lambda x, y: self.media.timeline.look_at(x, y, self.media.now_sample()),
            clock=self.loop.time,
            on_frame=runtime.metrics.perception_frames.inc,
        )
        self.bus.subscribe(VisitorReactions(SeeingSession(self)))

    # --- signaling ----------------------------------------------------------------------------

    async def answer(self, offer_sdp: str) -> str:
        """Apply the visitor's offer and return the answer SDP (ICE gathering complete).

        Raises:
            protocol.ApiError: 400 ``bad-sdp`` when aiortc refuses the offer.
        """
        sdp = await negotiate(
            self.pc,
            offer_sdp,
            outbound=(self.media.audio_out, self.media.video_out),
            on_audio=lambda track: self.tasks.spawn(self.listener.run(track), "listen"),
            on_video=lambda track: self.tasks.spawn(self.perception.run(track), "camera"),
            on_state=self._connection_changed,
        )
        self._connect.arm()
        self.state.announce()
        return sdp

    def _connection_changed(self, state: str) -> None:
        if state == "connected" and not self._connected:
            self._connected = True
            self._connect.disarm()
            self._state_changed(self.state.value)
            if self._on_connected is not None:
                self.tasks.spawn(self._on_connected(self), "admit")
        if state in ("failed", "closed"):
            socket = "open" if self.feed.attached else "closed"
            cause = f"{transport_cause(self.pc)}; events socket {socket}"
            self.tasks.spawn(self.close(f"connection-{state}", cause), "close")

    # --- state, turns, replies ----------------------------------------------------------------

    def next_turn_id(self) -> str:
        """A fresh turn id (counted in :attr:`turns_taken`)."""
        self.turns_taken += 1
        return f"{self.id}-t{self.turns_taken}"

    def _state_changed(self, state: SessionState) -> None:
        """The idle timeout runs while nothing is said or prepared on a connected session
        (before the media connection is up, the connect timeout applies)."""
        if state in IDLE_STATES and self._connected and not self._closing:
            self._idle.arm()
        else:
            self._idle.disarm()

    def speech_started(self, onset_s: float, barge_in: bool) -> bool:
        """The visitor started speaking: barge-in when the avatar is busy, then listen.

        While a typed or keypad turn is answered, sound in the microphone is not a turn (a lobby
        talks; a visitor who typed is reading the answer): it is neither heard nor a barge-in,
        and only typing again interrupts that answer. Returns whether the speech is a turn."""
        if self.reply is not None and self.reply.busy and self.reply is self._typed_reply:
            return False
        if barge_in and self.reply is not None and self.reply.busy:
            self.interrupt(onset_s)
        self.media.set_listening(True)
        self.state.enter("listening")
        return True

    def hold_reply(self, hold: bool) -> None:
        """Speech over the avatar that may be a barge-in: its reply is silenced until the
        onset is confirmed (then cut) or dismissed (then it plays on). A typed turn's answer is
        never held: the microphone does not interrupt it."""
        reply = self.reply
        busy = reply is not None and reply.busy and reply is not self._typed_reply
        self.media.hold(hold and busy)

    def turn_foreseen(self, span: tuple[int, int], transcript: Transcript) -> None:
        """The pause's decode came back before the end of the turn: prepare its reply, held
        (:mod:`engine.foresight`; off with ``server.prepare_reply``)."""
        self._drop_foresight()
        if not self.runtime.config.server.prepare_reply:
            return
        self._foresight = Foresight.start(
            span,
            self.dialog,
            self.runtime.voices,
            transcript,
            self.language,
            lambda: self.perception.mood,
        )

    def turn_resumed(self) -> None:
        """The visitor spoke on: the reply prepared on the pause is dropped."""
        self._drop_foresight()

    def _drop_foresight(self) -> None:
        foresight, self._foresight = self._foresight, None
        if foresight is not None:
            self.runtime.metrics.prepared_replies.labels(outcome="dropped").inc()
            foresight.drop()

    def turn_ended(self, utterance: LiveUtterance) -> None:
        """The visitor finished speaking: answer the turn (with the reply prepared on the same
        span, when there is one)."""
        self.runtime.metrics.turns.labels(kind="speech").inc()
        self.media.set_listening(False)
        foresight = self._foresight
        if foresight is not None and foresight.span != utterance.span:
            self._drop_foresight()
            foresight = None
        elif foresight is not None:
            self._foresight = None
            self.runtime.metrics.prepared_replies.labels(outcome="kept").inc()
        self.start_reply(
            utterance.turn_id,
            lambda h: self.runner.spoken_turn(h, utterance, self.language, foresight),
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
        self.state.enter(state)
        handle = ReplyHandle.start(turn_id, work)
        self.reply = handle
        self.listener.avatar_busy = True
        handle.first_audio.add_done_callback(lambda f: self._reply_speaking(handle, f))
        handle.played.add_done_callback(lambda f: self._reply_played(handle, f))
        handle.played.add_done_callback(lambda f: self.media.hold(False))
        assert handle.task is not None
        handle.task.add_done_callback(lambda t: self._reply_ended(handle, t))
        return handle

    def _reply_speaking(self, handle: ReplyHandle, first_audio: asyncio.Future[float]) -> None:
        if handle is self.reply and not first_audio.cancelled():
            self.state.enter("speaking")

    def _reply_played(self, handle: ReplyHandle, played: asyncio.Future[None]) -> None:
        if handle is self.reply and not played.cancelled():
            self.listener.avatar_busy = False
            self.state.enter("idle")

    def _reply_ended(self, handle: ReplyHandle, task: asyncio.Task[None]) -> None:
        """A reply's work ended: a failure inside it ends this session (never the server)."""
        if task.cancelled() or task.exception() is None:
            return
        exc = task.exception()
        log.error("session %s turn %s failed", self.id, handle.turn_id, exc_info=exc)
        self._task_failed("turn", exc)

    def interrupt(self, onset_s: float | None) -> None:
        """Cut the reply in progress (barge-in when ``onset_s``, the loop time the visitor's
        speech began, is given; else a typed turn replaced it) and report ``interrupted``."""
        reason = "barge-in" if onset_s is not None else "new-turn"
        if self.reply is None or self.runner.interrupt(self.reply, onset_s, reason) is None:
            return
        self.listener.avatar_busy = False
        onset = self.reply.interrupted.result().onset_s  # the handle's record of the cut
        bargein_ms = None if onset is None else round((self.loop.time() - onset) * 1e3, 1)
        self.state.enter("interrupted", bargein_ms=bargein_ms)

    async def handle_message(self, message: protocol.ClientMessage) -> None:
        """A client → server events-socket message: text, keypad, language, handoff, camera."""
        self._idle.touch()
        if isinstance(message, protocol.CameraMessage):
            self.perception.set_consent(message.consent)
            return
        if isinstance(message, protocol.LanguageMessage):
            self.language = message.language
            self.decoder.set_language(message.language)
            self.media.label.set_language(message.language)  # the AI mark in the video
            return
        if isinstance(message, protocol.TextMessage):
            text = message.text
        elif isinstance(message, protocol.KeypadMessage):
            text = message.digits
        else:
            text = HANDOFF_TEXT["zh" if self.language == "zh" else "en"]
        if self.endpointer.in_speech:
            self.endpointer.reset()
        self._drop_foresight()
        self.runtime.metrics.turns.labels(kind="text").inc()
        self._typed_reply = self.start_reply(
            self.next_turn_id(), lambda h: self.runner.typed_turn(h, text, self.language)
        )

    def refuse(self, code: str, message: str) -> None:
        """Tell the visitor's page a message was refused (an ``error`` event)."""
        self.bus.publish(SessionError(session_id=self.id, code=code, message=message))

    # --- lifetime -----------------------------------------------------------------------------

    def _expire(self, code: str) -> None:
        if code == "idle-timeout":
            self.refuse(code, f"no activity for {self._idle.seconds:.0f} s")
        else:
            self.refuse(code, f"no media connection within {self._connect.seconds:.0f} s")
        self.tasks.spawn(self.close(code), "close")

    def _task_failed(self, name: str, exc: Exception) -> None:
        self.runtime.metrics.session_errors.labels(code="internal").inc()
        self.refuse("internal", f"{name} failed: {exc}")
        if name != "close":
            self.tasks.spawn(self.close("internal-error"), "close")

    async def close(self, reason: str = "closed", cause: str = "") -> None:
        """End the session: cancel work, stop tracks, close the peer, wipe memory. Idempotent.

        Args:
            reason: the end reason code (the ``ended`` state event, the audit trail).
            cause: what the transport said, for the log line only ("ICE failed, DTLS …").
        """
        if self._closing:
            return
        self._closing = True
        t0 = time.perf_counter()
        self._idle.disarm()
        self._connect.disarm()
        if self.reply is not None:
            self.reply.interrupt(reason="session-ended")
        self._drop_foresight()
        self.tasks.cancel_all()
        self.gate.close()
        self.media.stop()
        self.state.enter("ended", reason=reason)
        with contextlib.suppress(asyncio.CancelledError):
            await self.pc.close()
        await self.perception.close()
        self.listener.close()
        self._write_audit(reason)
        self.dialog.close()
        self.media.reset_timeline()
        self._count_video()
        self.runtime.give_back_renderer(self.renderer)
        await self._on_closed(self)
        self.ended.set()
        video = self.media.video_out
        log.info(
            "session %s ended (%s) in %.0f ms; video frames sent %d, rendered %d, dropped %d",
            self.id,
            f"{reason}: {cause}" if cause else reason,
            (time.perf_counter() - t0) * 1e3,
            video.frames_sent,
            video.frames_rendered,
            video.frames_dropped,
        )

    def _write_audit(self, reason: str) -> None:
        try:
            record_dialog(
                self.runtime.audit,
                self.dialog,
                channel="webrtc",
                started=self.started,
                turns=self.turns_taken,
                end_reason=reason,
            )
        except SQLAlchemyError:
            log.exception("session %s: audit trail not written", self.id)

    def _count_video(self) -> None:
        video, metrics = self.media.video_out, self.runtime.metrics
        metrics.video_frames.inc(video.frames_sent)
        metrics.video_dropped.inc(video.frames_dropped)
