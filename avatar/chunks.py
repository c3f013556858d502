"""Triangle chunks of a skinned avatar and their boxes on screen, so that a partial redraw
issues only the triangles that can reach its area (sans-IO numpy; no GL).

Mesa's llvmpipe shades every vertex a draw references and sets up every triangle, however
small the scissor: a frame that redraws only the mouth still paid for all of a scanned head's
26.7k triangles. :class:`TriangleChunks` reorders each opaque submesh's triangles into
spatially compact runs (a k-d split of their bind-pose centroids at the median of the longest
axis, at most :data:`CHUNK_TRIS` triangles a run) and bounds each run on screen the way
:mod:`avatar.screen_box` bounds the whole avatar: a linear-blend-skinned vertex is a convex
combination of its joints' transforms of it, so it lies in the union of each joint's
transformed bind box of the run's vertices (widened by the morph targets' reach). A run whose
box misses the area cannot draw a pixel of it, nor hide one, and is not drawn.

Blended submeshes keep their triangle order (it is their drawing order) and form one run.
"""

from __future__ import annotations

import numpy as np

from avatar.camera import Camera
from avatar.model import Avatar
from avatar.screen_box import Box, box_corners

#: Triangles per run: small enough that a mouth-sized area skips most of a face, large enough
#: that the runs' boxes cost little to project (~200 runs for 53k triangles).
CHUNK_TRIS = 256
#: Pixels around a run's box: rasterisation covers pixel centres, rounding stays inside.
CHUNK_MARGIN_PX = 1


def kd_runs(centroids: np.ndarray, limit: int) -> list[np.ndarray]:
    """Split points (N, 3) into runs of at most ``limit``: k-d order, median of longest axis.

    Returns:
        int64 index arrays into ``centroids``, in depth-first order (neighbouring runs are
        neighbours in space, so visible runs tend to be consecutive).
    """
    out, stack = [], [np.arange(len(centroids))]
    while stack:
        idx = stack.pop()
        if len(idx) <= limit:
            out.append(idx)
            continue
        pts = centroids[idx]
        axis = int(np.argmax(pts.max(axis=0) - pts.min(axis=0)))
        half = len(idx) // 2
        order = np.argpartition(pts[:, axis], half)
        stack.append(idx[order[half:]])  # popped second: the low half comes first
        stack.append(idx[order[:half]])
    return out


