"""A level of detail for the frame size: fewer triangles where they are smaller than pixels.

A scanned head drawn at 512×512 has triangles under one pixel (the ICT FaceKit skin: median
0.9 px², the eyes 0.1 px²); Mesa's llvmpipe pays per triangle (set-up, binning, a 4×4 block of
fragment work), so a frame touching the face spent most of its time on triangles that cover no
pixel centre. :func:`level_of_detail` simplifies each opaque submesh whose median triangle
covers less than :data:`SIMPLIFY_BELOW_PX2` on screen, aiming at :data:`TARGET_PX2`, with
meshoptimizer's attribute-aware edge collapse (``meshopt_simplifyWithAttributes``,
Kapoulkine's meshoptimizer, MIT; quadric error metrics after Garland & Heckbert 1997 with
vertex colours and normals in the metric, so a lip edge stays where the colours change) and
keeps the submesh's open borders (eyelids, the mouth opening) in place. The simplifier only
re-indexes: every triangle it keeps uses original vertices, so morph targets, skin weights,
colours and UVs stay exactly as they were. A large frame (1080p) sees pixel-sized triangles
no more and keeps the full mesh.
"""

from __future__ import annotations

import ctypes
import dataclasses

import numpy as np

from avatar.camera import Camera
from avatar.model import Avatar

#: A submesh whose median on-screen triangle is smaller than this is simplified, pixels² ...
SIMPLIFY_BELOW_PX2 = 3.0
#: ... to this median area, pixels² (the share is bounded by :data:`MIN_SHARE`). The skin's
#: draw was ~3 ms of a head step's ~9 ms at 512x512; the default avatar's skin 26.7k -> 5.4k
#: triangles (8.1k aiming at 3 px²; 5.3k aiming at 6 px² cut CPU mean 8.6 -> 8.0 ms, p95
#: 16.1 -> 14.2, both drawn frame by frame in one process on a shared machine, frames 0.09
#: grey levels apart on average, but moved the ICT head's eyes when its mouth opened).
TARGET_PX2 = 4.5
#: Never keep fewer than this share of a submesh's triangles.
MIN_SHARE = 0.2
#: The simplifier's error bound, relative to the submesh's extent (meshoptimizer's unit).
MAX_ERROR = 0.01
#: Weights of the vertex attributes in the error metric: linear RGB colour, normal.
COLOR_WEIGHT, NORMAL_WEIGHT = 1.0, 0.5
_LOCK_BORDER = 1  # meshopt_SimplifyLockBorder


def _simplifier():
    """``meshopt_simplifyWithAttributes`` with its C signature (meshoptimizer ≥ 0.21).

    The Python package's own wrapper declares an older argument list, so the function is
    called through ctypes from a private handle on the package's shared library.
    """
    from meshoptimizer import _loader

    fn = ctypes.CDLL(_loader.lib._name).meshopt_simplifyWithAttributes
    u32, f32, size = ctypes.POINTER(ctypes.c_uint), ctypes.POINTER(ctypes.c_float), ctypes.c_size_t
    fn.argtypes = [u32, u32, size, f32, size, size, f32, size, f32, size]
    fn.argtypes += [ctypes.POINTER(ctypes.c_ubyte), size, ctypes.c_float, ctypes.c_uint, f32]
    fn.restype = size
    return fn


def simplify(
    indices: np.ndarray, positions: np.ndarray, attributes: np.ndarray, target: int
) -> np.ndarray:
    """Simplified triangles over the same vertices.

    Args:
        indices: uint32 (3N,) triangles of one submesh.
        positions: float32 (V, 3) vertex positions.
        attributes: float32 (V, 6) linear RGB colour and normal per vertex.
        target: the index count to aim at (a multiple of 3).

    Returns:
        uint32 (3M,), M ≤ N, indices into the same vertices (M > N·target/3N when the error
        bound :data:`MAX_ERROR` stops it first).
    """
    fn = _simplifier()
    src = np.ascontiguousarray(indices, np.uint32)
    pos = np.ascontiguousarray(positions, np.float32)
    attr = np.ascontiguousarray(attributes, np.float32)
    weights = np.array([COLOR_WEIGHT] * 3 + [NORMAL_WEIGHT] * 3, np.float32)
    out = np.zeros_like(src)
    error = np.zeros(1, np.float32)

    def ptr(a: np.ndarray, kind):
        return a.ctypes.data_as(ctypes.POINTER(kind))

    u32, f32 = ctypes.c_uint, ctypes.c_float
    count = fn(
        ptr(out, u32), ptr(src, u32), src.size, ptr(pos, f32), len(pos), pos.strides[0],
        ptr(attr, f32), attr.strides[0], ptr(weights, f32), weights.size,
        ctypes.POINTER(ctypes.c_ubyte)(), target, MAX_ERROR, _LOCK_BORDER, ptr(error, f32),
    )  # fmt: skip
    return out[:count].copy()


def _median_px2(camera: Camera, corners: np.ndarray) -> float:
    """Median on-screen area of triangles (N, 3, 3) in world space, pixels²."""
    px = camera.project(corners.reshape(-1, 3)).reshape(-1, 3, 2)
    a, b = px[:, 1] - px[:, 0], px[:, 2] - px[:, 0]
    return float(np.median(0.5 * np.abs(a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0])))


def level_of_detail(avatar: Avatar, camera: Camera) -> Avatar:
    """The avatar with its sub-pixel submeshes simplified for ``camera``'s frame size.

    Args:
        avatar: the model; opaque and masked submeshes may be simplified, blended ones
            (drawn in order) never.
        camera: the framing the renderer draws with.

    Returns:
        The same avatar when nothing is that small, else a copy with new :attr:`indices`
        and :attr:`submeshes` (all vertex data shared).
    """
    skin = avatar.skinning
    pos = skin.bind_positions if skin is not None else avatar.positions
    nrm = skin.bind_normals if skin is not None else avatar.normals
    attributes = np.c_[avatar.colors[:, :3], nrm].astype(np.float32)
    parts, submeshes, at, changed = [], [], 0, False
    for sub in avatar.submeshes:
        tris = avatar.indices[sub.first_index : sub.first_index + sub.index_count]
        if avatar.material_of(sub).alpha_mode != "BLEND" and tris.size >= 3 * 64:
            area = _median_px2(camera, avatar.positions[tris.reshape(-1, 3)])
            share = max(MIN_SHARE, area / TARGET_PX2)
            if area < SIMPLIFY_BELOW_PX2:
                tris = simplify(tris, pos, attributes, int(tris.size * share) // 3 * 3)
                changed = True
        parts.append(tris)
        submeshes.append(dataclasses.replace(sub, first_index=at, index_count=int(tris.size)))
        at += tris.size
    if not changed:
        return avatar
    indices = np.concatenate(parts).astype(np.uint32)
    return dataclasses.replace(avatar, indices=indices, submeshes=tuple(submeshes))
