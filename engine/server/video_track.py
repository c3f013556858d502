"""The session's outbound avatar video: the face rendered on the media clock, paced to leave
with the reply audio of its media time.

While the session idles it sends at half its frame rate (:data:`IDLE_FRAME_STRIDE`). The track
is pulled by aiortc's RTP sender and paced on the session :class:`MediaClock` with absolute
deadlines (aiortc ``mediastreams.py``). It renders ``timeline.pose_at(sample)`` on the
renderer's GL thread (never on the event loop), converts each new image to yuv420p once on a
worker thread (repeated images are resent as they are), and skips frames whose time has passed
(``plan_video_frame``): video yields, audio (:mod:`engine.server.audio_track`) does not. Each
frame's work starts early enough that it leaves with the audio of its media time
(:func:`~engine.server.clock.video_lead`). Frames are made on a producer task ahead of
aiortc's sender, at most :data:`RENDER_AHEAD` ready, so the next frame renders while the last
is encoded; the stalest ready frame gives way when the sender falls behind.
:attr:`AvatarVideoTrack.stages` times each frame's wake-up, render, conversion and send.
"""

from __future__ import annotations

import asyncio
import fractions
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from engine.server.clock import MEDIA_RATE_HZ, MediaClock, plan_video_frame, video_lead
from engine.server.video_codec import YuvConverter
from engine.show import frame_sample

VIDEO_CLOCK_HZ = 90_000  # RTP video clock (RFC 3551)
VIDEO_TIME_BASE = fractions.Fraction(1, VIDEO_CLOCK_HZ)


#: Renders the pose for a media sample: (sample) -> awaitable uint8 (H, W, 3), or None when the
#: pose has not visibly changed since the last frame (the last image is sent again).
FrameSource = Callable[[int], "asyncio.Future[np.ndarray] | None"]

#: While the session idles one frame slot in this many is sent (12.5 fps at 25): the idle sway
#: is slow, and each frame sent costs a VP8 encode and aiortc's per-packet Python. The rate
#: stays regular: a variable one (frames sent only when the image changed) left the resting
#: mouth 2.5-5.4 grey levels apart from frame to frame at the receiver (0.05-0.5 at 25 fps).
IDLE_FRAME_STRIDE = 2

#: Frames whose render-to-send time :func:`~engine.server.clock.video_lead` takes the median of.
PIPELINE_FRAMES = 25

#: Frames the producer keeps rendered and converted ahead of aiortc's sender. The sender
#: encodes and sends one frame, then asks for the next; rendered one after another, a frame's
#: render and conversion waited for the last one's encode and send, and the CPU the three
#: threads (GL, worker, encoder) could have used at once went unused, or to other processes
#: when the CPU was short. Two: the next frame is made while one waits and one is encoded.
RENDER_AHEAD = 2

#: Frames whose stage times :attr:`AvatarVideoTrack.stages` keeps (2 minutes at 25 fps).
STAGE_FRAMES = 3000

#: A pose counts as unchanged below these differences: blendshape weight (0–1) and head angle
#: (radians; 0.002 rad moves a 512² head by under half a pixel). Idle sway changes ~0.0005 rad per
#: frame, so idle frames are re-rendered ~4 times less often; speech changes visemes every frame.
POSE_WEIGHT_EPS = 0.02
POSE_ANGLE_EPS = 0.002


def pose_changed(a: Any, b: Any) -> bool:
    """True when :class:`avatar.Pose` ``a`` differs visibly from ``b`` (None counts as changed)."""
    if a is None or b is None:
        return True
    if max(abs(a.yaw - b.yaw), abs(a.pitch - b.pitch), abs(a.roll - b.roll)) > POSE_ANGLE_EPS:
        return True
    for name in a.weights.keys() | b.weights.keys():
        if abs(a.weights.get(name, 0.0) - b.weights.get(name, 0.0)) > POSE_WEIGHT_EPS:
            return True
    return False


