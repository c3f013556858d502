"""One visitor at one terminal: the peer connection, its tracks, hearing, replies and state.

A :class:`Session` is built inside the offer handler (never module-level state) and owns:
the aiortc peer connection; its outbound media (:class:`~engine.server.media.SessionMedia`: one
media clock shared by the reply-audio and avatar-video tracks, the avatar timeline, the echo
guard); the :class:`~engine.server.listening.Listener` on the visitor's microphone;
the dialog session (its memory is wiped at the end); and at most one
:class:`~engine.server.speaking.ReplyHandle` at a time. Messages for the events WebSocket queue
in :attr:`outbox`. States: ``idle → listening → thinking → speaking``, ``interrupted`` on
barge-in, ``ended`` at the end (DESIGN.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

import numpy as np
from aiortc import RTCPeerConnection, RTCSessionDescription
from sqlalchemy.exc import SQLAlchemyError

from avatar import Renderer
from dialog import DialogSession
from engine.asr.whisper import ASRError, DecodeControl, Transcript
from engine.audit import record_dialog
from engine.events import Interrupted, SpeechStarted, now_ns
from engine.observers import EventBus, TurnMetricsObserver
from engine.server import protocol
from engine.server.endpointing import (
    Decision,
    Endpointer,
    EndpointSettings,
    Onset,
    PartialDue,
    SpeculateFinal,
    SpeechResumed,
    TurnEnded,
)
from engine.server.listening import Listener, Transcriber
from engine.server.media import SessionMedia
from engine.server.rtc import ice_configuration, prefer_codecs
from engine.server.runtime import Runtime
from engine.server.speaking import ReplyHandle, Speaker
from engine.server.turns import TurnRunner
from engine.tts.base import TTSError

log = logging.getLogger(__name__)

#: Most messages kept for an events socket that is not (yet) attached.
OUTBOX_LIMIT = 256


def endpoint_settings(runtime: Runtime) -> EndpointSettings:
    """The endpointing tunables from config (``server`` and ``vad`` sections)."""
    s, v = runtime.config.server, runtime.config.vad
    return EndpointSettings(
        threshold=v.threshold,
        min_speech_ms=v.min_speech_ms,
        bargein_min_speech_ms=s.bargein_min_speech_ms,
        endpoint_silence_ms=s.endpoint_silence_ms,
        speculative_after_ms=s.speculative_after_ms,
        partial_interval_ms=s.partial_interval_ms,
        pad_ms=v.pad_ms,
    )


def _media_part(name: str, doc: str) -> property:
    """A read-only :class:`Session` attribute that is ``session.media.<name>``."""
    return property(lambda self: getattr(self.media, name), doc=doc)


class Session:
    """One visitor's realtime session.

    Args:
        runtime: the shared models and executors.
        session_id: the public id.
        dialog: this visitor's dialog session.
        renderer: this session's renderer (returned to the pool at the end).
        language: ``auto``, ``en`` or ``zh``.
        on_closed: called once when the session has ended (the registry forgets it).
    """

    def __init__(
        self,
        runtime: Runtime,
        session_id: str,
        dialog: DialogSession,
        renderer: Renderer,
        language: str,
        on_closed: Callable[[Session], None],
    ) -> None:
        cfg = runtime.config.server
        self.id = session_id
        self.runtime = runtime
        self.language = language
        self.dialog = dialog
        self.renderer = renderer
        self.loop = asyncio.get_running_loop()
        self.started = dt.datetime.now(dt.UTC)
        self.pc = RTCPeerConnection(configuration=ice_configuration(cfg))
        self.media = SessionMedia(
            cfg,
            runtime.config.avatar.ai_label,
            renderer,
            runtime.asr_inflight,
            thinking=lambda: self.state == "thinking",
        )
        self.media.label.set_language(language)  # "auto": English until the visitor chooses
        self.bus = EventBus()
        self.observer = TurnMetricsObserver()
        self.bus.subscribe(self.observer)
        self.endpointer = Endpointer(endpoint_settings(runtime))
        self.listener = Listener(
            self.endpointer, self.echo, runtime.vad_executor, self.avatar_busy, self._on_decision
        )
        self.transcriber = Transcriber(
            self._decode, runtime.asr_executor, runtime.asr_inflight, runtime.cpu.behind
        )
        self.speaker = Speaker(runtime.voices, self.audio_out, self.timeline, self.bus, self.id)
        self.turns = TurnRunner(self)
        self.state: protocol.State = "idle"
        self.reply: ReplyHandle | None = None
        self.outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.socket_attached = False
        self.last_activity = self.loop.time()
        self._turn_no = 0
        self._heard_language: str | None = None  # sticky detected language (auto sessions)
        self._listening_turn: str | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closing = False
        self._connected = False  # the peer connection has been up at least once
        self._created = self.loop.time()
        self._on_closed = on_closed
        self.ended = asyncio.Event()

    # --- signaling ----------------------------------------------------------------------------

    async def answer(self, offer_sdp: str) -> str:
        """Apply the visitor's offer and return the answer SDP (ICE gathering complete).

        Raises:
            protocol.ApiError: 400 ``bad-sdp`` when aiortc refuses the offer.
        """
        audio = self.pc.addTransceiver(self.audio_out, direction="sendrecv")
        video = self.pc.addTransceiver(self.video_out, direction="sendonly")
        prefer_codecs(audio)
        prefer_codecs(video)

        @self.pc.on("track")
        def on_track(track: Any) -> None:
            if track.kind == "audio":
                self.spawn(self.listener.run(track), "listen")

        @self.pc.on("connectionstatechange")
        async def on_state() -> None:
            if self.pc.connectionState == "connected":
                self._connected = True
            if self.pc.connectionState in ("failed", "closed"):
                self.spawn(self.close(f"connection-{self.pc.connectionState}"), "close")

        try:
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
            await self.pc.setLocalDescription(await self.pc.createAnswer())
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise protocol.ApiError(400, "bad-sdp", f"offer refused: {exc}") from exc
        except Exception as exc:  # aiortc raises InvalidStateError/OperationError for bad offers
            if type(exc).__module__.startswith("aiortc"):
                raise protocol.ApiError(400, "bad-sdp", f"offer refused: {exc}") from exc
            raise
        self.spawn(self._watch_idle(), "idle-watch")
        self.send(protocol.state_message(self.state))
        return self.pc.localDescription.sdp

    # --- tasks, messages, state ---------------------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run ``coro`` as one of this session's tasks; an unexpected failure ends the session
        (error event + log line), never the server."""

        async def guarded() -> None:
            try:
                await coro
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the session boundary: report, log, end this session
                log.exception("session %s: %s failed", self.id, name)
                self.runtime.metrics.session_errors.labels(code="internal").inc()
                self.send(protocol.error_message("internal", f"{name} failed: {exc}"))
                if name != "close":
                    await self.close("internal-error")

        task = asyncio.create_task(guarded(), name=f"{self.id}-{name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def send(self, message: dict[str, Any]) -> None:
        """Queue a server → client message for the events socket (oldest dropped when full)."""
        if self.outbox.qsize() >= OUTBOX_LIMIT:
            self.outbox.get_nowait()
        self.outbox.put_nowait(message)

    def set_state(self, state: protocol.State, **extra: Any) -> None:
        """Enter ``state`` and tell the client (extra fields are added to the message)."""
        if state == self.state and not extra:
            return
        self.state = state
        self.send({**protocol.state_message(state), **extra})

    def touch(self) -> None:
        """Note visitor activity (idle timeout)."""
        self.last_activity = self.loop.time()

    def now_sample(self) -> int:
        """The media sample playing now."""
        return self.clock.sample_at(self.loop.time())

    def avatar_busy(self) -> bool:
        """A reply is being prepared or its audio is still queued."""
        return (
            bool(self.reply is not None and self.reply.active) or self.audio_out.buffer.queued > 0
        )

    def next_turn_id(self) -> str:
        """A fresh turn id."""
        self._turn_no += 1
        return f"{self.id}-t{self._turn_no}"

    # --- media (parts of self.media, under the names callers use) -------------------------

    clock = _media_part("clock", "The media clock shared by the outbound tracks.")
    timeline = _media_part("timeline", "The avatar timeline played (a fresh one at the end).")
    echo = _media_part("echo", "The echo guard fed by reply audio sent (None when off).")
    audio_out = _media_part("audio_out", "The reply-audio track (48 kHz).")
    video_out = _media_part("video_out", "The avatar-video track.")

    # --- hearing: decoding --------------------------------------------------------------------

    def _decode(self, audio: np.ndarray, control: DecodeControl) -> Transcript:
        """Decode on an ASR worker thread (``control``: see :class:`DecodeControl`). With the
        session language on ``auto`` the spoken language is detected once and kept (detection
        costs a multilingual encoder pass, too much for every partial); a decode that fails or
        looks unsure forgets it, so a visitor who switches language is detected again on the
        next decode."""
        hearing = self.runtime.hearing
        if self.language != "auto" and hearing.can_hear(self.language):
            language = self.language
        elif self._heard_language is not None:
            language = self._heard_language
        else:
            control.started_s = time.monotonic()  # (the model locks are taken inside)
            result = hearing.transcribe(audio, "auto")
            if result.text:
                self._heard_language = result.language
            return result
        result = hearing.asr_for(language).transcribe(audio, language=language, control=control)
        if self.language == "auto" and (
            not result.text or (result.avg_logprob is not None and result.avg_logprob < -0.9)
        ):
            self._heard_language = None
        return result

    # --- hearing ------------------------------------------------------------------------------

    def _on_decision(self, decision: Decision, t_end: float) -> None:
        if isinstance(decision, Onset):
            self.touch()
            if decision.barge_in and self.avatar_busy():
                self.interrupt(self.listener.earliest_time_of(decision.start_sample))
            self._listening_turn = self.next_turn_id()
            self.listener.vad_ms = 0.0
            self.timeline.set_listening(True, self.now_sample())
            self.set_state("listening")
            self.bus.publish(SpeechStarted(session_id=self.id, sample=decision.start_sample))
        elif isinstance(decision, PartialDue):
            future = self.transcriber.partial(
                self.listener.buffer.slice(decision.start_sample, decision.end_sample)
            )
            if future is not None:
                turn = self._listening_turn
                future.add_done_callback(lambda f: self._partial_done(f, turn))
        elif isinstance(decision, SpeculateFinal):
            span = (decision.start_sample, decision.end_sample)
            self.transcriber.speculate(span, self.listener.buffer.slice(*span))
        elif isinstance(decision, SpeechResumed):
            self.transcriber.resumed()
        elif isinstance(decision, TurnEnded):
            span = (decision.start_sample, decision.end_sample)
            final = self.transcriber.final(span, self.listener.buffer.slice(*span))
            turn_id = self._listening_turn or self.next_turn_id()
            t_eos = self.listener.earliest_time_of(decision.speech_end_sample)
            self.timeline.set_listening(False, self.now_sample())
            self.set_state("thinking")
            self.start_reply(
                turn_id, lambda h: self.turns.speech_turn(h, final, t_eos, t_end, span)
            )

    def _partial_done(self, future: asyncio.Future[Transcript], turn: str | None) -> None:
        if future.cancelled() or future.exception() is not None:
            return
        text = future.result().text
        if text and turn == self._listening_turn and self.state == "listening":
            self.send(
                protocol.transcript_message(text, final=False, language=future.result().language)
            )

    # --- replies ------------------------------------------------------------------------------

    def start_reply(self, turn_id: str, work: Callable[[ReplyHandle], Coroutine[Any, Any, None]]):
        """Run a turn's reply work under a new handle (a previous one is interrupted first)."""
        if self.reply is not None and self.reply.active:
            self.interrupt(None)
        handle = ReplyHandle.start(turn_id, lambda h: self._guard_reply(h, work))
        self.reply = handle
        return handle

    async def _guard_reply(
        self, handle: ReplyHandle, work: Callable[[ReplyHandle], Coroutine[Any, Any, None]]
    ) -> None:
        try:
            await work(handle)
        except asyncio.CancelledError:
            raise
        except (ASRError, TTSError) as exc:
            log.warning("session %s turn %s: %s", self.id, handle.turn_id, exc)
            self.send(protocol.error_message(exc.code, exc.message))
            if self.reply is handle:
                self.set_state("idle")
        except Exception as exc:  # a failure inside a session ends it, not the server
            log.exception("session %s turn %s failed", self.id, handle.turn_id)
            self.runtime.metrics.session_errors.labels(code="internal").inc()
            self.send(protocol.error_message("internal", f"turn failed: {exc}"))
            self.spawn(self.close("internal-error"), "close")

    def interrupt(self, onset_t: float | None) -> None:
        """Barge-in: cancel the reply, flush queued audio, close the mouth, listen.

        Args:
            onset_t: loop time (seconds) the visitor's speech began (reported as
                ``bargein_ms``: onset → audio stopped), or None for a typed interruption.
        """
        handle = self.reply
        reply_id = handle.reply_ids[-1] if handle and handle.reply_ids else ""
        if handle is not None:
            handle.interrupt()
        played = self.audio_out.next_sample
        self.audio_out.flush()
        self.timeline.clear(played)
        self.runtime.metrics.barge_ins.inc()
        self.bus.publish(Interrupted(session_id=self.id, reply_id=reply_id, played_samples=played))
        extra = {}
        if onset_t is not None:
            extra["bargein_ms"] = round((self.loop.time() - onset_t) * 1000.0, 1)
        self.set_state("interrupted", **extra)

    async def handle_message(self, message: protocol.ClientMessage) -> None:
        """A client → server events-socket message: text, keypad, language, handoff."""
        self.touch()
        if isinstance(message, protocol.LanguageMessage):
            self.language = message.language
            self.media.label.set_language(message.language)  # the AI mark in the video
            return
        if isinstance(message, protocol.TextMessage):
            text = message.text
        elif isinstance(message, protocol.KeypadMessage):
            text = message.digits
        else:
            text = "转人工" if self.language == "zh" else "I want to talk to a human"
        if self.endpointer.in_speech:
            self.endpointer.reset()
        self.set_state("thinking")
        self.start_reply(self.next_turn_id(), lambda h: self.turns.text_turn(h, text))

    # --- lifetime -----------------------------------------------------------------------------

    async def _watch_idle(self) -> None:
        timeout = self.runtime.config.server.idle_timeout_s
        connect_s = self.runtime.config.server.connect_timeout_s
        while not self._closing:
            await asyncio.sleep(min(5.0, timeout / 4, connect_s / 4))
            if not self._connected and self.loop.time() - self._created > connect_s:
                self.send(
                    protocol.error_message(
                        "connect-timeout", f"no media connection within {connect_s:.0f} s"
                    )
                )
                await self.close("connect-timeout")
            elif self.avatar_busy() or self.endpointer.in_speech:
                self.touch()
            elif self.loop.time() - self.last_activity > timeout:
                self.send(
                    protocol.error_message("idle-timeout", f"no activity for {timeout:.0f} s")
                )
                await self.close("idle-timeout")

    async def close(self, reason: str = "closed") -> None:
        """End the session: cancel work, stop tracks, close the peer, wipe memory. Idempotent."""
        if self._closing:
            return
        self._closing = True
        t0 = time.perf_counter()
        if self.reply is not None:
            self.reply.interrupt()
        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()
        self.audio_out.flush()
        self.set_state("ended", reason=reason)
        self.audio_out.stop()
        self.video_out.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await self.pc.close()
        self.listener.close()
        try:
            record_dialog(
                self.runtime.audit,
                self.dialog,
                channel="webrtc",
                started=self.started,
                turns=self._turn_no,
                end_reason=reason,
            )
        except SQLAlchemyError:
            log.exception("session %s: audit trail not written", self.id)
        self.dialog.close()
        self.media.reset_timeline()
        metrics = self.runtime.metrics
        metrics.video_frames.inc(self.video_out.frames_sent)
        metrics.video_dropped.inc(self.video_out.frames_dropped)
        self.runtime.give_back_renderer(self.renderer)
        self._on_closed(self)
        self.ended.set()
        video = self.video_out
        log.info(
            "session %s ended (%s) in %.0f ms; video frames sent %d, rendered %d, dropped %d",
            self.id,
            reason,
            (time.perf_counter() - t0) * 1e3,
            video.frames_sent,
            video.frames_rendered,
            video.frames_dropped,
        )

    def timings_extra(self) -> dict[str, float | None]:
        """Mean time per rendered video frame so far (ms), for the ``avatar`` timing."""
        return self.media.timings_extra()

    def stamp_ns(self, t_s: float) -> int:
        """Loop time (seconds) → the events' monotonic ns (both are ``time.monotonic``)."""
        return int(t_s * 1e9) if t_s else now_ns()