class TriangleChunks:
    """Runs of triangles with conservative screen boxes under a joint palette.

    Args:
        avatar: a skinned model (:attr:`Avatar.skinning` set).
        camera: its framing at this frame size.
        limit: triangles per run (default :data:`CHUNK_TRIS`).

    Attributes:
        indices: uint32 (3N,), the avatar's index buffer with each opaque submesh's triangles
            reordered into runs (submesh ranges unchanged).
        first: int64 (C,), each run's first index (into :attr:`indices`).
        count: int64 (C,), each run's index count.
        ranges: per submesh of :attr:`Avatar.submeshes`, its runs ``(c0, c1)``.

    Raises:
        ValueError: the avatar is not skinned.
    """

    def __init__(self, avatar: Avatar, camera: Camera, limit: int = CHUNK_TRIS) -> None:
        skin = avatar.skinning
        if skin is None:
            raise ValueError("TriangleChunks needs a skinned avatar")
        self.camera = camera
        tris = avatar.indices.reshape(-1, 3)
        drawn = tris.copy()
        first, count, self.ranges = [], [], []
        for sub in avatar.submeshes:
            t0, n = sub.first_index // 3, sub.index_count // 3
            c0 = len(first)
            if avatar.material_of(sub).alpha_mode == "BLEND" or n <= limit:
                runs = [np.arange(n)]
            else:
                runs = kd_runs(skin.bind_positions[tris[t0 : t0 + n], :2].mean(axis=1), limit)
                drawn[t0 : t0 + n] = tris[t0 + np.concatenate(runs)]
            at = sub.first_index
            for run in runs:
                first.append(at)
                count.append(3 * len(run))
                at += 3 * len(run)
            self.ranges.append((c0, len(first)))
        self.indices = np.ascontiguousarray(drawn.reshape(-1), np.uint32)
        self.first = np.asarray(first, np.int64)
        self.count = np.asarray(count, np.int64)
        self._setup_boxes(avatar, drawn)

    def _setup_boxes(self, avatar: Avatar, drawn: np.ndarray) -> None:
        """Per (run, joint) pair: the bind box of the run's vertices on it; per run and
        morph target: the box of the target's offsets of the run's vertices."""
        skin = avatar.skinning
        lo_v = hi_v = skin.bind_positions.astype(np.float64)
        n_runs = len(self.first)
        run = np.repeat(np.arange(n_runs), self.count)
        flat = drawn.reshape(-1)
        vert = np.concatenate(
            [flat[f : f + c] for f, c in zip(self.first, self.count, strict=True)]
        )
        palette_size = int(skin.joints.max()) + 1
        keys, rows = [], []
        for k in range(4):
            on = skin.weights[vert, k] > 0
            keys.append(run[on] * palette_size + skin.joints[vert[on], k])
            rows.append(vert[on])
        keys_all, rows_all = np.concatenate(keys), np.concatenate(rows)
        pairs, inverse = np.unique(keys_all, return_inverse=True)
        lo = np.full((len(pairs), 3), np.inf)
        hi = np.full((len(pairs), 3), -np.inf)
        np.minimum.at(lo, inverse, lo_v[rows_all])
        np.maximum.at(hi, inverse, hi_v[rows_all])
        self._pair_run = pairs // palette_size
        self._pair_joint = pairs % palette_size
        self._run_starts = np.searchsorted(self._pair_run, np.arange(n_runs))
        self._has_pairs = np.isin(np.arange(n_runs), self._pair_run)
        deltas = np.zeros((skin.morph_deltas.shape[0], len(lo_v), 3))
        deltas[:, avatar.morph_vertices] = skin.morph_deltas
        self._lo, self._hi = lo, hi
        self._reach_lo = np.zeros((deltas.shape[0], n_runs, 3))  # (T, C, 3) bind metres
        self._reach_hi = np.zeros_like(self._reach_lo)
        runs = np.split(vert, np.cumsum(self.count)[:-1])
        for c, members in enumerate(runs):
            if deltas.shape[0]:
                d = deltas[:, members]
                self._reach_lo[:, c] = np.minimum(d.min(axis=1), 0)
                self._reach_hi[:, c] = np.maximum(d.max(axis=1), 0)

    def boxes(self, palette: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """int64 (C, 4) screen boxes (x0, y0, x1, y1; pixels, y = picture row) of the runs
        under ``palette`` float32 (P, 4, 4) and morph ``weights`` float32 (T,); a run with a
        corner behind the camera gets the whole frame.

        Each (run, joint) bind box, widened by the weighted morph offsets, is carried to world
        space as a box (Arvo 1990, "Transforming axis-aligned bounding boxes", Graphics Gems:
        centre through the matrix, half-size through its absolute value); a run's box is the
        union of its joints' boxes, and its eight corners are projected.
        """
        cam = self.camera
        off_lo = np.zeros(self._reach_lo.shape[1:])
        off_hi = np.zeros_like(off_lo)
        for t in np.flatnonzero(weights):  # a few targets at a time
            w = float(weights[t])
            low, high = (self._reach_lo[t], self._reach_hi[t])[:: 1 if w > 0 else -1]
            off_lo += w * low
            off_hi += w * high
        run = self._pair_run
        lo, hi = self._lo + off_lo[run], self._hi + off_hi[run]
        m = palette[self._pair_joint].astype(np.float64)
        rot = m[:, :3, :3]
        centre = np.einsum("qij,qj->qi", rot, (lo + hi) * 0.5) + m[:, :3, 3]
        half = np.einsum("qij,qj->qi", np.abs(rot), (hi - lo) * 0.5)
        live = self._has_pairs
        starts = self._run_starts[live]
        box_lo = np.zeros((len(self.first), 3))
        box_hi = np.zeros((len(self.first), 3))
        box_lo[live] = np.minimum.reduceat(centre - half, starts)
        box_hi[live] = np.maximum.reduceat(centre + half, starts)
        pts = box_corners(box_lo, box_hi)  # (C, 8, 3)
        vp = cam.view_proj.astype(np.float64)
        clip = pts @ vp[:, :3].T + vp[:, 3]
        depth = clip[..., 3]
        safe = np.maximum(depth, 1e-6)
        x = (clip[..., 0] / safe + 1) * 0.5 * cam.width
        y = (clip[..., 1] / safe + 1) * 0.5 * cam.height
        out = np.stack([x.min(axis=1), y.min(axis=1), x.max(axis=1), y.max(axis=1)], axis=1)
        out[(depth <= 1e-6).any(axis=1)] = (-np.inf, -np.inf, np.inf, np.inf)
        out[:, :2] = np.floor(out[:, :2]) - CHUNK_MARGIN_PX
        out[:, 2:] = np.ceil(out[:, 2:]) + CHUNK_MARGIN_PX
        limit = np.array([cam.width, cam.height, cam.width, cam.height]) + 1
        return np.clip(out, -1, limit).astype(np.int64)

    def visible(self, palette: np.ndarray, weights: np.ndarray, area: Box) -> np.ndarray:
        """bool (C,): the runs whose box under ``palette`` and morph ``weights`` meets
        ``area`` (x0, y0, x1, y1)."""
        return meeting(self.boxes(palette, weights), area)


def meeting(boxes: np.ndarray, area: Box) -> np.ndarray:
    """bool (C,): which of the runs' ``boxes`` (int64 (C, 4), :meth:`TriangleChunks.boxes`)
    meet ``area`` (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = area
    return (boxes[:, 0] < x1) & (boxes[:, 2] > x0) & (boxes[:, 1] < y1) & (boxes[:, 3] > y0)


def runs_of(
    mask: np.ndarray, first: np.ndarray, count: np.ndarray, spans: list[tuple[int, int]]
) -> list[list[tuple[int, int]]]:
    """Merge consecutive visible runs into draws, per span of runs (a submesh's): for each
    ``(c0, c1)`` of ``spans``, the ``(first index, index count)`` pairs of its runs in
    ``mask``; a draw never crosses a span's ends.

    Args:
        mask: bool (C,) which runs to draw; first, count: int64 (C,) their index ranges
            (consecutive runs are adjacent in the index buffer).
        spans: ``(c0, c1)`` run ranges that do not overlap, in any order.
    """
    on = mask.view(np.int8)
    cut = np.zeros(len(mask) + 1, bool)  # a draw may not run across index c
    for c0, c1 in spans:
        cut[c0] = cut[c1] = True
    before = np.concatenate([[0], on[:-1]]).astype(bool)
    after = np.concatenate([on[1:], [0]]).astype(bool)
    starts = np.flatnonzero(mask & (~before | cut[:-1]))
    ends = np.flatnonzero(mask & (~after | cut[1:]))
    firsts = first[starts]
    counts = first[ends] + count[ends] - firsts
    pairs = list(zip(firsts.tolist(), counts.tolist(), strict=True))
    lo = np.searchsorted(starts, [c0 for c0, _ in spans]).tolist()
    hi = np.searchsorted(starts, [c1 for _, c1 in spans]).tolist()
    return [pairs[a:b] for a, b in zip(lo, hi, strict=True)]