class AvatarVideoTrack(MediaStreamTrack):
    """The avatar's face out, ``fps`` frames per second on the media clock (half that while
    the session idles: :attr:`idle`).

    Args:
        clock: the session media clock.
        fps: frames per second (25 by default config).
        render: starts rendering the frame for a media sample; returns an awaitable of
            uint8 (H, W, 3) RGB (the renderer's GL thread does the work), or None to resend the
            last image (pose unchanged).
        size: (width, height) of the frames in pixels.
        stamp: draws overlays (the AI label) into a frame in place.
        audio_lead: the audio track's current lead (seconds; ``ReplyAudioTrack.lead_s``);
            None: the audio is never led.
    """

    kind = "video"

    def __init__(
        self,
        clock: MediaClock,
        fps: int,
        render: FrameSource,
        size: tuple[int, int],
        stamp: Callable[[np.ndarray], None] | None = None,
        audio_lead: Callable[[], float] | None = None,
    ) -> None:
        super().__init__()
        self.width, self.height = size
        self._audio_lead = audio_lead
        #: Recent rendered frames' work: render and conversion (s). :attr:`resent_s` holds the
        #: same for frames that resent the last image (~0): each kind is led by its own (with
        #: aiortc's encode and send, :attr:`stages` ``send``), the next frame taken to be of
        #: the last one's kind. One median over both lagged every reply's start: idle
        #: frames are mostly resent, so for the first ~12 rendered frames of speech the lead
        #: left out their render time and each picture left that much after its sound.
        self.pipeline_s: deque[float] = deque(maxlen=PIPELINE_FRAMES)
        self.resent_s: deque[float] = deque(maxlen=PIPELINE_FRAMES)
        self._rendered = False  # the last frame's image was rendered (not resent)
        self.lead_s = 0.0  # how long before its deadline the last frame's work started
        self.clock = clock
        self.fps = fps
        self._render = render
        self._stamp = stamp
        self.next_index = 0
        #: The session idles (no turn under way; set on its state events): every
        #: :data:`IDLE_FRAME_STRIDE`-th frame slot is sent, at a steady lower rate.
        self.idle = False
        self.frames_sent = 0
        self.frames_dropped = 0
        self.render_ms_total = 0.0
        self.frames_rendered = 0
        self._last: av.VideoFrame | None = None  # the last image, converted for the encoder
        self._yuv = YuvConverter(self.width, self.height)
        #: Where the recent frames' time went (s, :data:`STAGE_FRAMES` each): ``wake`` how late
        #: the loop woke for a frame's start (event-loop stalls), ``render`` waiting for its
        #: image (GL thread queue and render), ``convert`` the yuv420p conversion (worker
        #: thread), ``send`` aiortc's encode and packet send (hand-over to the next ask).
        self.stages: dict[str, deque[float]] = {
            k: deque(maxlen=STAGE_FRAMES) for k in ("wake", "render", "convert", "send")
        }
        self._handed: float | None = None  # when the last frame went to aiortc (loop time)
        #: Frames rendered and converted ahead of aiortc's sender: (index, frame), oldest first.
        self._ready: deque[tuple[int, av.VideoFrame]] = deque()
        self._filled = asyncio.Event()  # a frame was made ready (or the producer ended)
        self._space = asyncio.Event()  # a ready frame was taken
        self._producer: asyncio.Task[None] | None = None
        self._failure: Exception | None = None

    async def recv(self) -> av.VideoFrame:
        """The next frame at its hand-over time (:meth:`_handover`): the oldest ready one whose
        successor is not due yet (staler ones are skipped).

        Raises:
            MediaStreamError: the track was stopped.
            Exception: what rendering the frame raised (the producer ended with it).
        """
        if self.readyState != "live":
            raise MediaStreamError
        loop = asyncio.get_running_loop()
        now = loop.time()
        if self._handed is not None:
            self.stages["send"].append(now - self._handed)
        self.clock.ensure_started(now)
        if self._producer is None:
            self._producer = loop.create_task(self._produce(), name="avatar-video")
        while not self._ready:
            if self._failure is not None:
                raise self._failure
            if self.readyState != "live":
                raise MediaStreamError
            self._filled.clear()
            await self._filled.wait()
        # the stalest frame gives way: one whose successor is due to leave already is skipped
        while len(self._ready) > 1 and self._handover(self._ready[1][0]) <= loop.time():
            self._ready.popleft()
            self.frames_dropped += 1
        index, frame = self._ready.popleft()
        self._space.set()
        wait = self._handover(index) - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        # A repeated image is the same converted frame sent again (aiortc's sender encodes one
        # frame before it asks for the next, so retiming it is safe); a keyframe request on
        # the previous send must not stick to it.
        frame.pict_type = av.video.frame.PictureType.NONE
        frame.pts = index * VIDEO_CLOCK_HZ // self.fps
        frame.time_base = VIDEO_TIME_BASE
        self.frames_sent += 1
        self._handed = loop.time()
        return frame

    def stop(self) -> None:
        """End the track and its producer."""
        super().stop()
        if self._producer is not None:
            self._producer.cancel()
        self._filled.set()  # a recv waiting for a frame sees the track ended
        # FFmpeg's frames and scaler now, not when the cyclic GC reaches the session
        self._ready.clear()
        self._last = None
        self._yuv.release()

    def _send_s(self) -> float:
        """The median time aiortc's encode and packet send took of late (s; 0 before any)."""
        sends = self.stages["send"]
        return float(np.median(sends)) if sends else 0.0

    def _handover(self, index: int) -> float:
        """Loop time at which frame ``index`` goes to aiortc: its deadline less the audio's
        lead and the encode-and-send time, so its packets leave with the audio of its media
        time (:func:`~engine.server.clock.video_lead`)."""
        start = self.clock.start_s or 0.0
        audio = self._audio_lead() if self._audio_lead is not None else 0.0
        return start + index / self.fps - audio - self._send_s()

    async def _produce(self) -> None:
        """Render and convert frames ahead of :meth:`recv`, at most :data:`RENDER_AHEAD`
        ready: each frame's work starts its measured work time before its hand-over time
        (late frames skipped, :func:`~engine.server.clock.plan_video_frame`). While the queue
        is full the oldest ready frame is dropped once the one after it is due (the sender
        fell behind), so the sender is never handed a picture more than a frame old."""
        loop = asyncio.get_running_loop()
        try:
            while self.readyState == "live":
                while len(self._ready) >= RENDER_AHEAD:  # full: wait, or drop the stalest
                    self._space.clear()
                    stale_in = self._handover(self._ready[1][0]) - loop.time()
                    try:
                        await asyncio.wait_for(self._space.wait(), max(0.0, stale_in))
                    except TimeoutError:  # the sender is behind: its next frame is due
                        if len(self._ready) >= RENDER_AHEAD:  # (unless it took one meanwhile)
                            self._ready.popleft()
                            self.frames_dropped += 1
                now = loop.time()
                start = self.clock.ensure_started(now)
                audio = self._audio_lead() if self._audio_lead is not None else 0.0
                work = self._pipeline(self._rendered)
                work_s = float(np.median(work)) if work else 0.0
                self.lead_s = video_lead(audio, [work_s + self._send_s()])
                slot = plan_video_frame(now, start, self.fps, self.next_index, self.lead_s)
                if slot.wait_s > 0:
                    await asyncio.sleep(slot.wait_s)
                t_work = loop.time()
                self.stages["wake"].append(max(0.0, t_work - now - slot.wait_s))
                self.frames_dropped += slot.dropped
                frame, rendered = await self._make(slot.index)
                self._pipeline(rendered).append(loop.time() - t_work)
                self._rendered = rendered
                self._ready.append((slot.index, frame))
                self._filled.set()
                self.next_index = slot.index + (IDLE_FRAME_STRIDE if self.idle else 1)
        except Exception as exc:  # handed to recv, which raises it to aiortc's sender
            self._failure = exc
            self._filled.set()

    async def _make(self, index: int) -> tuple[av.VideoFrame, bool]:
        """Frame ``index`` converted for the encoder, and whether it was rendered (False: the
        last image again, the pose did not visibly move)."""
        # posed at the middle of its interval on screen, as the MP4's frames are (posed at
        # its start, the mouth lagged the sound by half a frame on average)
        sample = frame_sample(index, MEDIA_RATE_HZ // self.fps)
        pending = self._render(sample)
        if pending is not None:
            t0 = time.perf_counter()
            rgb = await pending
            t1 = time.perf_counter()
            self.render_ms_total += (t1 - t0) * 1000.0
            self.stages["render"].append(t1 - t0)
            self.frames_rendered += 1
            if self._stamp is not None:
                self._stamp(rgb)
            self._last = await asyncio.to_thread(self._yuv.convert, rgb)
            self.stages["convert"].append(time.perf_counter() - t1)
        if self._last is None:  # nothing rendered yet: a black frame keeps the pace
            self._last = self._yuv.convert(np.zeros((self.height, self.width, 3), np.uint8))
        return self._last, pending is not None

    def stage_summary(self) -> str:
        """The recent frames' stage times (:attr:`stages`) as text: per stage its mean, p95
        and max in ms, with the frames sent, rendered and skipped so far."""
        parts = [
            f"sent {self.frames_sent}, rendered {self.frames_rendered}, "
            f"skipped {self.frames_dropped}"
        ]
        for name, times in self.stages.items():
            if times:
                ms = np.array(times) * 1e3
                parts.append(f"{name} {ms.mean():.1f}/{np.percentile(ms, 95):.1f}/{ms.max():.0f}")
        return "; ".join(parts) + " (ms mean/p95/max)"

    def _pipeline(self, rendered: bool) -> deque[float]:
        """The recent pipeline times (s) of rendered frames, or of frames that resent the
        last image."""
        return self.pipeline_s if rendered else self.resent_s
