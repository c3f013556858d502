"""Baked cavity occlusion of the head's skin: darker in creases, as vertex colour.

Skin without ambient occlusion looks like a lit plastic shell: the nasolabial folds, the eye
sockets, the corners of the mouth, the nostrils and the folds of the ears get as much sky light
as the cheek. A real-time renderer on llvmpipe cannot afford screen-space occlusion, so the
generator bakes a cheap estimate into the skin's vertex colours.

The estimate is the mesh's concavity at a few scales (the "cavity map" of sculpting tools):
``L^k p − p``, the offset of a vertex from the mean of its ``k``-ring neighbourhood (uniform
Laplacian smoothing, ``k`` iterations), projected on the vertex normal. Positive means the
neighbourhood lies in front of the vertex: a crease. Each scale's concavity is divided by a
depth that counts as fully occluded at that scale and the sum is mapped to a darkening. The
parts are welded by position first (the face and the back of the head share a seam), and
vertices on an open border (eyelid rims, the mouth opening, the neck's cut) take the mean of
their inner neighbours: a border's one-sided neighbourhood is no crease.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

#: (smoothing iterations, depth in metres that counts as a full crease at that scale): the
#: fine scale finds the lid creases and nostril rims (~1-2 mm deep over ~3 mm), the coarse ones
#: the nasolabial folds, the mouth corners and the eye sockets (~3-6 mm over ~1-2 cm).
SCALES = ((4, 0.0008), (24, 0.0030), (80, 0.0060))


def vertex_normals(positions: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """Area-weighted unit vertex normals float64 (V, 3) of a triangle mesh."""
    p = positions[triangles]
    face = np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0])
    out = np.zeros_like(positions)
    for k in range(3):
        np.add.at(out, triangles[:, k], face)
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


def concavity(
    positions: np.ndarray, triangles: np.ndarray, normals: np.ndarray | None = None
) -> np.ndarray:
    """Crease depth in [0, 1] per vertex, float64 (V,): 0 on flat or convex skin, 1 in a crease
    as deep as :data:`SCALES` counts as full at every scale.

    Args:
        positions: float (V, 3) rest positions, metres.
        triangles: int (T, 3) vertex indices.
        normals: float (V, 3) outward unit normals, or None (area-weighted from the triangles).

    Returns:
        float64 (V,) in [0, 1].
    """
    # weld coincident vertices (part seams, UV splits) so a seam is not a border
    key = np.round(np.asarray(positions, np.float64) / 1e-6).astype(np.int64)
    _, weld, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    p = np.asarray(positions, np.float64)[weld]
    tri = inverse[triangles]
    tri = tri[(tri[:, 0] != tri[:, 1]) & (tri[:, 1] != tri[:, 2]) & (tri[:, 0] != tri[:, 2])]
    n = vertex_normals(p, tri) if normals is None else np.asarray(normals, np.float64)[weld]
    edges = np.r_[tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [2, 0]]]
    # an edge used by one triangle only lies on an open border
    und = np.sort(edges, axis=1)
    uniq, count = np.unique(und, axis=0, return_counts=True)
    border = np.zeros(len(p), bool)
    border[uniq[count == 1].ravel()] = True
    both = np.r_[uniq, uniq[:, ::-1]]
    adj = sparse.csr_matrix((np.ones(len(both)), (both[:, 0], both[:, 1])), shape=(len(p),) * 2)
    degree = np.asarray(adj.sum(axis=1)).ravel()
    walk = sparse.diags(1.0 / np.maximum(degree, 1)) @ adj
    depth = np.zeros(len(p))
    smooth, done = p.copy(), 0
    for iterations, full in SCALES:
        for _ in range(iterations - done):
            smooth = walk @ smooth
        done = iterations
        depth += np.clip(((smooth - p) * n).sum(axis=1) / full, 0.0, 1.0)
    depth /= len(SCALES)
    # a border vertex takes its inner neighbours' mean
    inner = adj[:, ~border]
    inner_n = np.asarray(inner.sum(axis=1)).ravel()
    fill = (inner @ depth[~border]) / np.maximum(inner_n, 1)
    depth = np.where(border & (inner_n > 0), fill, depth)
    return depth[inverse]
