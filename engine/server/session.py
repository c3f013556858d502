"""One visitor at one terminal: the live transport's adapter around the engine's turn loop.

A :class:`Session` is built inside the offer handler (never module-level state). It wires the
pipeline of one visitor out of narrow parts and reacts to them:

* the aiortc peer connection and its outbound media (:class:`~engine.server.media.SessionMedia`:
  the reply-audio and avatar-video tracks on one media clock — the turn runner's outbox);
* hearing: :class:`~engine.server.listening.Listener` (VAD, endpointing) →
  :class:`~engine.server.turn_taking.TurnTaking` (onsets, partials, the final decode), which
  hands each onset and finished turn to the session's turns
  (:class:`~engine.server.session_turns.SessionTurns`: the turn side, split out of here);
* the turn loop: :class:`~engine.turns.TurnRunner`, given the dialog session, a speaker, the bus
  and the outbox — never the session;
* one :class:`~engine.reply.ReplyHandle` at a time (kept by the turns), whose futures move the
  state (``first_audio`` → speaking, ``played`` → idle) and the listener's barge-in mode;
* the bus: every event of the session, the events socket's feed
  (:class:`~engine.server.feed.ClientFeed`) and the Prometheus observer among its subscribers;
* the camera, with the visitor's consent: the perception stage
  (:class:`~engine.server.perception_stage.PerceptionStage`) publishes what it sees on the bus,
  the speaker gate (:class:`~engine.server.speaker_gate.GatedDecisions`) lets an onset start a
  turn only when the visitor's lips move with it, and
  :class:`~engine.server.perception_stage.VisitorReactions` answers arrivals, departures,
  gestures and expressions through :class:`~engine.server.seeing.SeeingSession`;
* the events socket's messages (:class:`~engine.server.session_messages.SessionMessages`: the
  message side, split out of here);
* the idle and connect timeouts as timers armed by state changes; before the idle timeout the
  avatar asks once whether the visitor is still there (:mod:`engine.server.idle_watch`).

States: ``idle → listening → thinking → speaking``, ``interrupted`` on barge-in, ``ended``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable
from functools import partial

from aiortc import RTCPeerConnection
from sqlalchemy.exc import SQLAlchemyError

from avatar.frame_renderer import FrameRenderer
from dialog import DialogSession
from dialog.lapse import code_awaited
from dialog.types import SessionClosedError
from engine.audit import record_dialog
from engine.events import Event, GestureDetected, SessionError, SessionState
from engine.observers import EventBus, label_follows_replies
from engine.perception.speaker import SpeakerGate
from engine.server import protocol
from engine.server.feed import ClientFeed
from engine.server.hearing_parts import build_hearing
from engine.server.idle_watch import IdleWatch
from engine.server.lifecycle import Deadline, SessionStateMachine, SessionTasks
from engine.server.media import SessionMedia
from engine.server.perception_stage import PerceptionStage, VisitorReactions
from engine.server.rtc import ice_configuration, negotiate, transport_cause
from engine.server.runtime import Runtime
from engine.server.seeing import SeeingSession
from engine.server.session_messages import SessionMessages
from engine.server.session_turns import SessionTurns
from engine.server.speaker_gate import GatedDecisions
from engine.show import badge_for
from engine.speaking import Speaker
from engine.turns import TurnRunner

log = logging.getLogger(__name__)

#: Seconds a session outlives its events socket: a page that lost it for good (crashed,
#: killed, its machine off) frees its slot this soon, not when ICE consent expires (~30 s).
SOCKET_GONE_S = 5.0
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
        shown_height: the height (CSS px) the page shows the video at (the offer's
            ``video.shown_height``; the AI mark's size follows it); None: unknown.
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
        shown_height: int | None = None,
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
        avatar = runtime.config.avatar
        self.media = SessionMedia(
            cfg,
            avatar.ai_label,
            renderer,
            runtime.asr_inflight,
            badges=partial(badge_for, avatar),
            shown_height=shown_height,
        )
        # The AI mark and the name badge: "auto" starts in the page's language, then follows
        # each answer's (the visitor may speak the other)
        self.media.set_language((label_language or "en") if language == "auto" else language)
        self.bus.subscribe(label_follows_replies(self.media))
        self.bus.subscribe(self.media.observe)
        self.state = SessionStateMachine(session_id, self.bus, self._state_changed)
        self.tasks = SessionTasks(session_id, self._task_failed)
        self.turns = SessionTurns(self, self._task_failed)
        self.messages = SessionMessages(self)
        self.turns_taken = 0
        self._build_pipeline(runtime)
        self._idle = IdleWatch(
            cfg.idle_timeout_s,
            cfg.idle_warning_s,
            self._still_there,
            lambda: self._expire("idle-timeout"),
            lapse_s=cfg.verified_idle_s,
            on_lapse=self._lapse_access,
        )
        self.perception.on_seen = self._idle.seen  # in view: answers "are you still there?"
        self.bus.subscribe(self._gesture_is_activity)
        self._connect = Deadline(cfg.connect_timeout_s, lambda: self._expire("connect-timeout"))
        self._socket_gone = Deadline(SOCKET_GONE_S, self._socket_lost)
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
            sink=self.turns,
            echo=self.media.echo,
            next_turn_id=self.next_turn_id,
            clock=self.loop.time,
            awaited=self.dialog.awaited_answer,  # a digits question biases the ASR
        )
        self.endpointer, self.decoder = hearing.endpointer, hearing.decoder
        self.listener, self.turn_taking = hearing.listener, hearing.turn_taking
        # at the one-time code's question the code is hidden whole in the log and the caption
        self.turn_taking.code_question = self._code_question
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

    def _code_question(self) -> bool:
        """Whether the dialog waits for the one-time code (False once the session is closed:
        a decode may finish after it)."""
        try:
            return code_awaited(self.dialog.engine.pack, self.dialog.state)
        except SessionClosedError:
            return False

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
        (before the media connection is up, the connect timeout applies); the visitor's speech
        (``listening``) is activity: "are you still there?" is forgotten."""
        if state == "listening":
            self._idle.activity()
        if state in IDLE_STATES and self._connected and not self._closing:
            self._idle.idle()
        else:
            self._idle.busy()

    def _still_there(self, seconds_left: float) -> None:
        """The visitor has been silent ``server.idle_timeout_s`` minus ``seconds_left``: ask,
        in the session's language, whether they are still there (:mod:`.idle_watch`)."""
        if self._closing:
            return
        self.turns.start_reply(
            self.next_turn_id(),
            lambda h: self.runner.seen_turn(h, partial(self.dialog.still_there, seconds_left)),
        )

    def _lapse_access(self) -> None:
        """``server.verified_idle_s`` without the visitor: the account details they gave and the
        visit's results (an appointment, a ticket, booked with or without verification) are
        forgotten, and the visitor told what was closed (:mod:`dialog.lapse`); nothing when
        neither is held."""
        if self._closing or not self.dialog.lapse_due:
            return
        log.info("session %s: account details or visit results forgotten after idle", self.id)
        self.turns.start_reply(
            self.next_turn_id(), lambda h: self.runner.seen_turn(h, self.dialog.lapse_access)
        )

    def _gesture_is_activity(self, event: Event) -> None:
        """A hand gesture the camera saw (with consent) is the visitor's input, as a tap is."""
        if isinstance(event, GestureDetected):
            self._idle.activity()

    async def handle_message(self, message: protocol.ClientMessage) -> None:
        """A client → server events-socket message: text, keypad, language, handoff, camera
        (:class:`~engine.server.session_messages.SessionMessages`); each is activity (a tap or
        a typed line: the idle timeout starts anew). A message racing the session's close is
        dropped: the handoff button's words read the closed dialog's language and raised
        ``SessionClosedError`` in the socket handler (fixes18)."""
        if self._closing:
            return
        self._idle.activity()
        await self.messages.handle(message)

    def refuse(self, code: str, message: str) -> None:
        """Tell the visitor's page a message was refused (an ``error`` event)."""
        self.bus.publish(SessionError(session_id=self.id, code=code, message=message))

    # --- lifetime -----------------------------------------------------------------------------

    def socket_attached(self) -> None:
        """The page's events socket is open (again)."""
        self._socket_gone.disarm()

    def socket_detached(self) -> None:
        """The page's events socket closed: unless one is attached again within
        :data:`SOCKET_GONE_S`, the page is gone and the session ends. A page that gives up a
        session says so with a DELETE; one that crashed, was killed or lost power says
        nothing, and its peer connection fails only when ICE consent expires (~30 s), holding a
        slot (and the address's quota) meanwhile."""
        if not self._closing:
            self._socket_gone.arm()

    def _socket_lost(self) -> None:
        self.tasks.spawn(self.close("socket-closed", "events socket closed"), "close")

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
        self._idle.stop()
        self._connect.disarm()
        self._socket_gone.disarm()
        self.turns.end("session-ended")
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
