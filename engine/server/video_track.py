"""The session's outbound avatar video: the face rendered on the media clock, paced to leave
with the reply audio of its media time.

While the session idles it sends at half its frame rate (:data:`IDLE_FRAME_STRIDE`). The track
is pulled by aiortc's RTP sender and paced on the session :class:`MediaClock` with absolute
deadlines (aiortc ``mediastreams.py``). It renders ``timeline.pose_at(sample)`` on the
renderer's GL thread (never on the event loop), converts each new image to yuv420p once on a
worker thread (repeated images are resent as they are), and skips frames whose time has passed
(``plan_video_frame``): video yields, audio (:mod:`engine.server.audio_track`) does not. Each
frame's work starts early enough that it leaves with the audio of its media time
(:func:`~engine.server.clock.video_lead`).
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
        #: Recent rendered frames' time from the start of their work to aiortc asking for the
        #: next (it sends a frame's packets before it asks): render, conversion, encode, send
        #: (s). :attr:`resent_s` holds the same for frames that resent the last image (encode
        #: and send only, a few ms): each kind is led by its own, the next frame taken to be
        #: of the last one's kind. One median over both lagged every reply's start: idle
        #: frames are mostly resent, so for the first ~12 rendered frames of speech the lead
        #: left out their render time and each picture left that much after its sound.
        self.pipeline_s: deque[float] = deque(maxlen=PIPELINE_FRAMES)
        self.resent_s: deque[float] = deque(maxlen=PIPELINE_FRAMES)
        self._rendered = False  # the last frame's image was rendered (not resent)
        self.lead_s = 0.0  # how long before its deadline the last frame's work started
        self._work_start: float | None = None
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

    async def recv(self) -> av.VideoFrame:
        """The next frame at its deadline (late frames skipped).

        Raises:
            MediaStreamError: the track was stopped.
        """
        if self.readyState != "live":
            raise MediaStreamError
        loop = asyncio.get_running_loop()
        now = loop.time()
        if self._work_start is not None:  # the frame before has been sent
            self._pipeline(self._rendered).append(now - self._work_start)
        start = self.clock.ensure_started(now)
        audio = self._audio_lead() if self._audio_lead is not None else 0.0
        self.lead_s = video_lead(audio, self._pipeline(self._rendered))
        slot = plan_video_frame(now, start, self.fps, self.next_index, self.lead_s)
        if slot.wait_s > 0:
            await asyncio.sleep(slot.wait_s)
        self._work_start = loop.time()
        self.frames_dropped += slot.dropped
        # posed at the middle of its interval on screen, as the MP4's frames are (posed at
        # its start, the mouth lagged the sound by half a frame on average)
        sample = frame_sample(slot.index, MEDIA_RATE_HZ // self.fps)
        pending = self._render(sample)
        self._rendered = pending is not None
        if pending is not None:
            t0 = time.perf_counter()
            rgb = await pending
            self.render_ms_total += (time.perf_counter() - t0) * 1000.0
            self.frames_rendered += 1
            if self._stamp is not None:
                self._stamp(rgb)
            self._last = await asyncio.to_thread(self._yuv.convert, rgb)
        if self._last is None:  # nothing rendered yet: a black frame keeps the pace
            self._last = self._yuv.convert(np.zeros((self.height, self.width, 3), np.uint8))
        # A repeated image is the same converted frame sent again (aiortc's sender encodes one
        # frame before it asks for the next, so retiming it is safe); a keyframe request on
        # the previous send must not stick to it.
        frame = self._last
        frame.pict_type = av.video.frame.PictureType.NONE
        frame.pts = slot.index * VIDEO_CLOCK_HZ // self.fps
        frame.time_base = VIDEO_TIME_BASE
        self.next_index = slot.index + (IDLE_FRAME_STRIDE if self.idle else 1)
        self.frames_sent += 1
        return frame

    def _pipeline(self, rendered: bool) -> deque[float]:
        """The recent pipeline times (s) of rendered frames, or of frames that resent the
        last image."""
        return self.pipeline_s if rendered else self.resent_s
