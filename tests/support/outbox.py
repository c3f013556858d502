"""An outbox with no device behind it: the turn runner's reply audio kept in memory.

:class:`MemoryOutbox` is the file transport without rendering or muxing — reply audio is placed
on a 48 kHz media clock as it is synthesized and "goes out" at once — so the turn loop can be
tested without EGL, an MP4 or a peer connection. It implements :class:`engine.speaking.Outbox`
completely; nothing in it pretends to be something else.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import numpy as np

from avatar import AvatarTimeline
from engine.audio.pcm import MEDIA_RATE_HZ
from engine.reply import ReplyHandle
from engine.speaking import Spans, already_played


class MemoryOutbox:
    """Reply audio placed on a media clock in memory.

    Attributes:
        timeline: the avatar timeline the replies' visemes go on.
        chunks: ``(reply_id, start_sample, pcm)`` per chunk queued.
        cuts: media samples where replies were cut.
    """

    def __init__(self) -> None:
        self.timeline = AvatarTimeline(MEDIA_RATE_HZ)
        self.chunks: list[tuple[str, int, np.ndarray]] = []
        self.cuts: list[int] = []
        self.clock = 0

    @property
    def schedule_end(self) -> int:
        """Media sample after the last chunk."""
        return self.clock

    def enqueue(self, reply_id: str, pcm: np.ndarray, on_start: Callable[[], None]) -> int:
        """Keep ``pcm`` (int16 (n,), 48 kHz) at the clock, in samples; it goes out at once."""
        start = self.clock
        self.chunks.append((reply_id, start, pcm))
        self.clock += pcm.size
        on_start()
        return start

    async def deliver(self, handle: ReplyHandle, first_chunk_ns: int | None) -> Spans:
        """Nothing to render or send."""
        return {}

    def played(self, end_sample: int) -> asyncio.Future[None]:
        """Already played: nothing plays in real time."""
        return already_played()

    def timings(self) -> dict[str, float | None]:
        """No transport figures."""
        return {}

    def cut(self) -> int:
        """Note the cut; nothing is queued ahead of the clock."""
        self.cuts.append(self.clock)
        return self.clock
