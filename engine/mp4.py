"""MP4 output for file-to-file runs: H.264 video and AAC audio muxed by PyAV on one clock.

Video frame ``i`` has pts ``i`` in a ``1/fps`` time base; audio sample ``n`` has pts ``n`` in a
``1/sample_rate`` time base, so both streams count from the same zero and
``samples_per_frame = sample_rate / fps`` keeps them locked (48 000 / 25 = 1920).
"""

from __future__ import annotations

import contextlib
from fractions import Fraction
from pathlib import Path

import av
import numpy as np


class MP4Writer:
    """Write ``(H, W, 3) uint8`` RGB frames and int16 mono PCM into one MP4.

    Args:
        path: output file (overwritten). Written to ``path + ".partial"`` first and renamed on
            :meth:`close`, so a failed run leaves no half file under the requested name.
        width, height: frame size in pixels (even numbers, as yuv420p requires).
        fps: video frame rate (frames per second).
        sample_rate: audio rate in Hz.
        crf: x264 constant rate factor (lower = better quality; 23 is x264's default).

    Raises:
        ValueError: odd frame size.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        width: int,
        height: int,
        fps: int = 25,
        sample_rate: int = 48_000,
        crf: int = 23,
    ) -> None:
        if width % 2 or height % 2:
            raise ValueError(f"frame size must be even for yuv420p, got {width}x{height}")
        self.path = Path(path)
        self._partial = self.path.with_name(self.path.name + ".partial")
        self._container = av.open(str(self._partial), mode="w", format="mp4")
        self._video = self._container.add_stream("libx264", rate=fps)
        self._video.width = width
        self._video.height = height
        self._video.pix_fmt = "yuv420p"
        self._video.options = {"crf": str(crf), "preset": "veryfast", "tune": "animation"}
        self._audio = self._container.add_stream("aac", rate=sample_rate)
        self._audio.layout = "mono"
        self.fps = fps
        self.sample_rate = sample_rate
        self.frames_written = 0
        self.samples_written = 0
        self._closed = False

    def write_frame(self, rgb: np.ndarray) -> None:
        """Append one video frame: ``(H, W, 3) uint8`` RGB."""
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        frame.pts = self.frames_written
        frame.time_base = Fraction(1, self.fps)
        self._container.mux(self._video.encode(frame))
        self.frames_written += 1

    def write_audio(self, pcm: np.ndarray) -> None:
        """Append audio: int16 (n,) mono at ``sample_rate``."""
        if pcm.size == 0:
            return
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(pcm, dtype=np.int16).reshape(1, -1), format="s16", layout="mono"
        )
        frame.sample_rate = self.sample_rate
        frame.pts = self.samples_written
        frame.time_base = Fraction(1, self.sample_rate)
        self._container.mux(self._audio.encode(frame))
        self.samples_written += pcm.size

    def close(self) -> Path:
        """Flush encoders, finish the file and move it into place; returns the final path."""
        if not self._closed:
            self._closed = True
            self._container.mux(self._video.encode(None))
            self._container.mux(self._audio.encode(None))
            self._container.close()
            self._partial.replace(self.path)
        return self.path

    def abort(self) -> None:
        """Stop without producing a file (removes the partial output)."""
        if not self._closed:
            self._closed = True
            with contextlib.suppress(av.FFmpegError):
                self._container.close()
            self._partial.unlink(missing_ok=True)
