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
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from engine.perception.core import Perceiver, PerceptionSettings, PerceptionStep
from engine.perception.mediapipe_models import MediaPipePerception, ModelPaths
from engine.perception.pacing import FramePacer


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
        models = self._models
        if models is None:
            raise RuntimeError("PerceptionWorker.start() must be awaited first")
        self._last_t_ms = t_ms
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._analyse, models, rgb, t_ms)

    def _analyse(self, models: MediaPipePerception, rgb: np.ndarray, t_ms: int) -> PerceptionStep:
        started = time.perf_counter()
        step = self.perceiver.step(models.observe(rgb, t_ms))
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
