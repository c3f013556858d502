"""The live perception stage: the visitor's camera → perception events on the session's bus.

:class:`PerceptionStage` is a thin adapter around :class:`~engine.perception.worker.
PerceptionWorker` (MediaPipe and the sans-IO :class:`~engine.perception.core.Perceiver` on one
worker thread). It analyses frames only with **both** the visitor's consent (the events
socket's ``{"type": "camera", "consent": true}``) and a camera track; ``consent: false`` stops
it at once (a frame in flight is discarded, the models are released). Without consent every
frame the track delivers is dropped unread.

Frames are never queued: the track is read as fast as it delivers, and only the newest frame
read is kept (one slot; a newer frame replaces it unread). The analyser takes the slot when it
is free and the pacer (:class:`~engine.perception.pacing.FramePacer`, 5–15 fps adapted to the
analysis' cost) wants a frame; other frames are dropped. So when the event loop falls behind
and frames wait in the track's queue, the backlog is read in one go and the newest of it is
analysed, not the oldest (newcomer16 #4). Pixels never leave the worker thread and are never
stored; what leaves the stage is events (``PresenceChanged``, ``EmotionChanged``,
``GestureDetected`` on the bus), the visitor's lip gap for the speaker gate
(:class:`~engine.server.speaker_gate.GatedDecisions`) and the face's position for the avatar's
gaze.

:class:`VisitorReactions` is the session's subscriber to those events: it asks the sans-IO
policy (:func:`engine.perception.reactions.react`) what to do and does it through the
session's narrow ports (:class:`SeeingPorts`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from engine.config import PerceptionConfig
from engine.events import EmotionChanged, Event, GestureDetected, PresenceChanged, now_ns
from engine.observers import EventBus
from engine.perception.core import PerceptionStep
from engine.perception.mediapipe_models import PerceptionModelError
from engine.perception.reactions import (
    AnswerGesture,
    Express,
    Greet,
    Leave,
    SessionView,
    StopReply,
    react,
)
from engine.perception.worker import PerceptionWorker
from engine.server.speaker_gate import GatedDecisions

log = logging.getLogger(__name__)

#: Spawns one of the session's supervised tasks.
Spawn = Callable[[Coroutine[Any, Any, Any], str], Any]


class PerceptionStage:
    """One session's camera analysis (see the module docstring).

    Args:
        session_id: stamped on the events.
        bus: the session's bus.
        config: the ``perception`` config section.
        spawn: runs a task under the session's supervision (model loading, release).
        gate: the session's speaker gate (fed the visitor's lip gap and presence).
        look: turns the avatar's gaze to ``(x, y)``, fractions of the screen as the visitor
            sees it (``avatar.AvatarTimeline.look_at``).
        clock: the loop's clock (seconds).
        on_frame: called after each frame analysed (a metrics counter).
        on_seen: called after each frame analysed while the visitor is in view (the idle
            watch: someone there answers "are you still there?").
        worker_factory: makes the worker (tests pass one with other models).

    Attributes:
        mood: the visitor's last reported emotion, None when nobody is seen or the camera is
            off (an input to each dialog turn).
        frames_analysed: camera frames analysed so far.
        frames_replaced: frames read with consent that a newer frame replaced unanalysed.
        last_wait_s: how long the last analysed frame waited in the slot (seconds, from its
            read to the start of its analysis).
    """

    def __init__(
        self,
        session_id: str,
        bus: EventBus,
        config: PerceptionConfig,
        spawn: Spawn,
        *,
        gate: GatedDecisions | None = None,
        look: Callable[[float, float], None] | None = None,
        clock: Callable[[], float] | None = None,
        on_frame: Callable[[], None] = lambda: None,
        on_seen: Callable[[], None] = lambda: None,
        worker_factory: Callable[[], PerceptionWorker] | None = None,
    ) -> None:
        self.session_id = session_id
        self.bus = bus
        self.spawn = spawn
        self.gate = gate
        self.look = look
        self.on_frame = on_frame
        self.on_seen = on_seen
        self.present = False  # the visitor is in view (the last presence event said so)
        self.clock = clock or asyncio.get_running_loop().time
        self._factory = worker_factory or (
            lambda: PerceptionWorker(session_id, config.settings(), pacer=config.pacer())
        )
        self.consent = False
        self.mood: str | None = None
        self.frames_analysed = 0
        self.frames_replaced = 0
        self.last_wait_s = 0.0
        self._worker: PerceptionWorker | None = None
        self._ready = False
        self._newest: tuple[Any, float] | None = None  # (frame, read at, loop clock s)
        self._arrived = asyncio.Event()
        self._generation = 0  # bumped when consent is withdrawn: late results are dropped
        self._t0 = self.clock()

    @property
    def running(self) -> bool:
        """Whether frames are being analysed (consent given and the models loaded)."""
        return self.consent and self._ready

    def set_consent(self, consent: bool) -> None:
        """The visitor's answer to the camera notice; ``False`` stops analysis at once."""
        if consent == self.consent:
            return
        self.consent = consent
        if consent:
            self._worker = self._factory()
            self.spawn(self._load(self._worker), "perception-load")
            return
        self._stop()

    def _stop(self) -> None:
        self._generation += 1
        self._ready = False
        self._newest = None
        self.mood = None
        self.present = False
        if self.gate is not None:
            self.gate.gate.reset()
        if self.look is not None:
            self.look(0.5, 0.5)  # eye contact with the screen's centre again
        worker, self._worker = self._worker, None
        if worker is not None:
            self.spawn(worker.close(), "perception-close")

    async def _load(self, worker: PerceptionWorker) -> None:
        try:
            await worker.start()
        except PerceptionModelError as exc:
            log.warning("session %s: camera analysis unavailable: %s", self.session_id, exc)
            return
        if worker is self._worker:
            self._ready = True

    async def run(self, track: MediaStreamTrack) -> None:
        """Read the camera track until it ends; analyse frames as described above."""
        analyser = self.spawn(self._analyse_newest(), "perception-analyser")
        try:
            while True:
                try:
                    frame = await track.recv()
                except MediaStreamError:
                    return
                if not self.running:
                    self._newest = None  # dropped unread
                    continue
                if self._newest is not None:
                    self.frames_replaced += 1
                self._newest = (frame, self.clock())
                self._arrived.set()
        finally:
            self._newest = None
            if isinstance(analyser, asyncio.Task):
                analyser.cancel()

    async def _analyse_newest(self) -> None:
        """Analyse the slot's frame whenever one is there and the pacer wants it."""
        while True:
            await self._arrived.wait()
            self._arrived.clear()
            newest, self._newest = self._newest, None
            worker = self._worker
            if newest is None or worker is None or not self.running:
                continue
            frame, t_s = newest
            t_ms = round((t_s - self._t0) * 1000)
            if not worker.due(t_ms):
                continue
            self.last_wait_s = self.clock() - t_s
            log.debug(
                "session %s: camera frame waited %.1f ms", self.session_id, self.last_wait_s * 1e3
            )
            await self._analyse(worker, frame, t_s, t_ms)

    async def _analyse(self, worker: PerceptionWorker, frame: Any, t_s: float, t_ms: int) -> None:
        generation = self._generation
        step = await worker.analyse_frame(frame, t_ms, int(t_s * 1e9))
        if generation != self._generation:
            return  # consent withdrawn meanwhile: nothing of this frame leaves
        self.frames_analysed += 1
        self.on_frame()
        self._publish(step, t_s)

    def _publish(self, step: PerceptionStep, t_s: float) -> None:
        if self.gate is not None:
            lip_gap = step.visitor.lip_gap if step.visitor is not None else None
            self.gate.gate.frame(t_s, lip_gap)
        for event in step.events:
            if isinstance(event, PresenceChanged):
                self.present = event.present
                if self.gate is not None:
                    self.gate.gate.present = event.present
                if not event.present:
                    self.mood = None
            elif isinstance(event, EmotionChanged):
                self.mood = event.emotion
            # stamped when published, so the bus's events stay in time order
            self.bus.publish(dataclasses.replace(event, t_ns=now_ns()))
        if step.gaze is not None and self.look is not None:
            # the camera faces the visitor: its image is the screen's view mirrored
            self.look(1.0 - step.gaze[0], step.gaze[1])
        if self.gate is not None:
            self.gate.frame_analysed()
        if self.present:
            self.on_seen()

    async def close(self) -> None:
        """Stop analysing and release the models (the session ends)."""
        if self.frames_analysed or self.frames_replaced:
            log.info(
                "session %s: camera frames analysed %d, replaced unread by a newer one %d",
                self.session_id,
                self.frames_analysed,
                self.frames_replaced,
            )
        self.consent = False
        self._generation += 1
        self._ready = False
        self._newest = None
        worker, self._worker = self._worker, None
        if worker is not None:
            await worker.close()


