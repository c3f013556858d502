"""Mesh parts the generator assembles: vertices with colours, UVs and morph deltas per part.

Coordinates are metres in glTF axes (+Y up, the face looks along +Z, the avatar's left is +X).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike


def srgb(r: int, g: int, b: int, a: float = 1.0) -> np.ndarray:
    """8-bit sRGB → linear RGBA float64 (4,) (IEC 61966-2-1 EOTF)."""
    c = np.array([r, g, b], np.float64) / 255
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return np.append(lin, a)


def smoothstep(e0: float, e1: float, x: ArrayLike) -> np.ndarray:
    """Hermite step from 0 at ``e0`` to 1 at ``e1`` (either order), elementwise: GLSL's
    ``smoothstep`` (3t² - 2t³ of ``t`` clipped to [0, 1]).

    Args:
        e0: the edge where the step is 0 (any unit, the same as ``x``).
        e1: the edge where it is 1; ``e1 == e0`` divides by zero.
        x: the values, any shape.

    Returns:
        float64 array of ``x``'s shape, in [0, 1] (a 0-d array for a scalar ``x``).
    """
    t = np.clip((np.asarray(x, np.float64) - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3 - 2 * t)


@dataclass
class Part:
    """One piece of the avatar drawn with one material.

    Attributes:
        name: what it is (``face``, ``hair``, ``jacket`` …), used for skin weights.
        material: the material name it is drawn with.
        positions: float64 (V, 3), metres.
        triangles: int64 (T, 3), counter-clockwise seen from the front face.
        colors: float64 (V, 4) linear RGBA vertex colours (multiplied with the material).
        uvs: float64 (V, 2) texture coordinates (zeros when the material has no texture).
        morphs: target name → float64 (V, 3) position deltas, metres (absent = no motion).
        normals: float64 (V, 3) or None (computed from the triangles at assembly).
    """

    name: str
    material: str
    positions: np.ndarray
    triangles: np.ndarray
    colors: np.ndarray | None = None
    uvs: np.ndarray | None = None
    morphs: dict[str, np.ndarray] = field(default_factory=dict)
    normals: np.ndarray | None = None

    def __post_init__(self) -> None:
        v = len(self.positions)
        self.positions = np.asarray(self.positions, np.float64)
        self.triangles = np.asarray(self.triangles, np.int64).reshape(-1, 3)
        if self.colors is None:
            self.colors = np.ones((v, 4))
        self.colors = np.broadcast_to(np.asarray(self.colors, np.float64), (v, 4)).copy()
        if self.uvs is None:
            self.uvs = np.zeros((v, 2))

    def subset(self, keep_triangles: np.ndarray) -> Part:
        """A copy with only the triangles where ``keep_triangles`` (T,) is true, unused
        vertices dropped."""
        tris = self.triangles[keep_triangles]
        used, inverse = np.unique(tris, return_inverse=True)
        return Part(
            self.name,
            self.material,
            self.positions[used],
            inverse.reshape(-1, 3),
            self.colors[used],
            self.uvs[used],
            {k: d[used] for k, d in self.morphs.items()},
            None if self.normals is None else self.normals[used],
        )


def grid_triangles(rows: int, cols: int, wrap: bool) -> np.ndarray:
    """Triangles (T, 3) of a row-major ``rows × cols`` vertex grid (optionally wrapped in
    columns), counter-clockwise when columns run left→right and rows top→bottom seen from
    the front."""
    j, i = np.meshgrid(np.arange(rows - 1), np.arange(cols if wrap else cols - 1), indexing="ij")
    i1 = (i + 1) % cols
    a, b, c, d = j * cols + i, j * cols + i1, (j + 1) * cols + i1, (j + 1) * cols + i
    return np.stack([np.stack([a, d, c], -1), np.stack([a, c, b], -1)], 2).reshape(-1, 3)


def rot_x(a: float) -> np.ndarray:
    """Rotation (3, 3) about +X by ``a`` radians."""
    c, s = np.cos(a), np.sin(a)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def rot_y(a: float) -> np.ndarray:
    """Rotation (3, 3) about +Y by ``a`` radians."""
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def rot_z(a: float) -> np.ndarray:
    """Rotation (3, 3) about +Z by ``a`` radians."""
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def orient_outward(positions: np.ndarray, triangles: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """Flip triangles whose normal points toward ``inside`` points (T, 3) (one per triangle,
    e.g. the axis point level with it), so every face winds counter-clockwise from outside."""
    p = positions[triangles]
    normal = np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0])
    out = p.mean(axis=1) - inside
    flip = np.einsum("ij,ij->i", normal, out) < 0
    tris = triangles.copy()
    tris[flip] = tris[flip][:, ::-1]
    return tris
