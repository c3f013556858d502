"""What redrawing a box of a frame costs on Mesa's llvmpipe, estimated from the box alone
(sans-IO numpy; no GL).

A partial redraw's CPU is not its pixels alone: llvmpipe shades every vertex of the triangle
runs a pass issues (:mod:`avatar.chunks`: every run whose screen box meets the pass's box) and
sets up every triangle, however few pixels they cover. A 23-row band across the suit issues
~2.7k triangles for its ~10k pixels; a speaking mouth's box ~14.7k for ~37k. The model is
linear: a pass costs :data:`PASS_MS`, plus :data:`PIXEL_MS` a pixel, plus :data:`TRIANGLE_MS`
a triangle of the runs it issues, with the runs' boxes taken at the rest pose (the avatar
sways by a few pixels).

The constants are a least-squares fit of the process CPU of the 750 frames of
``benchmarks/render.py --seconds 30 --models default --sizes 512x512`` (llvmpipe, 2 cores,
shared machine) over each frame's passes, pixels and run triangles (residual SD 1.2 ms; a
pass over a 10x10 box with no runs costs ~0.2 ms alone). Only their ratios matter to
:class:`avatar.pose_hold.PoseHold`, which compares a box's cost with a head step's.
"""

from __future__ import annotations

import numpy as np

from avatar.screen_box import Box

#: CPU of one draw pass whatever its size (state, background restore, flushes), ms.
PASS_MS = 0.45
#: CPU per redrawn pixel (rasterisation, depth, sRGB writes, FXAA, read-back), ms.
PIXEL_MS = 0.066e-3
#: CPU per triangle of the runs a pass issues (vertex shading, set-up, binning), ms.
TRIANGLE_MS = 0.334e-3


class FrameCost:
    """The estimated CPU of redrawing boxes of one avatar's frames.

    Args:
        boxes: int64 (C, 4), the triangle runs' screen boxes (x0, y0, x1, y1; pixels) at the
            rest pose (:meth:`avatar.chunks.TriangleChunks.boxes`).
        triangles: int64 (C,), each run's triangles.
    """

    def __init__(self, boxes: np.ndarray, triangles: np.ndarray) -> None:
        self._boxes = np.asarray(boxes, np.int64)
        self._tris = np.asarray(triangles, np.int64)

    def _across(self, x0: int, x1: int) -> np.ndarray:
        b = self._boxes
        return (b[:, 0] < x1) & (b[:, 2] > x0)

    def cost_ms(self, box: Box) -> float:
        """Estimated CPU of a draw pass over ``box``, ms (0 for an empty box)."""
        x0, y0, x1, y1 = box
        if x1 <= x0 or y1 <= y0:
            return 0.0
        b = self._boxes
        meet = self._across(x0, x1) & (b[:, 1] < y1) & (b[:, 3] > y0)
        tris = int(self._tris[meet].sum())
        return PASS_MS + PIXEL_MS * (x1 - x0) * (y1 - y0) + TRIANGLE_MS * tris

    def rows_within(self, box: Box, budget_ms: float) -> int:
        """The most rows from the top of ``box`` whose pass costs at most ``budget_ms`` (0
        when not even one row fits)."""
        x0, y0, x1, y1 = box
        if x1 <= x0 or y1 <= y0:
            return 0
        b = self._boxes
        meet = self._across(x0, x1) & (b[:, 1] < y1) & (b[:, 3] > y0)
        # a run joins the band once the band reaches its top row
        first = np.maximum(b[meet, 1] - y0, 0)
        tris = np.zeros(y1 - y0, np.int64)
        np.add.at(tris, first, self._tris[meet])
        rows = np.arange(1, y1 - y0 + 1)
        cost = PASS_MS + PIXEL_MS * (x1 - x0) * rows + TRIANGLE_MS * tris.cumsum()
        return int(np.searchsorted(cost, budget_ms, side="right"))
