"""Baked cavity occlusion (``avatar/asset/cavity.py``): a crease is dark, flat and convex skin
is not, an open border is no crease, and the default avatar's skin carries it with its gloss."""

from __future__ import annotations

import numpy as np

from avatar.asset.cavity import concavity
from avatar.asset.parts import grid_triangles


def sheet(depth_m: float) -> tuple[np.ndarray, np.ndarray]:
    """A 6 × 6 cm sheet facing +Z, 1 mm grid, with a groove along Y at x = 0 that is
    ``depth_m`` deep and ~8 mm wide."""
    xs = np.linspace(-0.03, 0.03, 61)
    xx, yy = np.meshgrid(xs, xs, indexing="ij")
    zz = -depth_m * np.exp(-((xx / 0.004) ** 2))
    pos = np.stack([xx, yy, zz], -1).reshape(-1, 3)
    return pos, grid_triangles(61, 61, False)


def facing_up(pos: np.ndarray, tri: np.ndarray) -> np.ndarray:
    p = pos[tri]
    return np.where(np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0])[:, 2:3] >= 0, tri, tri[:, ::-1])


def test_a_groove_is_a_crease_and_the_flat_sheet_around_it_is_not() -> None:
    pos, tri = sheet(0.004)
    depth = concavity(pos, facing_up(pos, tri))
    x, y = pos[:, 0], pos[:, 1]
    inner = np.abs(y) < 0.02  # away from the sheet's open ends
    groove = depth[inner & (np.abs(x) < 0.0005)]
    flat = depth[inner & (np.abs(x) > 0.02) & (np.abs(x) < 0.025)]
    assert groove.min() > 0.3, groove.min()
    assert flat.max() < 0.05, flat.max()


def test_a_ridge_and_a_flat_sheet_are_not_creases() -> None:
    pos, tri = sheet(-0.004)  # the groove turned into a ridge: its crest is convex (its feet,
    depth = concavity(pos, facing_up(pos, tri))  # where it meets the sheet, are a crease)
    crest = depth[(np.abs(pos[:, 0]) < 0.0015) & (np.abs(pos[:, 1]) < 0.02)]
    assert crest.max() < 0.02, crest.max()
    pos, tri = sheet(0.0)
    assert np.abs(concavity(pos, facing_up(pos, tri))).max() < 1e-9


def test_a_deeper_crease_is_darker() -> None:
    shallow_pos, tri = sheet(0.001)
    deep_pos, _ = sheet(0.004)
    tri = facing_up(deep_pos, tri)
    centre = np.argmin(np.abs(deep_pos[:, 0]) + np.abs(deep_pos[:, 1]))
    assert concavity(deep_pos, tri)[centre] > concavity(shallow_pos, tri)[centre] + 0.1
