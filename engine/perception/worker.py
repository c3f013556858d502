"""Perception off the event loop: one worker thread per session runs the models and the core.

The thin adapter between a frame source (the live camera track, a file) and the sans-IO
:class:`~engine.perception.core.Perceiver`. MediaPipe's video mode keeps tracking state and
must be called from one thread in timestamp order, so each worker owns a single-thread
executor; the event loop only awaits its futures. Frames arriving while the pacer says "not
yet" are dropped without being copied; a frame in flight blocks nothing but the next frame.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import av
import numpy as np

from engine.perception.core import Perceiver, PerceptionSettings, PerceptionStep
from engine.perception.mediapipe_models import MediaPipePerception, ModelPaths
from engine.perception.pacing import FramePacer

#: Camera frames wider than this are scaled down before analysis (pixels): MediaPipe's
#: detectors see 128–256 px inputs anyway, and converting a smaller frame costs less.
MAX_WIDTH = 640


def rgb_of(frame: av.VideoFrame, max_width: int = MAX_WIDTH) -> np.ndarray:
    """A decoded video frame as uint8 ``(H, W, 3)`` RGB, at most ``max_width`` wide (aspect
    kept, even size), scaled and converted in one pass (FFmpeg swscale)."""
    if frame.width <= max_width:
        return frame.to_ndarray(format="rgb24")
    height = max(2, round(frame.height * max_width / frame.width / 2) * 2)
    return frame.reformat(width=max_width, height=height, format="rgb24").to_ndarray()


class PerceptionWorker:
    """Models + core for one session, run on a dedicated thread.

    Args:
        session_id: stamped on the events.
        settings: core tunables.
        pacer: analysis rate control (default 5–15 fps, half a core at most).
        paths: MediaPipe task files (default: the unpacked models).
    """

    def __init__(
        self,
        session_id: str,
        settings: PerceptionSettings | None = None,
        *,
        pacer: FramePacer | None = None,
        paths: ModelPaths | None = None,
    ) -> None:
        self.perceiver = Perceiver(session_id, settings or PerceptionSettings())
        self.pacer = pacer or FramePacer()
        self.frames_analysed = 0
        self._paths = paths
        self._models: MediaPipePerception | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dhe-perception")
        self._last_t_ms = -1

    async def start(self) -> None:
        """Load the models on the worker thread.

        Raises:
            engine.perception.mediapipe_models.PerceptionModelError: model files missing.
        """
        loop = asyncio.get_running_loop()
        self._models = await loop.run_in_executor(
            self._executor, lambda: MediaPipePerception(self._paths, mode="video")
        )

    def due(self, t_ms: int) -> bool:
        """Whether a frame at stream time ``t_ms`` would be analysed now (cheap; call first)."""
        return t_ms > self._last_t_ms and self.pacer.due(t_ms)

    async def analyse(self, rgb: np.ndarray, t_ms: int) -> PerceptionStep:
        """Run models and core on one frame (uint8 ``(H, W, 3)`` RGB) off the event loop.

        Raises:
            RuntimeError: :meth:`start` was not awaited.
        """
        return await self._run(lambda: rgb, t_ms)

    async def analyse_frame(self, frame: av.VideoFrame, t_ms: int, t_ns: int) -> PerceptionStep:
        """Like :meth:`analyse` for a decoded camera frame, converted to RGB on the worker
        thread (:func:`rgb_of`); the events are stamped ``t_ns``.

        Raises:
            RuntimeError: :meth:`start` was not awaited.
        """
        return await self._run(lambda: rgb_of(frame), t_ms, t_ns)

    async def _run(
        self, pixels: Callable[[], np.ndarray], t_ms: int, t_ns: int | None = None
    ) -> PerceptionStep:
        models = self._models
        if models is None:
            raise RuntimeError("PerceptionWorker.start() must be awaited first")
        self._last_t_ms = t_ms
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._analyse, models, pixels, t_ms, t_ns)

    def _analyse(
        self,
        models: MediaPipePerception,
        pixels: Callable[[], np.ndarray],
        t_ms: int,
        t_ns: int | None,
    ) -> PerceptionStep:
        started = time.perf_counter()
        step = self.perceiver.step(models.observe(pixels(), t_ms), t_ns)
        self.pacer.analysed(t_ms, (time.perf_counter() - started) * 1000.0)
        self.frames_analysed += 1
        return step

    async def close(self) -> None:
        """Release the models and the thread (waits for a frame in flight)."""
        loop = asyncio.get_running_loop()
        if self._models is not None:
            models, self._models = self._models, None
            await loop.run_in_executor(self._executor, models.close)
        self._executor.shutdown(wait=False)
