"""The default avatar's head surface: a shaped latitude-longitude grid with lip and eyelid seams.

Pure numpy geometry for :mod:`avatar.generate`. The head is a superellipsoid (rounder at the
back, flatter across the face) with Gaussian features (nose, brow ridge, cheeks, chin, lips).
Rows and columns are denser around the eyes and mouth. The mouth and the eyes are *seams*: a
run of grid edges whose vertices are doubled, the upper copy used by the faces above, the lower
copy by the faces below. The mouth seam is closed at rest and opens when the jaw moves its lower
side; the eye seams are opened at rest (the lids part over the eyeballs) and a blink closes them.

Proportions follow the classical canon (eyes at half the head height, nose base at ~2/3, mouth
at ~3/4 of the eye-to-chin distance) for an adult head of ~23 cm crown to chin. Units: metres;
+Y up, the face looks along +Z, the avatar's left is +X.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RX, RY, RZ = 0.077, 0.117, 0.095  # head half-width, half-height, half-depth (m)
EYE_Y = 0.004  # eye centre height
EYE_X = 0.031  # eye centre distance from the midline
EYE_HALF_WIDTH = 0.0135  # half the eye fissure
EYE_RADIUS = 0.0122  # eyeball (adult ~24 mm diameter)
MOUTH_Y = -0.061
MOUTH_HALF_WIDTH = 0.0245
N_THETA, N_PHI = 112, 104


def smoothstep(e0: float, e1: float, x: np.ndarray) -> np.ndarray:
    """Hermite step from 0 at ``e0`` to 1 at ``e1`` (either order), float64."""
    t = np.clip((np.asarray(x, np.float64) - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def _gauss(x, y, cx, cy, sx, sy):
    return np.exp(-(((x - cx) / sx) ** 2) - ((y - cy) / sy) ** 2)


def _dense_samples(
    lo: float, hi: float, n: int, peaks: list[tuple[float, float, float]], exact: list[float]
) -> np.ndarray:
    """n samples in [lo, hi] with density 1 + Σ a·exp(−((t−c)/s)²); ``exact`` values hit."""
    t = np.linspace(lo, hi, 4096)
    density = np.ones_like(t)
    for c, s, a in peaks:
        density += a * np.exp(-(((t - c) / s) ** 2))
    cdf = np.concatenate([[0], np.cumsum((density[1:] + density[:-1]) / 2 * np.diff(t))])
    samples = np.interp(np.linspace(0, cdf[-1], n), cdf, t)
    for value in exact:
        samples[np.argmin(np.abs(samples - value))] = value
    return np.sort(samples)


def surface(theta: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """Head surface points float64 (..., 3) for azimuth ``theta`` (0 = front) and elevation."""
    c, s = np.cos(phi), np.sin(phi)
    st, ct = np.sin(theta), np.cos(theta)
    n = 2.6  # horizontal superellipse exponent: a flatter face, squarer sides
    x = RX * c * np.sign(st) * np.abs(st) ** (2 / n)
    z = RZ * c * np.sign(ct) * np.abs(ct) ** (2 / n)
    y = RY * s
    z = np.where(z < 0, z * 1.06, z)  # fuller cranium behind
    lower = smoothstep(0.0, -RY, y)
    x = x * (1 - 0.12 * lower - 0.16 * lower**2)  # jaw and chin taper
    z = np.where(z > 0, z * (1 - 0.1 * lower**2), z * (1 - 0.35 * lower))
    front = smoothstep(0.0, 0.05, z)
    ax = np.abs(x)
    bump = (
        0.0045 * _gauss(ax, y, 0.0, 0.024, 0.05, 0.009)  # brow ridge
        - 0.0045 * _gauss(ax, y, EYE_X, EYE_Y, 0.016, 0.012)  # eye sockets
        + 0.004 * _gauss(ax, y, 0.04, -0.03, 0.018, 0.02)  # cheekbones
        + 0.007 * _gauss(ax, y, 0.0, MOUTH_Y, 0.03, 0.024)  # muzzle
        + 0.006 * _gauss(ax, y, 0.0, -0.1, 0.017, 0.012)  # chin
        + 0.0025 * _gauss(ax, y, 0.0, MOUTH_Y + 0.005, 0.02, 0.004)  # upper lip
        + 0.003 * _gauss(ax, y, 0.0, MOUTH_Y - 0.0055, 0.019, 0.0045)  # lower lip
        - 0.0012 * _gauss(ax, y, 0.0, MOUTH_Y - 0.014, 0.015, 0.004)  # labiomental fold
    )
    # Nose: a ridge from the bridge to the tip, then the alae and the columella.
    ny = np.clip((0.012 - y) / 0.042, 0.0, 1.0)  # 0 at the bridge, 1 at the tip
    ridge = (0.004 + 0.017 * ny**1.4) * np.exp(-((x / (0.0055 + 0.006 * ny)) ** 2))
    ridge *= smoothstep(-0.046, -0.03, y) * smoothstep(0.03, 0.012, y)
    alae = 0.006 * _gauss(ax, y, 0.0105, -0.034, 0.0055, 0.0055)
    bump = bump + ridge + alae
    return np.stack([x, y, z + bump * front], axis=-1)


@dataclass(frozen=True, slots=True)
class HeadGrid:
    """The head mesh with seam bookkeeping.

    Attributes:
        positions: float64 (V, 3) rest positions (eyes already opened).
        indices: uint32 (I,) triangles.
        upper: bool (V,), vertex is the upper copy of a seam vertex (mouth or eye).
        lower: bool (V,), vertex is the lower copy (the original) of a seam vertex.
        mouth_seam: bool (V,), vertex lies on the mouth seam (either copy).
        eye_morphs: (side, "blink" | "wide" | "squint") → float64 (V, 3) deltas from rest.
    """

    positions: np.ndarray
    indices: np.ndarray
    upper: np.ndarray
    lower: np.ndarray
    mouth_seam: np.ndarray
    eye_morphs: dict


def build_head() -> HeadGrid:
    """Build the head grid (see the module docstring)."""
    phi_m = float(np.arcsin(MOUTH_Y / RY))
    phi_e = float(np.arcsin(EYE_Y / RY))
    phi = _dense_samples(
        -np.pi / 2 + 0.02,
        np.pi / 2 - 0.02,
        N_PHI,
        [(phi_m, 0.1, 5.0), (phi_e, 0.12, 4.0), (0.0, 0.5, 1.0)],
        [phi_m, phi_e],
    )
    theta = _dense_samples(-np.pi, np.pi, N_THETA + 1, [(0.0, 0.55, 4.0)], [0.0])[:-1]
    tt, pp = np.meshgrid(theta, phi)  # (N_PHI, N_THETA), rows bottom → top
    grid = surface(tt, pp)
    j_m, j_e = int(np.argmin(np.abs(phi - phi_m))), int(np.argmin(np.abs(phi - phi_e)))
    x_row_m, x_row_e = grid[j_m, :, 0], grid[j_e, :, 0]
    front_m, front_e = grid[j_m, :, 2] > 0, grid[j_e, :, 2] > 0
    mouth_cols = np.flatnonzero(front_m & (np.abs(x_row_m) < MOUTH_HALF_WIDTH))
    eye_cols = np.flatnonzero(front_e & (np.abs(np.abs(x_row_e) - EYE_X) < EYE_HALF_WIDTH))
    positions = grid.reshape(-1, 3)
    vid = np.arange(positions.shape[0]).reshape(grid.shape[:2])
    upper_id = vid.copy()
    seam_rows = [(j_m, c) for c in mouth_cols] + [(j_e, c) for c in eye_cols]
    extra = []
    for k, (j, c) in enumerate(seam_rows):
        upper_id[j, c] = positions.shape[0] + k
        extra.append(positions[vid[j, c]])
    positions = np.concatenate([positions, np.asarray(extra)])
    v_count = positions.shape[0]
    upper = np.zeros(v_count, bool)
    upper[vid.size :] = True
    lower = np.zeros(v_count, bool)
    mouth_seam = np.zeros(v_count, bool)
    for k, (j, c) in enumerate(seam_rows):
        lower[vid[j, c]] = True
        if j == j_m:
            mouth_seam[[vid[j, c], vid.size + k]] = True
    # Quads (j, i) → (j + 1, i + 1); the bottom row of a quad uses the upper copies.
    j, i = np.meshgrid(np.arange(N_PHI - 1), np.arange(N_THETA), indexing="ij")
    i1 = (i + 1) % N_THETA
    a, b = upper_id[j, i], upper_id[j, i1]
    c, d = vid[j + 1, i1], vid[j + 1, i]
    tris = np.stack([np.stack([a, b, c], -1), np.stack([a, c, d], -1)], axis=2)
    indices = tris.reshape(-1).astype(np.uint32)
    lids = {}
    for side in (1, -1):
        for key, up, down in (
            ("rest", 1, 1),
            ("blink", 0, 0),
            ("wide", 1.4, 1.05),
            ("squint", 0.85, 0.35),
        ):
            lids[side, key] = lid_offsets(positions, upper, lower, mouth_seam, side, up, down)
    rest = positions + lids[1, "rest"] + lids[-1, "rest"]
    eye_morphs = {
        (side, key): lids[side, key] - lids[side, "rest"]
        for side in (1, -1)
        for key in ("blink", "wide", "squint")
    }
    return HeadGrid(rest, indices, upper, lower, mouth_seam, eye_morphs)


def eye_center(side: int) -> np.ndarray:
    """Eyeball centre (3,) for side +1 (avatar's left, +X) or −1 (right)."""
    front = surface(
        np.array(np.arcsin(np.clip(side * EYE_X / RX, -1, 1)) * 0.93),
        np.array(np.arcsin(EYE_Y / RY)),
    )
    return np.array([side * EYE_X, EYE_Y, float(front[2]) - EYE_RADIUS + 0.0032])


def _lid_z(p: np.ndarray, center: np.ndarray, radius: float) -> np.ndarray:
    """z of the lid sphere at p's (x, y), NaN outside it."""
    rho2 = (p[:, 0] - center[0]) ** 2 + (p[:, 1] - center[1]) ** 2
    return center[2] + np.sqrt(np.where(rho2 < radius**2, radius**2 - rho2, np.nan))


def lid_shape(x: np.ndarray, side: int) -> np.ndarray:
    """Almond profile in [0, 1] across the eye fissure (0 at the corners), peak nasal of centre."""
    s = (x - side * EYE_X) / EYE_HALF_WIDTH * side  # −1 inner corner, +1 outer corner
    s = np.clip(s + 0.12 * (1 - s**2), -1, 1)
    return np.clip(1 - s**2, 0, 1) ** 0.75


def lid_offsets(positions, upper, lower, mouth_seam, side: int, up: float, down: float):
    """Displacement float64 (V, 3) that wraps one eye's lids over its eyeball and parts them.

    Args:
        positions: (V, 3) head grid before any lid shaping.
        upper, lower, mouth_seam: seam flags from the grid.
        side: +1 avatar's left eye (+X), −1 right.
        up: upper-lid opening as a multiple of the rest opening (0 closed, 1 rest).
        down: lower-lid opening likewise.
    """
    center = eye_center(side)
    lid_r = EYE_RADIUS + 0.0011
    p = positions
    near = (np.abs(p[:, 0] - center[0]) < EYE_HALF_WIDTH * 1.9) & (p[:, 2] > 0)
    near &= (np.abs(p[:, 1] - center[1]) < 0.03) & ~mouth_seam
    shape = lid_shape(p[:, 0], side) * near
    dy = p[:, 1] - EYE_Y
    up_fall = np.clip(1 - np.maximum(dy, 0) / 0.015, 0, 1) * ((dy > 1e-9) | upper)
    down_fall = np.clip(1 - np.maximum(-dy, 0) / 0.011, 0, 1) * ((dy < -1e-9) | lower)
    moved = p.copy()
    moved[:, 1] += shape * (0.0066 * up * up_fall - 0.0046 * down * down_fall)
    wrap = _lid_z(moved, center, lid_r)  # lids ride on a sphere just over the eyeball
    rho = np.hypot(moved[:, 0] - center[0], moved[:, 1] - center[1])
    blend = smoothstep(lid_r * 1.45, lid_r * 0.8, rho) * near
    z = np.where(np.isnan(wrap), moved[:, 2], np.maximum(moved[:, 2], wrap))
    moved[:, 2] = moved[:, 2] + (z - moved[:, 2]) * blend
    return (moved - p) * near[:, None]
