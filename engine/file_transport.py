"""The file transport's two ports for ``dhe converse`` (:mod:`engine.converse`): the
:class:`FileOutbox`, where reply audio is placed on the MP4's media clock and the frames are
rendered and muxed turn by turn, and the :class:`RecordedUtterance`, the hearing stage of one
recorded turn. The realtime server's counterparts are :mod:`engine.server.media` and
:mod:`engine.server.turn_taking`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from avatar import AvatarTimeline
from engine.events import now_ns
from engine.hearing import Hearing
from engine.observers import EventBus
from engine.reply import ReplyHandle
from engine.show import Show
from engine.speaking import Spans, already_played
from engine.turns import Heard

#: Silence (ms) before the first turn, between a turn's replies and the next turn, and after
#: the last turn of the MP4.
LEAD_IN_MS = 400.0
BETWEEN_REPLIES_MS = 600.0
TAIL_MS = 400.0


class FileOutbox:
    """The MP4's side of a file session (the file transport's :class:`~engine.speaking.Outbox`):
    reply audio is placed on the show's media clock as it is synthesized; when a turn's replies
    are all placed, a pause is added and the frames up to it are rendered and muxed.

    Args:
        show: the session's media clock, timeline, renderer and MP4 writer.
    """

    def __init__(self, show: Show) -> None:
        self.show = show

    @property
    def timeline(self) -> AvatarTimeline:
        """The avatar timeline the MP4 shows."""
        return self.show.timeline

    @property
    def schedule_end(self) -> int:
        """Media sample at which audio placed now starts (the show's clock)."""
        return self.show.clock

    def enqueue(self, reply_id: str, pcm: np.ndarray, on_start: Callable[[], None]) -> int:
        """Place int16 (n,) 48 kHz audio at the clock; it "goes out" at once (``on_start``)."""
        start = self.show.place(pcm)
        on_start()
        return start

    async def deliver(self, handle: ReplyHandle, first_chunk_ns: int | None) -> Spans:
        """Pause, then render and mux up to the clock: the ``avatar`` (render) and ``send``
        (encode/mux) spans."""
        self.show.pause(BETWEEN_REPLIES_MS)
        start_ns = now_ns()
        times = await asyncio.to_thread(self.show.flush)
        return {
            "avatar": (start_ns, start_ns + int(times.render_ms * 1e6)),
            "send": (start_ns, start_ns + int(times.encode_ms * 1e6)),
        }

    def played(self, end_sample: int) -> asyncio.Future[None]:
        """Already resolved: a file plays nothing in real time."""
        return already_played()

    def timings(self) -> dict[str, float | None]:
        """No transport figures beyond the spans."""
        return {}

    def cut(self) -> int:
        """Nothing is queued ahead of the clock: the cut is at the clock."""
        return self.show.clock


@dataclass(slots=True)
class RecordedUtterance:
    """The file transport's hearing stage for one recorded turn
    (:class:`engine.turns.Utterance`): VAD, endpointing and ASR over the whole clip on a worker
    thread, publishing their events (:meth:`engine.hearing.Hearing.hear`).

    Attributes:
        hearing: the process's VAD and ASR models.
        audio: float32 (n,), 16 kHz mono.
        language: ``auto``, ``en`` or ``zh``.
        bus, session_id, turn_id: for events.
        awaited: the slot type the dialog's question waits for (a ``digits`` question
            biases the decode: :meth:`engine.hearing.Hearing.prompt_for`).
        code: the dialog waits for the one-time code: its transcript is logged with every
            number hidden whole (review19: ``dhe converse -v`` logged a spoken code in clear).
    """

    hearing: Hearing
    audio: np.ndarray
    language: str
    bus: EventBus
    session_id: str
    turn_id: str
    awaited: str | None = None
    code: bool = False

    async def hear(self) -> Heard:
        """The clip, transcribed (transcript None when VAD found no speech).

        Raises:
            engine.asr.whisper.ASRError: model missing or decode failure.
        """
        heard = await asyncio.to_thread(
            self.hearing.hear,
            self.audio,
            self.language,
            self.bus,
            self.session_id,
            self.turn_id,
            self.awaited,
            self.code,
        )
        return Heard(heard.transcript)
