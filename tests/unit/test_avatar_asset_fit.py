"""The generator's fitting steps (session 19): the collar fitted to the neck, the hairline's
conforming refinement and the skin weights' 16-bit quantisation."""

from __future__ import annotations

import numpy as np

from avatar.asset import body
from avatar.asset.hair import refine
from avatar.glb_writer import quantize_weights


def _cylinder(radius: float) -> np.ndarray:
    phi, y = np.meshgrid(np.linspace(-np.pi, np.pi, 181), np.linspace(-0.16, -0.06, 51))
    return np.c_[
        radius * np.sin(phi.ravel()), y.ravel(), body.COLLAR_Z + radius * np.cos(phi.ravel())
    ]


def test_collar_band_hugs_a_neck_and_flares_below() -> None:
    band = body.shirt_collar(_cylinder(0.055))[0]
    rows = band.positions.reshape(3, -1, 3)
    radius = np.hypot(rows[..., 0], rows[..., 2] - body.COLLAR_Z)
    assert np.allclose(radius[0], 0.0575, atol=2e-4)  # 2.5 mm of cloth off the neck
    assert (np.diff(radius, axis=0) > 0.001).all()  # each lower row further out
    loose = body.shirt_collar()[0].positions.reshape(3, -1, 3)
    assert np.hypot(loose[0, :, 0], loose[0, :, 2] - body.COLLAR_Z).min() > 0.069  # the old ring


def test_refine_splits_marked_edges_without_t_junctions() -> None:
    pos = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [2, 0, 0], [2, 1, 0.0]])
    tris = np.array([[0, 1, 2], [0, 2, 3], [1, 4, 5], [1, 5, 2]])
    split = np.zeros((4, 3), bool)
    split[0, 0] = split[0, 1] = True  # two edges of the first: its third is split too
    new_pos, new_tris, (colour,) = refine(pos, tris, [np.arange(6.0)[:, None]], split)
    a, b, c = (new_pos[new_tris[:, k]] for k in range(3))
    area = np.cross(b - a, c - a)[:, 2] / 2
    assert (area > 0).all() and np.isclose(area.sum(), 2.0)  # same surface, same winding
    assert len(new_pos) == 9 and len(new_tris) == 4 + 3 + 1 + 1  # 4 + bisected neighbours
    assert np.allclose(colour[6:, 0], [0.5, 1.0, 1.5])  # midpoints interpolate attributes
    # no T-junction: no vertex lies inside any triangle's edge
    for t in new_tris:
        for i in range(3):
            p, q = new_pos[t[i]], new_pos[t[(i + 1) % 3]]
            s = (new_pos - p) @ (q - p) / ((q - p) @ (q - p))
            off = np.linalg.norm(p + s[:, None] * (q - p) - new_pos, axis=1)
            assert not ((off < 1e-9) & (s > 1e-9) & (s < 1 - 1e-9)).any()


def test_weights_quantise_to_exact_sums() -> None:
    w = np.random.default_rng(1).dirichlet(np.ones(4), size=2000)
    w[:5] = [[1, 0, 0, 0], [0.5, 0.5, 0, 0], [1 / 3, 1 / 3, 1 / 3, 0], [0.25] * 4, [0.7, 0.3, 0, 0]]
    q = quantize_weights(w)
    assert q.dtype == np.uint16 and (q.astype(np.int64).sum(axis=1) == 65535).all()
    assert np.abs(q / 65535 - w).max() < 1.5 / 65535
