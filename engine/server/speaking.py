"""Saying a reply on a session's tracks, and the handle that cancels it (barge-in).

:class:`ReplyHandle` is one cancel scope per visitor turn (LiveKit's ``SpeechHandle``): dialog,
TTS and the audio queueing of that turn run in its task; ``interrupt`` cancels the task — TTS
generators close, the sentence in flight is abandoned — and the session flushes the audio queue
and clears the timeline, so no audio of the cancelled reply can be queued afterwards.

:class:`Speaker` synthesizes sentence by sentence (the TTS providers cut a long first sentence
at a clause), resamples to 48 kHz, queues each chunk on the audio track and places its visemes
on the avatar timeline at the same media sample, so the first part plays while the rest is
synthesized.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from avatar import AvatarTimeline, UnknownEmotionError, UnknownGestureError
from engine.events import TTSAudio, VisemeTrack
from engine.observers import EventBus
from engine.server.clock import MEDIA_RATE_HZ
from engine.server.tracks import ReplyAudioTrack
from engine.show import resample_pcm
from engine.voices import Voices

log = logging.getLogger(__name__)

#: Dialog gestures the avatar names differently.
GESTURE_ALIASES = {"wave": "greet"}


@dataclass(slots=True)
class ReplyHandle:
    """One turn's reply work: a task to await or cancel.

    Attributes:
        turn_id: the visitor turn this answers.
        task: the task running dialog + TTS + queueing.
        reply_ids: replies already announced (their audio may be queued).
        interrupted: set by :meth:`interrupt`.
    """

    turn_id: str
    reply_ids: list[str] = field(default_factory=list)
    interrupted: bool = False
    task: asyncio.Task[None] | None = None

    @classmethod
    def start(
        cls, turn_id: str, work: Callable[[ReplyHandle], Coroutine[Any, Any, None]]
    ) -> ReplyHandle:
        """Run ``work(handle)`` in a new task and return the handle."""
        handle = cls(turn_id)
        handle.task = asyncio.create_task(work(handle), name=f"reply-{turn_id}")
        return handle

    @property
    def active(self) -> bool:
        """True until the task finished or was cancelled."""
        return self.task is not None and not self.task.done()

    def interrupt(self) -> None:
        """Cancel the turn's work (idempotent)."""
        self.interrupted = True
        if self.task is not None:
            self.task.cancel()


@dataclass(slots=True)
class SpeechTimes:
    """What saying one reply took.

    Attributes:
        tts_ms: time spent waiting for synthesized chunks (ms).
        first_chunk_ns: monotonic ns when the first chunk was queued (None if none).
        end_sample: media sample where the reply's audio ends.
    """

    tts_ms: float = 0.0
    first_chunk_ns: int | None = None
    end_sample: int = 0


class Speaker:
    """Queues reply speech on one session's audio track and avatar timeline.

    Args:
        voices: the process's TTS voices (one per language, shared).
        audio: the session's outbound audio track.
        timeline: the session's avatar timeline (48 kHz media clock).
        bus: the session's event bus (TTSAudio, VisemeTrack, stage events).
        session_id: for events.
    """

    def __init__(
        self,
        voices: Voices,
        audio: ReplyAudioTrack,
        timeline: AvatarTimeline,
        bus: EventBus,
        session_id: str,
    ) -> None:
        self.voices = voices
        self.audio = audio
        self.timeline = timeline
        self.bus = bus
        self.session_id = session_id

    def express(self, emotion: str, gesture: str | None) -> None:
        """Set the face for the next reply at the point its audio will start."""
        at = self.audio.schedule_end
        try:
            self.timeline.set_emotion(emotion, at)
            if gesture:
                self.timeline.gesture(GESTURE_ALIASES.get(gesture, gesture), at)
        except (UnknownEmotionError, UnknownGestureError) as exc:
            log.warning("avatar cannot show it: %s", exc)

    async def say(
        self,
        turn_id: str,
        reply_id: str,
        text: str,
        language: str,
        on_first_audio: Callable[[], None],
        *,
        speaking_rate: float = 1.0,
    ) -> SpeechTimes:
        """Synthesize ``text`` sentence by sentence and queue it.

        Args:
            turn_id: the turn (stage events).
            reply_id: the reply (its chunks carry it).
            text: what to say; language: ``en``/``zh``.
            on_first_audio: runs when the reply's first sample is sent (once).
            speaking_rate: 1.0 normal, < 1 slower (the dialog's "speak slower").

        Raises:
            engine.tts.base.TTSError: the voice cannot be loaded or synthesis failed.
            asyncio.CancelledError: the reply was interrupted (generator closed first).
        """
        times = SpeechTimes(end_sample=self.audio.schedule_end)
        tts = await asyncio.to_thread(self.voices.for_language, language, speaking_rate)
        fired = False

        def first() -> None:
            nonlocal fired
            if not fired:
                fired = True
                on_first_audio()

        sid = self.session_id
        with self.bus.stage(sid, turn_id, "tts"):
            chunks = tts.synthesize(text, language)
            try:
                t0 = time.perf_counter()
                async for chunk in chunks:
                    times.tts_ms += (time.perf_counter() - t0) * 1000.0
                    pcm = resample_pcm(chunk.pcm, chunk.sample_rate, MEDIA_RATE_HZ)
                    start = self.audio.enqueue(reply_id, pcm, on_start=first)
                    self.timeline.add_speech(
                        chunk.visemes, start, np.frombuffer(chunk.pcm, np.int16)
                    )
                    if times.first_chunk_ns is None:
                        times.first_chunk_ns = time.monotonic_ns()
                    times.end_sample = start + pcm.size
                    self.bus.publish(
                        TTSAudio(
                            session_id=sid,
                            reply_id=reply_id,
                            pcm=b"",  # the audio itself stays in the track's queue
                            sample_rate=MEDIA_RATE_HZ,
                            start_sample=start,
                        )
                    )
                    self.bus.publish(
                        VisemeTrack(
                            session_id=sid,
                            reply_id=reply_id,
                            track=chunk.visemes,
                            start_sample=start,
                        )
                    )
                    t0 = time.perf_counter()
            finally:
                await chunks.aclose()  # type: ignore[attr-defined]
        return times
