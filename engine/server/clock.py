"""The session media clock, pacing math and the reply playout buffer (sans-IO).

One clock per session: sample 0 of the outbound media plays at ``start_s`` (seconds on the
event loop's monotonic clock). Audio frame ``n`` (480 samples, 10 ms) is due at
``start_s + n * 480 / 48000``, video frame ``i`` at ``start_s + i / fps`` and shows the avatar's
pose at the middle of its interval, media sample ``(i + 1/2) * 48000 / fps``
(:func:`engine.show.frame_sample`): absolute deadlines, so nothing drifts (aiortc's
``AudioStreamTrack``/``VideoStreamTrack`` pattern).

Reply audio may leave a little *ahead* of its deadline (:func:`audio_lead`): a receiver's
jitter buffer releases a frame only once a few more have arrived behind it (aiortc: four), so
when a reply starts after silence its first frames are sent at once and it is heard that much
sooner; between replies the lead drains back to zero. Video frames start their work that lead
plus their own render-to-send time ahead (:func:`video_lead`), so each leaves with the audio of
its media time: a receiver syncs the tracks by when they left (RTCP sender reports).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from engine.audio.pcm import MEDIA_RATE_HZ

__all__ = [
    "AUDIO_LEAD_S",
    "FRAME_SAMPLES",
    "MEDIA_RATE_HZ",
    "MediaClock",
    "PlayoutBuffer",
    "audio_lead",
    "plan_video_frame",
    "video_lead",
]

#: Samples per outbound audio frame and RTP packet: 10 ms at 48 kHz (an Opus frame size,
#: RFC 6716). Half of Opus' usual 20 ms halves the delay of a receiver's jitter buffer, which
#: holds a number of packets (aiortc: four).
FRAME_SAMPLES = 480
#: How far ahead of its deadline reply audio is sent when a reply starts (seconds): the four
#: packets an aiortc receiver holds before it releases the first one. The video leads as much
#: (:func:`video_lead`): led alone, the voice came 40 ms before the lips plus the video's own
#: render-to-send time, past the 45 ms an audience notices (ITU-R BT.1359).
AUDIO_LEAD_S = 0.04
#: The most a video frame's measured pipeline (render, conversion, encode, send) moves its
#: start ahead of its deadline (seconds): a stalled renderer does not push frames further out.
MAX_VIDEO_PIPELINE_S = 0.12
#: How fast the lead drains while no reply audio is queued (seconds per frame sent).
AUDIO_LEAD_DECAY_S = 0.002


def audio_lead(lead_s: float, replying: bool) -> float:
    """How far ahead of the media clock the next audio frame leaves (seconds).

    Args:
        lead_s: the lead of the frame before.
        replying: reply audio is queued (its start is sent at once: the lead jumps to
            :data:`AUDIO_LEAD_S`); otherwise the lead drains by :data:`AUDIO_LEAD_DECAY_S` per
            frame (the silence between replies is sent a little slower than real time).
    """
    if replying:
        return AUDIO_LEAD_S
    return max(0.0, lead_s - AUDIO_LEAD_DECAY_S)


@dataclass(slots=True)
class MediaClock:
    """Start time of a session's outbound media; started by the first track that asks.

    Attributes:
        start_s: loop time (seconds) of media sample 0, None until started.
        rate_hz: samples per second of the media clock.
    """

    start_s: float | None = None
    rate_hz: int = MEDIA_RATE_HZ

    def ensure_started(self, now_s: float) -> float:
        """Start the clock at ``now_s`` unless it runs already; returns ``start_s``."""
        if self.start_s is None:
            self.start_s = now_s
        return self.start_s

    def deadline(self, sample: int) -> float:
        """Loop time (seconds) at which media ``sample`` plays.

        Raises:
            RuntimeError: the clock has not started.
        """
        if self.start_s is None:
            raise RuntimeError("media clock not started")
        return self.start_s + sample / self.rate_hz

    def sample_at(self, now_s: float) -> int:
        """Media sample playing at loop time ``now_s`` (0 before the clock starts)."""
        if self.start_s is None:
            return 0
        return max(0, math.floor((now_s - self.start_s) * self.rate_hz))


@dataclass(frozen=True, slots=True)
class VideoSlot:
    """The next video frame to make: its index, how long to wait for its deadline (seconds,
    0 when due or late) and how many frames were skipped because rendering fell behind."""

    index: int
    wait_s: float
    dropped: int


def plan_video_frame(
    now_s: float, start_s: float, fps: int, next_index: int, lead_s: float = 0.0
) -> VideoSlot:
    """Pick the next frame: ``next_index`` if its time has not passed a whole frame ago, else
    the frame due now (late frames are dropped, never queued: video yields, audio does not).

    Args:
        now_s: current loop time (seconds).
        start_s: the media clock's start (seconds).
        fps: frames per second.
        next_index: the frame after the last one sent.
        lead_s: how long before its deadline a frame's work starts (:func:`video_lead`):
            ``wait_s`` ends ``lead_s`` early, and a frame counts as late that much sooner.
    """
    ahead = now_s + lead_s
    due = math.floor((ahead - start_s) * fps)
    index = max(next_index, due)
    return VideoSlot(index, max(0.0, start_s + index / fps - ahead), index - next_index)


def video_lead(audio_lead_s: float, pipeline_s: Sequence[float]) -> float:
    """How long before its deadline a video frame's work starts (seconds), so that it leaves
    when the audio of its media time leaves.

    A receiver lines the two tracks up by their RTCP sender reports, and aiortc's sender
    reports pair the last packet's RTP timestamp with the time it was sent (aiortc 1.16,
    ``RTCRtpSender._run_rtp``): what matters is when each frame leaves. Audio leaves
    ``audio_lead_s`` ahead of its deadline (:func:`audio_lead`); a video frame leaves after its
    render, conversion and encode (``pipeline_s``). Started at its deadline, the picture
    followed the voice by the lead plus that time: +60 ms at a WebRTC client on a loaded
    2-core machine (``benchmarks/lip_sync_client.py``).

    Args:
        audio_lead_s: the audio track's current lead (seconds).
        pipeline_s: recent frames' time from the start of their work to being sent (seconds;
            their median is used, at most :data:`MAX_VIDEO_PIPELINE_S`; empty: none).
    """
    pipeline = float(np.median(pipeline_s)) if len(pipeline_s) else 0.0
    return audio_lead_s + min(max(0.0, pipeline), MAX_VIDEO_PIPELINE_S)


@dataclass(slots=True)
class _Chunk:
    reply_id: str
    pcm: np.ndarray  # int16 (n,)
    offset: int = 0
    on_start: Callable[[], None] | None = None


@dataclass(slots=True)
class PlayoutBuffer:
    """Reply audio waiting to be played, in order; silence when empty.

    ``take`` hands out exactly ``n`` samples per call (zero-padded), ``flush`` drops everything
    queued (barge-in), ``queued`` says how far ahead audio is scheduled.
    """

    _chunks: deque[_Chunk] = field(default_factory=deque)
    queued: int = 0

    def put(
        self, reply_id: str, pcm: np.ndarray, on_start: Callable[[], None] | None = None
    ) -> None:
        """Queue int16 (n,) 48 kHz samples of ``reply_id``; ``on_start`` runs when the first
        of them is taken."""
        if pcm.size:
            self._chunks.append(_Chunk(reply_id, pcm.astype(np.int16, copy=False), 0, on_start))
            self.queued += int(pcm.size)

    def take(self, n: int) -> tuple[np.ndarray, list[str]]:
        """The next ``n`` samples (int16, zero-padded) and the reply ids they carry."""
        out = np.zeros(n, np.int16)
        ids: list[str] = []
        filled = 0
        while filled < n and self._chunks:
            chunk = self._chunks[0]
            if chunk.offset == 0 and chunk.on_start is not None:
                chunk.on_start()
            k = min(n - filled, chunk.pcm.size - chunk.offset)
            out[filled : filled + k] = chunk.pcm[chunk.offset : chunk.offset + k]
            chunk.offset += k
            filled += k
            if not ids or ids[-1] != chunk.reply_id:
                ids.append(chunk.reply_id)
            if chunk.offset >= chunk.pcm.size:
                self._chunks.popleft()
        self.queued -= filled
        return out, ids

    def flush(self) -> int:
        """Drop all queued audio; returns the number of samples dropped."""
        dropped = self.queued
        self._chunks.clear()
        self.queued = 0
        return dropped
