"""A scripted camera for the loopback tests and benchmarks: an aiortc video track that shows
what the test tells it to — a still picture, a clip in step with the clock, an empty room.

:class:`CameraTrack` sends frames at ``fps`` paced on absolute time (aiortc's pattern: frame
``n`` at ``start + n / fps``), each with its pts on the 90 kHz RTP clock. :meth:`CameraTrack.show`
switches the scene; a clip's frame is picked by the time since the scene started, so a clip
and audio queued for the same loop time stay together. Also: :func:`still`, :func:`clip` and
:func:`blank` make scenes from files, and :func:`write_y4m` writes a scene sequence as the
YUV4MPEG2 file Chromium's fake camera plays (``--use-file-for-fake-video-capture``).
"""

from __future__ import annotations

import asyncio
import fractions
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from PIL import Image, ImageOps

from tests.support.pacing import wait_for_frame

RTP_VIDEO_HZ = 90_000


@dataclass(frozen=True, slots=True)
class Scene:
    """What the camera sees: uint8 ``(H, W, 3)`` RGB frames at ``fps`` (one frame: a still);
    ``loop`` replays a clip, else its last frame stays."""

    frames: tuple[np.ndarray, ...]
    fps: float = 25.0
    loop: bool = False

    def at(self, seconds: float) -> np.ndarray:
        """The frame ``seconds`` after the scene started: RGB uint8 ``(H, W, 3)``."""
        i = int(max(0.0, seconds) * self.fps)
        n = len(self.frames)
        return self.frames[i % n if self.loop else min(i, n - 1)]

    @property
    def seconds(self) -> float:
        """The clip's length."""
        return len(self.frames) / self.fps


def _even(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    return np.ascontiguousarray(rgb[: h - h % 2, : w - w % 2])


def still(path: Path, size: tuple[int, int] | None = None) -> Scene:
    """A picture held still (EXIF orientation applied), optionally letterboxed into ``size``
    (width, height) on a grey background."""
    with Image.open(path) as image:
        rgb = np.asarray(ImageOps.exif_transpose(image).convert("RGB"))
    if size is not None:
        rgb = _letterbox(rgb, size)
    return Scene((_even(rgb),))


def _letterbox(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    width, height = size
    h, w = rgb.shape[:2]
    scale = min(width / w, height / h)
    resized = np.asarray(
        Image.fromarray(rgb).resize((max(2, round(w * scale)), max(2, round(h * scale))))
    )
    canvas = np.full((height, width, 3), 128, np.uint8)
    y0, x0 = (height - resized.shape[0]) // 2, (width - resized.shape[1]) // 2
    canvas[y0 : y0 + resized.shape[0], x0 : x0 + resized.shape[1]] = resized
    return canvas


def clip(path: Path, *, start_s: float = 0.0, end_s: float | None = None) -> Scene:
    """A video file's frames from ``start_s`` to ``end_s`` at its own frame rate."""
    frames = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate or 25)
        for frame in container.decode(stream):
            t = float(frame.pts * stream.time_base) if frame.pts is not None else 0.0
            if t < start_s or (end_s is not None and t >= end_s):
                continue
            frames.append(_even(frame.to_ndarray(format="rgb24")))
    return Scene(tuple(frames), fps)


def blank(size: tuple[int, int] = (640, 480)) -> Scene:
    """An empty room: a plain grey frame."""
    return Scene((np.full((size[1], size[0], 3), 128, np.uint8),))


def write_y4m(
    path: Path, scenes: list[tuple[Scene, float]], size: tuple[int, int], fps: int = 10
) -> Path:
    """Write each ``(scene, seconds)`` in turn — a still held, a clip then its last frame —
    letterboxed to ``size`` (width, height), as a YUV4MPEG2 file (I420) at ``fps``: what
    Chromium's fake camera plays, in a loop. (Uncompressed: 320×240 at 10 fps is 1.1 MB a
    second.)"""
    with av.open(str(path), "w", format="yuv4mpegpipe") as out:
        stream = out.add_stream("rawvideo", rate=fps)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        for scene, seconds in scenes:
            for n in range(round(seconds * fps)):
                rgb = _letterbox(scene.at(n / fps), size)
                frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
                for packet in stream.encode(frame.reformat(format="yuv420p")):
                    out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


class CameraTrack(MediaStreamTrack):
    """The visitor's camera, showing :class:`Scene` s on command (see the module docstring).

    Args:
        scene: what it shows first (default: an empty room).
        fps: frames sent per second.
    """

    kind = "video"

    def __init__(self, scene: Scene | None = None, fps: float = 15.0) -> None:
        super().__init__()
        self.fps = fps
        self._scene = scene or blank()
        self._scene_start: float | None = None
        self._start: float | None = None
        self._n = 0

    def show(self, scene: Scene, at: float | None = None) -> float:
        """Show ``scene`` from loop time ``at`` (default now); returns that time."""
        loop = asyncio.get_running_loop()
        self._scene, self._scene_start = scene, at if at is not None else loop.time()
        return self._scene_start

    async def recv(self) -> av.VideoFrame:
        """The next RGB frame of the scene, paced at ``fps`` on the loop clock from the first
        call (absolute times, no drift), ``pts`` on the 90 kHz RTP video clock.

        Raises:
            MediaStreamError: the track was stopped.
        """
        if self.readyState != "live":
            raise MediaStreamError
        self._start = await wait_for_frame(self._start, self._n, 1 / self.fps)
        now = asyncio.get_running_loop().time()
        if self._scene_start is None:
            self._scene_start = now
        frame = av.VideoFrame.from_ndarray(self._scene.at(now - self._scene_start), format="rgb24")
        frame.pts = round(self._n * RTP_VIDEO_HZ / self.fps)
        frame.time_base = fractions.Fraction(1, RTP_VIDEO_HZ)
        self._n += 1
        return frame
