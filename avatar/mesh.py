"""Mesh math shared by the generator, the loader and the renderer (pure numpy)."""

from __future__ import annotations

import numpy as np


def vertex_normals(positions: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Area-weighted smooth vertex normals.

    Args:
        positions: float32 (V, 3).
        indices: uint32 (I,), triangle list.

    Returns:
        float32 (V, 3), unit length; +Y for vertices no triangle uses.
    """
    tri = indices.reshape(-1, 3)
    p0, p1, p2 = (positions[tri[:, k]] for k in range(3))
    face = np.cross(p1 - p0, p2 - p0)  # length = 2 × area: area weighting for free
    normals = np.zeros_like(positions, dtype=np.float32)
    for k in range(3):
        np.add.at(normals, tri[:, k], face)
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    normals = np.where(length > 1e-12, normals / np.maximum(length, 1e-12), [0.0, 1.0, 0.0])
    return normals.astype(np.float32)


def morph_normal_deltas(
    positions: np.ndarray,
    indices: np.ndarray,
    morph_vertices: np.ndarray,
    morph_deltas: np.ndarray,
) -> np.ndarray:
    """Per-target normal offsets, so that lighting follows the morphs linearly.

    Each target's normals are recomputed on the fully applied target (rest + delta) and stored
    as the difference from the recomputed rest normals (the file's own rest normals stay the
    base); blended normals are renormalised in the shader.
    Only triangles touching a moved vertex are recomputed.

    Args:
        positions: float32 (V, 3) rest positions.
        indices: uint32 (I,) triangles.
        morph_vertices: uint32 (M,) vertices the targets move.
        morph_deltas: float32 (T, M, 3) position deltas.

    Returns:
        float32 (T, M, 3) normal deltas for ``morph_vertices``.
    """
    t, m = morph_deltas.shape[:2]
    out = np.zeros((t, m, 3), np.float32)
    if t == 0 or m == 0:
        return out
    tri = indices.reshape(-1, 3)
    moved = np.zeros(positions.shape[0], bool)
    moved[morph_vertices] = True
    local_tri = tri[moved[tri].any(axis=1)]
    used = np.unique(local_tri)
    remap = np.full(positions.shape[0], -1, np.int64)
    remap[used] = np.arange(used.size)
    sub_tri = remap[local_tri].astype(np.uint32).ravel()
    sub_pos = positions[used].astype(np.float32)
    slot = remap[morph_vertices]
    base = vertex_normals(sub_pos, sub_tri)[slot]
    for k in range(t):
        moved_pos = sub_pos.copy()
        moved_pos[slot] += morph_deltas[k]
        out[k] = vertex_normals(moved_pos, sub_tri)[slot] - base
    return out
