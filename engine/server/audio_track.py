"""The session's outbound reply audio: 48 kHz speech in 10 ms Opus packets on the media clock.

While the session idles its silence leaves in 60 ms packets of six frames
(:data:`IDLE_SILENCE_FRAMES`; a settled one is resent unencoded,
:data:`~engine.server.opus_packets.SILENCE_SETTLED_PACKETS`).

The track is pulled by aiortc's RTP sender and paced on the session :class:`MediaClock` with
absolute deadlines (aiortc ``mediastreams.py``). It never drops: between replies it sends
digital silence, and when the loop runs late it catches up frame by frame, yielding to the loop
between frames (ICE consent checks are answered there). It encodes Opus itself
(:class:`~engine.server.opus_packets.OpusPackets`, on the event loop: ~0.08 ms a frame) and hands
the sender finished packets, which aiortc sends as they are: 10 ms packets instead of the 20 ms
its own encoder makes, and no hop through the thread pool the video encoder keeps busy. Its
companion, the avatar's video, is :mod:`engine.server.video_track`.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from engine.server.clock import FRAME_SAMPLES, MediaClock, PlayoutBuffer, audio_lead
from engine.server.opus_packets import SILENT_FRAME, OpusPackets

#: Called with (loop seconds the frame plays at the receiver, less the network and its jitter
#: buffer; int16 (480,) samples) for each frame sent.
SentHook = Callable[[float, np.ndarray], None]
#: Frames of silence per packet while the session idles (60 ms; an Opus packet holds up to
#: 120 ms, RFC 6716 section 3.2.5).
IDLE_SILENCE_FRAMES = 6
#: One idle packet's worth of digital silence (read-only, shared).
SILENT_PACKET = np.zeros(IDLE_SILENCE_FRAMES * FRAME_SAMPLES, np.int16)
SILENT_PACKET.flags.writeable = False


class ReplyAudioTrack(MediaStreamTrack):
    """Reply speech out: Opus packets of 480 samples (10 ms) at 48 kHz; silence when nothing
    is queued. A reply's first packets leave :data:`~engine.server.clock.AUDIO_LEAD_S` ahead of
    their deadline (:func:`~engine.server.clock.audio_lead`).

    Args:
        clock: the session media clock (started by the first frame asked for).
        on_sent: observer of each frame leaving (echo guard, metrics); must be cheap.
    """

    kind = "audio"

    def __init__(self, clock: MediaClock, on_sent: SentHook | None = None) -> None:
        super().__init__()
        self.clock = clock
        self.buffer = PlayoutBuffer()
        self.next_sample = 0  # media sample of the next frame to send
        #: Send silence in place of the queued audio (which still plays out on the clock):
        #: a possible barge-in is being confirmed (engine.server.endpointing.OnsetPending).
        self.held = False
        self.lead_s = 0.0  # how far ahead of the clock the last frame left
        #: The session idles (no turn under way; set on its state events): silence leaves
        #: in packets of :data:`IDLE_SILENCE_FRAMES` frames.
        self.idle = False
        self._opus = OpusPackets()
        self._on_sent = on_sent
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._pending: deque[av.Packet] = deque()  # packets to send before anything else

    @property
    def schedule_end(self) -> int:
        """Media sample at which audio queued now would start playing."""
        return self.next_sample + self.buffer.queued

    def enqueue(
        self, reply_id: str, pcm: np.ndarray, on_start: Callable[[], None] | None = None
    ) -> int:
        """Queue reply audio (int16 (n,), 48 kHz); returns its start sample on the media clock."""
        start = self.schedule_end
        self.buffer.put(reply_id, pcm, on_start)
        return start

    def flush(self) -> int:
        """Barge-in: drop queued audio (the next frame is silence); returns samples dropped."""
        return self.buffer.flush()

    def played(self, sample: int) -> asyncio.Future[None]:
        """A future resolved once media ``sample`` has been sent."""
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.next_sample >= sample:
            fut.set_result(None)
        else:
            self._waiters.append((sample, fut))
        return fut

    async def recv(self) -> av.Packet:
        """The next 10 ms Opus packet (60 ms of silence while the session idles), released at
        its deadline on the media clock (less the lead).

        Raises:
            MediaStreamError: the track was stopped.
        """
        if self.readyState != "live":
            raise MediaStreamError
        loop = asyncio.get_running_loop()
        self.clock.ensure_started(loop.time())
        self.lead_s = audio_lead(self.lead_s, self.buffer.queued > 0)
        due = self.clock.deadline(self.next_sample) - self.lead_s
        # Suspend even when the frame is due: aiortc's sender (``RTCRtpSender._run_rtp``) sends
        # what recv returns without awaiting anything that suspends, so a track behind its clock
        # that returned at once held the event loop for its whole catch-up. On a starved server
        # that was 4 s at a time (asyncio debug, load 18): the browser's ICE consent checks went
        # unanswered, its connection turned "disconnected" and the page dropped the session
        # (newcomer14 #6). One turn of the loop per packet (~10 µs) lets them through.
        await asyncio.sleep(max(0.0, due - loop.time()))
        if self._pending:  # frames of idle silence that could not share a packet
            return self._sent(self._pending.popleft(), SILENT_FRAME)
        if self.idle and not self.buffer.queued:
            # While the session idles, IDLE_SILENCE_FRAMES frames of silence leave as one
            # packet: a sixth of the packets (and of aiortc's per-packet Python: RTP, SRTP, a
            # send). No reply audio waits behind it: a turn starts by leaving ``idle``.
            for _ in range(IDLE_SILENCE_FRAMES - 1):
                self.lead_s = audio_lead(self.lead_s, False)
            self._pending.extend(self._opus.encode_silence(self.next_sample, IDLE_SILENCE_FRAMES))
            if len(self._pending) == 1:
                return self._sent(self._pending.popleft(), SILENT_PACKET)
            return self._sent(self._pending.popleft(), SILENT_FRAME)
        pcm, _ids = self.buffer.take(FRAME_SAMPLES)
        if self.held:
            pcm = np.zeros_like(pcm)
        return self._sent(self._opus.encode(pcm, self.next_sample), pcm)

    def _sent(self, packet: av.Packet, pcm: np.ndarray) -> av.Packet:
        """Account ``packet`` (carrying int16 ``pcm``) as sent from :attr:`next_sample` on."""
        # The echo guard's clock is the media clock: the lead (≤ 40 ms) is within the lags
        # it searches.
        if self._on_sent is not None:
            self._on_sent(self.clock.deadline(self.next_sample), pcm)
        self.next_sample += pcm.size
        if self._waiters:
            due = [w for w in self._waiters if w[0] <= self.next_sample]
            self._waiters = [w for w in self._waiters if w[0] > self.next_sample]
            for _, fut in due:
                if not fut.done():
                    fut.set_result(None)
        return packet

    def stop(self) -> None:
        """End the track; pending :meth:`played` futures are cancelled."""
        for _, fut in self._waiters:
            fut.cancel()
        self._waiters.clear()
        super().stop()
        # The encoder's frame converter (a filter graph: a pool of FFmpeg worker threads, one
        # per CPU) goes now, not when the cyclic GC reaches the closed session (fixes18: ~6
        # threads per closed session lingered); a fresh encoder holds none until it encodes.
        self._pending.clear()
        self._opus = OpusPackets()
