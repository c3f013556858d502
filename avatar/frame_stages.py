"""Where one frame's CPU went on the renderer's GL thread, stage by stage (diagnostics).

:class:`~avatar.gl_scene.GLScene` times each stage of a frame with the GL thread's own CPU
clock (``time.thread_time``: a few clock reads a frame, ~1 µs each), so a benchmark can tell
the pose's numpy, the vertex work Mesa's llvmpipe does on the calling thread, a wait for the
process-wide GL lock and the copy-out apart, and what the rasteriser threads spent (the
process's CPU for the frame minus :attr:`FrameStages.total_ms`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FrameStages:
    """GL-thread CPU of one frame per stage, milliseconds (zero for stages it skipped).

    Attributes:
        pose_ms: skeleton, morph weights, held joints and the boxes to redraw (numpy).
        morph_ms: blending the morph targets on the CPU.
        runs_ms: the triangle runs' screen boxes and which meet each box.
        lock_wait_ms: waiting for the GL lock (Mesa software drivers: one frame at a time).
        draw_ms: uploads, background restore, the draw calls (llvmpipe shades vertices and
            bins triangles on this thread), summed over the frame's passes.
        resolve_ms: anti-aliasing and read-back; the thread waits there for the rasteriser
            threads, which the process's CPU counts and this does not.
        copy_ms: copying the frame out (and the occlusion query's result).
    """

    pose_ms: float = 0.0
    morph_ms: float = 0.0
    runs_ms: float = 0.0
    lock_wait_ms: float = 0.0
    draw_ms: float = 0.0
    resolve_ms: float = 0.0
    copy_ms: float = 0.0

    @property
    def total_ms(self) -> float:
        """The GL thread's CPU for the frame, milliseconds."""
        return (
            self.pose_ms
            + self.morph_ms
            + self.runs_ms
            + self.lock_wait_ms
            + self.draw_ms
            + self.resolve_ms
            + self.copy_ms
        )


class StageClock:
    """Splits the calling thread's CPU time into named stages (milliseconds)."""

    __slots__ = ("_last", "spent")

    def __init__(self) -> None:
        self._last = time.thread_time()
        self.spent: dict[str, float] = {}

    def lap(self, stage: str) -> None:
        """Charge the CPU since the last lap (or since made) to ``stage``."""
        now = time.thread_time()
        self.spent[stage] = self.spent.get(stage, 0.0) + (now - self._last) * 1e3
        self._last = now

    def stages(self) -> FrameStages:
        """The stages so far as :class:`FrameStages` (keys are its field names less ``_ms``)."""
        return FrameStages(**{f"{k}_ms": v for k, v in self.spent.items()})
