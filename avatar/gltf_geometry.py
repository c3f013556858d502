"""The geometry of glTF primitives, pure numpy: a primitive's topology as a triangle list, the
four strongest joint influences per vertex, and a skinned model posed in its default pose.
:mod:`avatar.gltf` walks the document and gathers the arrays these work on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from avatar.model import Skinning
    from avatar.skeleton import Clip, Skeleton

#: glTF 2.0 primitive modes (§3.7.2.1, ``mesh.primitive.mode``) this loader draws.
_TRIANGLES, _TRIANGLE_STRIP, _TRIANGLE_FAN = 4, 5, 6


def triangle_list(mode: int | None, indices: np.ndarray) -> np.ndarray:
    """A primitive's vertex indices as a flat triangle list (3·T,): ``TRIANGLES`` as given
    (a trailing partial triangle dropped), ``TRIANGLE_STRIP`` and ``TRIANGLE_FAN`` unrolled
    with the winding the spec gives (glTF 2.0 §3.7.2.1); points and lines give none."""
    mode = _TRIANGLES if mode is None else mode
    if mode == _TRIANGLES:
        return indices[: indices.size - indices.size % 3]
    if mode == _TRIANGLE_STRIP and indices.size >= 3:
        k = np.arange(indices.size - 2)
        a, b = np.where(k % 2 == 0, k, k + 1), np.where(k % 2 == 0, k + 1, k)
        return np.stack([indices[a], indices[b], indices[k + 2]], 1).ravel()
    if mode == _TRIANGLE_FAN and indices.size >= 3:
        k = np.arange(1, indices.size - 1)
        return indices[np.stack([np.zeros_like(k), k, k + 1], 1).ravel()]
    return indices[:0]  # points and lines are not drawn


def strongest_four(joints: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keep the four strongest joint influences per vertex, renormalised (rows of zeros →
    joint 0): ``joints`` (V, N) ints and ``weights`` (V, N) floats → (V, 4) and (V, 4) float32
    (``JOINTS_1``/``WEIGHTS_1`` give N = 8; the renderer skins with four)."""
    if joints.shape[1] > 4:
        order = np.argsort(-weights, axis=1)[:, :4]
        joints = np.take_along_axis(joints, order, 1)
        weights = np.take_along_axis(weights, order, 1)
    total = weights.sum(axis=1, keepdims=True)
    empty = total[:, 0] <= 1e-8
    weights = np.where(total > 1e-8, weights / np.maximum(total, 1e-8), 0.0)
    weights[empty, 0] = 1.0
    return joints, weights.astype(np.float32)


def default_pose(
    skeleton: Skeleton, skin: Skinning, animations: Sequence[Clip], morph_vertices: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The skinned model in its default pose (the idle clip at 0 s, else the rest pose), by
    linear blend skinning: positions (V, 3) and normals (V, 3) float32 in model space, and the
    morph deltas (T, M, 3) float32 of the ``morph_vertices`` (M,) turned with their vertices."""
    idle = next((c for c in animations if "idle" in c.name.lower()), None)
    palette, _ = skeleton.pose(idle, 0.0)
    mats = palette.astype(np.float64)[skin.joints]  # (V, 4, 4, 4)
    blend = np.einsum("vk,vkij->vij", skin.weights.astype(np.float64), mats)
    pos = np.einsum("vij,vj->vi", blend[:, :3, :3], skin.bind_positions) + blend[:, :3, 3]
    nrm = np.einsum("vij,vj->vi", blend[:, :3, :3], skin.bind_normals)
    nrm /= np.maximum(np.linalg.norm(nrm, axis=1, keepdims=True), 1e-12)
    lin = blend[morph_vertices, :3, :3]
    deltas = np.einsum("mij,tmj->tmi", lin, skin.morph_deltas.astype(np.float64))
    return pos.astype(np.float32), nrm.astype(np.float32), deltas.astype(np.float32)