class SeeingPorts(Protocol):
    """What :class:`VisitorReactions` may do to the session."""

    def view(self) -> SessionView:
        """Whether the avatar is busy and whether anything was said yet."""
        ...

    def accepts_gesture(self, name: str) -> bool:
        """Whether the dialog takes gesture ``name`` as the visitor's answer now."""
        ...

    def greet(self) -> None:
        """Say the greeting."""
        ...

    def end(self, reason: str) -> None:
        """End the session (memory wiped)."""
        ...

    def stop_reply(self) -> None:
        """Cut the reply in progress (barge-in)."""
        ...

    def answer_gesture(self, name: str) -> None:
        """Run a dialog turn for gesture ``name``."""
        ...

    def express(self, emotion: str) -> None:
        """Show an avatar expression from now."""
        ...


class VisitorReactions:
    """Bus observer: perception events → the session's reactions
    (:func:`~engine.perception.reactions.react`)."""

    def __init__(self, ports: SeeingPorts) -> None:
        self.ports = ports

    def __call__(self, event: Event) -> None:
        """Observe one event of the session's bus."""
        if not isinstance(event, PresenceChanged | GestureDetected | EmotionChanged):
            return
        reaction = react(event, self.ports.view(), self.ports.accepts_gesture)
        if reaction is None:
            return
        log.info("session reacts to %s: %s", type(event).__name__, reaction)
        if isinstance(reaction, Greet):
            self.ports.greet()
        elif isinstance(reaction, Leave):
            self.ports.end("visitor-left")
        elif isinstance(reaction, StopReply):
            self.ports.stop_reply()
        elif isinstance(reaction, AnswerGesture):
            self.ports.answer_gesture(reaction.name)
        elif isinstance(reaction, Express):
            self.ports.express(reaction.emotion)
