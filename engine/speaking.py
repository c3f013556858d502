"""Saying a reply: TTS sentence by sentence onto a transport's outbox, with the avatar's face.

:class:`Speaker` is shared by the file and the live transport. It synthesizes sentence by
sentence (the TTS providers cut a long first sentence at a clause), resamples each chunk to the
48 kHz media clock, hands it to the :class:`Outbox` and places its visemes on the avatar
timeline at the same media sample, so the first part plays while the rest is synthesized. Each
chunk is published as :class:`~engine.events.TTSAudio` and :class:`~engine.events.VisemeTrack`
inside the ``tts`` stage.

An :class:`Outbox` is where a transport takes the reply: the live session's audio track
(:class:`engine.server.media.SessionMedia`) or the MP4 of ``dhe converse``
(:class:`engine.file_transport.FileOutbox`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from avatar import AvatarTimeline, UnknownEmotionError, UnknownGestureError
from engine.audio.pauses import PauseLimiter
from engine.audio.pcm import MEDIA_RATE_HZ, resample_pcm
from engine.events import Stage, TTSAudio, VisemeTrack
from engine.observers import EventBus
from engine.tts.base import TTSChunk
from engine.voices import Voices

if TYPE_CHECKING:
    from engine.reply import ReplyHandle

log = logging.getLogger(__name__)

#: Stage spans a transport reports when a reply has gone out: stage → (start_ns, end_ns).
Spans = Mapping[Stage, tuple[int, int]]


class Outbox(Protocol):
    """Where a transport takes reply audio and the avatar's face (one per session).

    Samples are on the session's 48 kHz media clock.
    """

    timeline: AvatarTimeline

    @property
    def schedule_end(self) -> int:
        """Media sample at which audio queued now would start."""
        ...

    def enqueue(self, reply_id: str, pcm: np.ndarray, on_start: Callable[[], None]) -> int:
        """Queue int16 (n,) 48 kHz reply audio; returns its start sample. ``on_start`` runs
        when its first sample goes out (live: sent; file: placed)."""
        ...

    async def deliver(self, handle: ReplyHandle, first_chunk_ns: int | None) -> Spans:
        """Wait until the turn's replies have gone out; returns the transport's stage spans
        (live: ``send`` = first chunk queued → first sample sent; file: ``avatar`` render and
        ``send`` encode/mux time)."""
        ...

    def played(self, end_sample: int) -> Awaitable[None]:
        """Resolves once media ``end_sample`` has played."""
        ...

    def timings(self) -> dict[str, float | None]:
        """Transport figures added to each turn's timings (ms), e.g. the mean render time."""
        ...

    def cut(self) -> int:
        """Barge-in: drop the queued reply audio and close the mouth; returns the media sample
        where the reply was cut."""
        ...


def already_played() -> asyncio.Future[None]:
    """A resolved :meth:`Outbox.played` future, for outboxes where nothing plays in real time
    (the file transport)."""
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    done.set_result(None)
    return done


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
    """Speaks replies of one session onto its outbox.

    Args:
        voices: the process's TTS voices (one per language, shared).
        outbox: the session's transport for reply audio and the face.
        bus: the session's event bus (TTSAudio, VisemeTrack, ``tts`` stage events).
        session_id: for events.
    """

    def __init__(self, voices: Voices, outbox: Outbox, bus: EventBus, session_id: str) -> None:
        self.voices = voices
        self.outbox = outbox
        self.bus = bus
        self.session_id = session_id

    def express(self, emotion: str, gesture: str | None) -> None:
        """Set the face for the next reply where its audio will start (a name the avatar does
        not know is logged and skipped: a pack typo must not end the turn)."""
        at = self.outbox.schedule_end
        timeline = self.outbox.timeline
        try:
            timeline.set_emotion(emotion, at)
            if gesture:
                timeline.gesture(gesture, at)
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
        pauses: PauseLimiter | None = None,
        synthesis: AsyncIterator[TTSChunk] | None = None,
    ) -> SpeechTimes:
        """Synthesize ``text`` sentence by sentence and queue it on the outbox.

        Args:
            turn_id: the turn (stage events).
            reply_id: the reply (its chunks carry it).
            text: what to say; language: ``en``/``zh``.
            on_first_audio: runs when the reply's first sample goes out (once per chunk
                queued; callers make it idempotent).
            speaking_rate: 1.0 normal, < 1 slower (the dialog's "speak slower").
            pauses: shortens the long silences of the turn's speech (one per turn, shared by
                its replies, so the joins between them count too); None: none shortened.
            synthesis: the synthesis of ``text`` already under way (a reply prepared ahead
                of the endpoint, :mod:`engine.foresight`); None: it starts here.

        Raises:
            engine.tts.base.TTSError: the voice cannot be loaded or synthesis failed.
            asyncio.CancelledError: the reply was interrupted (generator closed first).
        """
        times = SpeechTimes(end_sample=self.outbox.schedule_end)
        t_say_s = time.monotonic()
        if synthesis is None:
            tts = await asyncio.to_thread(self.voices.for_language, language, speaking_rate)
            synthesis = tts.synthesize(text, language)
        with self.bus.stage(self.session_id, turn_id, "tts"):
            try:
                t0 = time.perf_counter()
                async for chunk in synthesis:
                    times.tts_ms += (time.perf_counter() - t0) * 1000.0
                    voice = np.frombuffer(chunk.pcm, np.int16)
                    visemes = chunk.visemes
                    if pauses is not None:
                        voice, visemes = pauses.limit(voice, chunk.sample_rate, visemes)
                    pcm = resample_pcm(voice.tobytes(), chunk.sample_rate, MEDIA_RATE_HZ)
                    logged = _logged_start(on_first_audio, reply_id, pcm.size, t_say_s)
                    start = self.outbox.enqueue(reply_id, pcm, logged)
                    # the jaw follows the chunk's loudness (its PCM at the visemes' rate)
                    self.outbox.timeline.add_speech(visemes, start, voice)
                    if times.first_chunk_ns is None:
                        times.first_chunk_ns = time.monotonic_ns()
                    times.end_sample = start + pcm.size
                    self._publish(reply_id, pcm, visemes, start)
                    t0 = time.perf_counter()
            finally:
                await synthesis.aclose()  # type: ignore[attr-defined]
        return times

    def _publish(self, reply_id: str, pcm: np.ndarray, visemes: object, start: int) -> None:
        sid = self.session_id
        self.bus.publish(
            TTSAudio(
                session_id=sid,
                reply_id=reply_id,
                pcm=pcm.tobytes(),
                sample_rate=MEDIA_RATE_HZ,
                start_sample=start,
            )
        )
        self.bus.publish(
            VisemeTrack(session_id=sid, reply_id=reply_id, track=visemes, start_sample=start)
        )


def _logged_start(
    on_start: Callable[[], None], reply_id: str, samples: int, t0_s: float
) -> Callable[[], None]:
    """``on_start``, logging (debug) when a chunk was queued and began to play, in ms after
    monotonic ``t0_s`` (the reply's start): a chunk that plays the moment it is queued came
    after the audio ahead of it ran out."""
    queued_ms = (time.monotonic() - t0_s) * 1e3

    def started() -> None:
        playing_ms = (time.monotonic() - t0_s) * 1e3
        log.debug(
            "%s: chunk of %.2f s queued %.0f ms, playing %.0f ms into the reply",
            *(reply_id, samples / MEDIA_RATE_HZ, queued_ms, playing_ms),
        )
        on_start()

    return started
