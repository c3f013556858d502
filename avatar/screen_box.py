"""The avatar's box on screen for one pose (pure numpy): where a frame can differ from the
background. The renderer draws, anti-aliases and clears only inside it.

Conservative by construction: a linear-blend-skinned vertex is a convex combination of its
joints' transforms of it, so it lies in the union of each joint's transformed bind box; a
morphed skinned vertex stays within its rest position plus the sum of its targets' negative
(positive) offsets per axis; a static morphed vertex moves at most the largest morph offset; a
static mesh's head band lies between its rest and rotated positions.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from avatar.camera import Camera
from avatar.model import Avatar

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels, y = picture row; x1, y1 exclusive


def union(a: Box, b: Box) -> Box:
    """The smallest box holding both."""
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


#: No pixels: what :func:`bounding` gives for no boxes.
EMPTY: Box = (0, 0, 0, 0)


def bounding(boxes: Iterable[Box]) -> Box:
    """The smallest box holding all ``boxes`` (their :func:`union`); :data:`EMPTY` for none."""
    out: Box | None = None
    for box in boxes:
        out = box if out is None else union(out, box)
    return EMPTY if out is None else out


def area(box: Box) -> int:
    """Pixels inside ``box`` (half-open: x0 <= x < x1, y0 <= y < y1); 0 when it is empty or
    inverted."""
    return max(box[2] - box[0], 0) * max(box[3] - box[1], 0)


def overlaps(a: Box, b: Box) -> bool:
    """Whether boxes ``a`` and ``b`` share at least one pixel (half-open bounds: boxes that
    only touch along an edge do not)."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


#: Extra pixels around the box: FXAA reads one pixel beyond an edge, rasterisation rounds.
MARGIN_PX = 3


def box_corners(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """(…, 8, 3) corners of boxes (…, 3)."""
    sel = np.array([[(k >> i) & 1 for i in range(3)] for k in range(8)], bool)
    return np.where(sel, hi[..., None, :], lo[..., None, :])


def morph_bounds(
    rest: np.ndarray, morph_vertices: np.ndarray, deltas: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-vertex bounds (V, 3) lo, hi of ``rest`` (V, 3) moved by any morph weights in [0, 1]
    (``deltas`` (T, M, 3) of the vertices ``morph_vertices`` (M,))."""
    lo = np.asarray(rest, np.float64).copy()
    hi = lo.copy()
    if deltas.size:
        lo[morph_vertices] += np.minimum(deltas, 0).sum(axis=0)
        hi[morph_vertices] += np.maximum(deltas, 0).sum(axis=0)
    return lo, hi


class ScreenBox:
    """Screen boxes of one avatar under one camera.

    Args:
        avatar: the model.
        camera: its framing.
        vertices: bool (V,), the vertices to bound (default: every vertex a triangle uses).
        margin_px: extra pixels around the box (default :data:`MARGIN_PX`).
        bounds: a skinned model's :func:`morph_bounds` of its bind pose, when the caller
            makes several boxes of one model (computed here when None).
    """

    def __init__(
        self,
        avatar: Avatar,
        camera: Camera,
        vertices: np.ndarray | None = None,
        margin_px: int = MARGIN_PX,
        bounds: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> None:
        self.camera = camera
        self.margin_px = margin_px
        self._vp = camera.view_proj.astype(np.float64)
        used = np.zeros(avatar.positions.shape[0], bool)
        used[avatar.indices] = True
        if vertices is not None:
            used &= vertices
        skin = avatar.skinning
        if skin is not None:
            lo_v, hi_v = bounds or morph_bounds(
                skin.bind_positions, avatar.morph_vertices, skin.morph_deltas
            )
            n = avatar.skeleton.palette_nodes.size
            lo = np.full((n, 3), np.inf)
            hi = np.full((n, 3), -np.inf)
            for k in range(4):
                on = used & (skin.weights[:, k] > 0)
                np.minimum.at(lo, skin.joints[on, k], lo_v[on])
                np.maximum.at(hi, skin.joints[on, k], hi_v[on])
            live = np.isfinite(lo[:, 0])
            self._live = np.flatnonzero(live)
            self._joint_corners = box_corners(lo[live], hi[live])
        else:
            morph = avatar.morph_deltas
            reach = float(np.linalg.norm(morph, axis=2).max()) if morph.size else 0.0
            head = camera.head_weights(avatar.positions)
            pos = avatar.positions
            parts = [pos[used & (head < 1.0)], pos[used & (head > 0.0)]]
            self._body, self._head = (
                box_corners(p.min(axis=0) - reach, p.max(axis=0) + reach)
                if p.size
                else np.zeros((0, 3))
                for p in parts
            )

    def _project(self, points: np.ndarray) -> tuple[int, int, int, int]:
        cam = self.camera
        full = (0, 0, cam.width, cam.height)
        if points.size == 0:
            return full
        clip = points @ self._vp[:, :3].T + self._vp[:, 3]
        if clip[:, 3].min() <= 1e-6:
            return full
        ndc = clip[:, :2] / clip[:, 3:4]
        lo, hi = ndc.min(axis=0), ndc.max(axis=0)
        sx, sy = 0.5 * cam.width, 0.5 * cam.height
        m = self.margin_px
        x0, y0 = math.floor((lo[0] + 1) * sx) - m, math.floor((lo[1] + 1) * sy) - m
        x1, y1 = math.ceil((hi[0] + 1) * sx) + m, math.ceil((hi[1] + 1) * sy) + m
        x0, y0 = max(x0, 0), max(y0, 0)
        x1, y1 = min(x1, cam.width), min(y1, cam.height)
        if x1 <= x0 or y1 <= y0:
            return (0, 0, 1, 1)
        return (x0, y0, x1, y1)

    def static(self, head: np.ndarray) -> tuple[int, int, int, int]:
        """Box of a static mesh whose head band is turned by ``head`` (3, 3)."""
        pivot = self.camera.pivot.astype(np.float64)
        turned = (self._head - pivot) @ np.asarray(head, np.float64).T + pivot
        return self._project(np.concatenate([self._body, self._head, turned]))

    def skinned(self, palette: np.ndarray) -> tuple[int, int, int, int]:
        """Box of a skinned mesh under ``palette`` (P, 4, 4)."""
        m = palette[self._live].astype(np.float64)
        pts = np.einsum("pij,pkj->pki", m[:, :3, :3], self._joint_corners) + m[:, None, :3, 3]
        return self._project(pts.reshape(-1, 3))
