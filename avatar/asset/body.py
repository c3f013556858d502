"""The uniform: suit jacket over the torso and arms, shirt, collar, tie, button and name badge.

Proportions follow adult male anthropometry (e.g. NASA-STD-3000 / ANSUR II medians, rounded):
the shoulders' top is ~8 cm below the chin, the bideltoid breadth ~47 cm with the jacket, the
chest depth ~24 cm. The jacket is a loft of superellipse rings (half-width, half-depth, centre
depth and squareness per height, in metres on the ICT head's frame, whose chin is at
y ≈ −0.085); in front, inside the V of the lapels, the same surface is the shirt. The lapels,
the shirt collar, the tie, the button and the badge are separate thin pieces laid a few
millimetres over it, so every edge the eye follows is a geometric edge, crisp at any resolution
(not a colour change between vertices). The badge is a textured quad: its image (brand colour
and text) is replaced at load time from config (``avatar.badge``).
"""

from __future__ import annotations

import numpy as np

from avatar.asset.parts import Part, grid_triangles, orient_outward, smoothstep, srgb

JACKET, JACKET_SEAM = srgb(38, 46, 70), srgb(24, 29, 45)
SHIRT, TIE, BUTTON = srgb(236, 238, 242), srgb(120, 34, 46), srgb(24, 26, 34)
# ring height → (half-width, half-depth, centre z, squareness exponent), metres
_RING_Y = np.array(
    [-0.1, -0.115, -0.13, -0.145, -0.16, -0.18, -0.205, -0.235, -0.28, -0.35, -0.45, -0.55, -0.62]
)
_RING_W = np.array(
    [0.076, 0.086, 0.11, 0.15, 0.185, 0.212, 0.228, 0.236, 0.24, 0.24, 0.236, 0.232, 0.228]
)
_RING_D = np.array(
    [0.062, 0.068, 0.08, 0.088, 0.092, 0.096, 0.1, 0.105, 0.112, 0.12, 0.12, 0.115, 0.11]
)
_RING_Z = np.array(
    [
        -0.008,
        -0.008,
        -0.008,
        -0.009,
        -0.01,
        -0.01,
        -0.01,
        -0.01,
        -0.01,
        -0.008,
        -0.008,
        -0.01,
        -0.012,
    ]
)
_RING_N = np.array([2.0, 2.2, 2.5, 2.8, 3.0, 3.0, 3.0, 2.9, 2.8, 2.7, 2.6, 2.6, 2.6])
BUTTON_Y = -0.45  # the jacket's (top) button; the V of the lapels closes here
TIE_END_Y = BUTTON_Y + 0.004  # the tie runs on under the lapels where they close
COLLAR_W, COLLAR_D, COLLAR_Z = 0.07, 0.072, -0.008  # shirt collar ellipse around the neck


def _ring(y: np.ndarray):
    """Ring parameters interpolated at heights ``y`` (descending table → np.interp on −y)."""
    return tuple(np.interp(-y, -_RING_Y, t) for t in (_RING_W, _RING_D, _RING_Z, _RING_N))


def _superellipse(phi, w, d, zc, n):
    s, c = np.sin(phi), np.cos(phi)
    x = w * np.sign(s) * np.abs(s) ** (2 / n)
    z = zc + d * np.sign(c) * np.abs(c) ** (2 / n)
    return x, z


def front_z(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Depth (m) of the jacket's front surface at (x, y)."""
    w, d, zc, n = _ring(np.asarray(y, np.float64))
    u = np.clip(np.abs(x) / w, 0, 0.999)
    return zc + d * (1 - u**n) ** (1 / n)


def on_front(x: np.ndarray, y: np.ndarray, lift: float) -> np.ndarray:
    """Points (N, 3) ``lift`` metres out from the front surface along its normal."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    z = front_z(x, y)
    e = 1e-4
    dzdx = (front_z(x + e, y) - front_z(x - e, y)) / (2 * e)
    dzdy = (front_z(x, y + e) - front_z(x, y - e)) / (2 * e)
    n = np.stack([-dzdx, -dzdy, np.ones_like(x)], -1)
    n /= np.linalg.norm(n, axis=-1, keepdims=True)
    return np.stack([x, y, z], -1) + lift * n


def v_half_width(y: np.ndarray) -> np.ndarray:
    """Half-width (m) of the lapels' V opening at height ``y`` (0 at the button)."""
    t = np.clip((np.asarray(y) - BUTTON_Y) / (_RING_Y[0] - BUTTON_Y), 0, 1)
    return 0.072 * t**0.85


def jacket() -> Part:
    """The jacket and the shirt front inside its V, as one loft."""
    ys = np.r_[np.linspace(-0.1, -0.24, 22), np.linspace(-0.24, -0.62, 19)[1:]]
    phi = np.linspace(-np.pi, np.pi, 88, endpoint=False)
    w, d, zc, n = _ring(ys)
    x, z = _superellipse(phi[None, :], w[:, None], d[:, None], zc[:, None], n[:, None])
    # the jacket's collar line: high at the back of the neck, lower at the sides and front
    top = -0.113 + 0.02 * (1 - np.cos(phi)) / 2
    fade = smoothstep(-0.135, -0.1, ys)[:, None]
    y = ys[:, None] + (top[None, :] + 0.1) * fade
    pos = np.stack([x, y, z], -1).reshape(-1, 3)
    tris = grid_triangles(len(ys), len(phi), wrap=True)
    axis = np.c_[np.zeros(len(tris)), pos[tris].mean(axis=1)[:, 1], np.full(len(tris), -0.01)]
    tris = orient_outward(pos, tris, axis)
    px, py, pz = pos.T
    gap = np.abs(px) - v_half_width(py)
    shirt = smoothstep(0.006, -0.006, gap) * (pz > 0) * (py > BUTTON_Y)
    # the shirt darkens into the lapels' shadow and under the collar points
    shade = 0.78 + 0.22 * smoothstep(0.0, -0.02, gap) * smoothstep(-0.12, -0.17, py)
    col = (
        JACKET
        + (SHIRT * np.r_[shade[:, None].repeat(3, 1).T, [np.ones_like(shade)]].T - JACKET)
        * shirt[:, None]
    )
    # sleeve seams: a darker crease where the arms meet the body, below the shoulders
    seam = np.exp(-(((np.abs(px) - 0.17) / 0.006) ** 2)) * smoothstep(-0.25, -0.3, py)
    col = col + (JACKET_SEAM - col) * (0.8 * seam * (1 - shirt))[:, None]
    col[:, 3] = 1.0
    return Part("jacket", "suit", pos, tris, col)


def _strip(inner: np.ndarray, outer: np.ndarray, cols: int) -> tuple[np.ndarray, np.ndarray]:
    """A quad strip between two polylines (R, 3): positions (R·cols, 3), triangles."""
    t = np.linspace(0, 1, cols)
    pos = inner[:, None, :] + (outer - inner)[:, None, :] * t[None, :, None]
    return pos.reshape(-1, 3), grid_triangles(len(inner), cols, wrap=False)


def lapels() -> list[Part]:
    """Left and right lapels (notched), over the V's edge."""
    ys = np.linspace(-0.104, BUTTON_Y, 34)
    widths = np.interp(
        -ys, [0.104, 0.19, 0.197, 0.205, 0.3, -BUTTON_Y], [0.024, 0.07, 0.052, 0.08, 0.055, 0.03]
    )
    out = []
    for side in (1, -1):
        xi = side * v_half_width(ys)
        xo = xi + side * widths
        inner = on_front(xi, ys, 0.007)
        outer = on_front(xo, ys, 0.0025)
        pos, tris = _strip(inner, outer, 4)
        tris = orient_outward(pos, tris, pos[tris].mean(axis=1) - [0, 0, 0.05])
        col = np.tile(JACKET, (len(pos), 1))
        edge = np.tile(np.linspace(0, 1, 4), len(ys))
        col[:, :3] *= (1.15 - 0.45 * edge**4)[:, None]  # light on the roll, shadow at the edge
        out.append(Part("lapel", "suit", pos, tris, col))
    return out


def neck_radii(neck: np.ndarray, phi: np.ndarray, top: np.ndarray) -> np.ndarray:
    """How far the neck reaches out from the collar's axis (x = 0, z = ``COLLAR_Z``), per
    azimuth, over the collar band's top and middle rows.

    Args:
        neck: float64 (N, 3) skin points of the head and neck (m, the ICT head's frame).
        phi: (A,) azimuths about the axis, rad (0 = front, π/2 = the avatar's left).
        top: (A,) the band's top edge height at each azimuth, m.

    Returns:
        float64 (2, A): the largest radius (m) of the neck within ±0.15 rad and 8 mm under
        (4 over) the top edge, then between 8 and 24 mm under it; azimuths with no neck
        point there take their neighbours' value.
    """
    ph = np.arctan2(np.abs(neck[:, 0]), neck[:, 2] - COLLAR_Z)
    r = np.hypot(neck[:, 0], neck[:, 2] - COLLAR_Z)
    out = np.full((2, len(phi)), np.nan)
    a = np.minimum(phi, 2 * np.pi - phi)  # the neck is symmetric enough: fit one side
    for k, (lo, hi) in enumerate(((-0.008, 0.004), (-0.024, -0.008))):
        for i, (az, t) in enumerate(zip(a, top, strict=True)):
            m = (np.abs(ph - az) < 0.15) & (neck[:, 1] > t + lo) & (neck[:, 1] < t + hi)
            if m.any():
                out[k, i] = r[m].max()
        ok = ~np.isnan(out[k])
        out[k] = np.interp(np.arange(len(phi)), np.flatnonzero(ok), out[k, ok])
    return out


def shirt_collar(neck: np.ndarray | None = None) -> list[Part]:
    """The collar band around the neck and its two points lying on the shirt front.

    Args:
        neck: float64 (N, 3) the head's skin points; with them the band's top is fitted to
            the neck (2.5 mm of cloth off it, :func:`neck_radii`) and flares to the jacket's
            opening below; without them it is a fixed ellipse (it stood 12-17 mm off the ICT
            neck: its inside showed beside the neck as a white gap, newcomer19).
    """
    phi = np.linspace(0.33, 2 * np.pi - 0.33, 60)
    top = -0.11 + 0.028 * (1 - np.cos(phi)) / 2
    rows = []
    if neck is not None:
        fit = neck_radii(neck, phi, top)
        kernel = np.exp(-0.5 * (np.arange(-3, 4) / 1.5) ** 2)
        kernel /= kernel.sum()
        fit = np.array([np.convolve(np.pad(f, 3, mode="edge"), kernel, "valid") for f in fit])
        r_top = fit[0] + 0.0025
        r_mid = np.maximum(r_top + 0.0015, fit[1] + 0.0025)
        r_bot = np.maximum(np.hypot(COLLAR_W, COLLAR_D) / np.sqrt(2) + 0.007, r_mid + 0.003)
        for dy, r in ((0.0, r_top), (-0.016, r_mid), (-0.032, r_bot)):
            rows.append(np.c_[r * np.sin(phi), top + dy, COLLAR_Z + r * np.cos(phi)])
    else:
        for dy, grow in ((0.0, 0.0), (-0.016, 0.003), (-0.032, 0.007)):
            x = (COLLAR_W + grow) * np.sin(phi)
            z = COLLAR_Z + (COLLAR_D + grow) * np.cos(phi)
            rows.append(np.c_[x, top + dy, z])
    pos = np.concatenate(rows)
    tris = grid_triangles(3, len(phi), wrap=False)
    axis = np.c_[np.zeros(len(tris)), pos[tris].mean(axis=1)[:, 1], np.full(len(tris), COLLAR_Z)]
    tris = orient_outward(pos, tris, axis)
    shade = np.repeat([0.92, 1.0, 0.85], len(phi))[:, None] * [1, 1, 1, 0] + [0, 0, 0, 1]
    parts = [Part("collar", "shirt", pos, tris, SHIRT * shade)]
    for side in (1, -1):
        a = rows[0][0 if side > 0 else -1]  # band's front top corner
        b = rows[2][0 if side > 0 else -1]  # band's front bottom corner
        tip = on_front(np.array([side * 0.052]), np.array([-0.165]), 0.006)[0]
        mid = on_front(np.array([side * 0.05]), np.array([-0.125]), 0.006)[0]
        pos = np.array([a, b, mid, tip])
        tris = np.array([[0, 1, 2], [0, 2, 3]])
        tris = orient_outward(pos, tris, pos[tris].mean(axis=1) - [0, 0, 0.05])
        parts.append(Part("collar", "shirt", pos, tris, SHIRT * [0.97, 0.97, 0.97, 1.0]))
    return parts


def _tie_grid(
    ys: np.ndarray,
    half: np.ndarray,
    lift: np.ndarray,
    shade: np.ndarray,
    across: np.ndarray | None = None,
):
    """One piece of the tie: rows at ``ys`` (m), ``half`` widths, lifted off the shirt by
    ``lift`` and rounded across; vertex colours ``TIE`` × ``shade`` per row (× ``across`` per
    column, 5 values left to right, when given)."""
    cols = 5
    x = half[:, None] * np.linspace(-1, 1, cols)[None, :]
    y = np.broadcast_to(ys[:, None], x.shape)
    pos = on_front(x.ravel(), y.ravel(), 0.0)
    bulge = (1 - np.linspace(-1, 1, cols) ** 2)[None, :] * np.minimum(lift, 0.003)[:, None]
    pos[:, 2] += (lift[:, None] + bulge).ravel()
    tris = grid_triangles(len(ys), cols, wrap=False)
    tris = orient_outward(pos, tris, pos[tris].mean(axis=1) - [0, 0, 0.05])
    col = np.tile(TIE, (len(pos), 1))
    col[:, :3] *= shade.repeat(cols)[:, None]
    if across is not None:
        col[:, :3] *= np.tile(across, len(ys))[:, None]
    return pos, tris, col


def tie() -> Part:
    """The knot under the collar, standing out from the blade (narrower at its foot, lifted,
    lit from above), and the blade from a pinched, shaded start under it down to where the
    jacket closes: the knot used to be the blade's own widening top, a flat band at 720 px.
    The knot is lit on its left and falls into shade on its right (the fold of the wrap) and
    ends in a dark crease: at 512² the same red on both pieces read as one flat strip
    (newcomer12)."""
    ys = np.linspace(-0.106, -0.139, 6)
    knot = _tie_grid(
        ys,
        np.interp(-ys, [0.106, 0.139], [0.0175, 0.0085]),
        np.interp(-ys, [0.106, 0.139], [0.017, 0.012]),
        np.interp(-ys, [0.106, 0.126, 0.139], [1.15, 0.85, 0.38]),
        np.array([1.4, 1.25, 1.0, 0.7, 0.5]),  # the wrap's fold, lit from the left
    )
    ys = np.r_[np.linspace(-0.134, -0.16, 5), np.linspace(-0.17, TIE_END_Y, 18)]
    blade = _tie_grid(
        ys,
        np.interp(-ys, [0.134, 0.15, 0.3, 0.39, -TIE_END_Y], [0.0075, 0.0115, 0.026, 0.03, 0.022]),
        np.interp(-ys, [0.134, 0.15, 0.3, -TIE_END_Y], [0.009, 0.007, 0.004, 0.001]),
        np.interp(-ys, [0.134, 0.145, 0.17], [0.4, 0.7, 1.0]),
    )
    pos = np.r_[knot[0], blade[0]]
    tris = np.r_[knot[1], blade[1] + len(knot[0])]
    return Part("tie", "tie", pos, tris, np.r_[knot[2], blade[2]])


def button() -> Part:
    """The jacket's button where the V closes."""
    a = np.linspace(0, 2 * np.pi, 12, endpoint=False)
    ring = np.c_[0.009 * np.cos(a), BUTTON_Y - 0.012 + 0.009 * np.sin(a)]
    centre = on_front(np.array([0.0]), np.array([BUTTON_Y - 0.012]), 0.006)
    rim = on_front(ring[:, 0], ring[:, 1], 0.004)
    pos = np.r_[centre, rim]
    tris = np.stack([np.zeros(12, int), 1 + np.arange(12), 1 + (np.arange(12) + 1) % 12], 1)
    tris = orient_outward(pos, tris, pos[tris].mean(axis=1) - [0, 0, 0.05])
    return Part("button", "suit", pos, tris, BUTTON)


BADGE_CENTRE = (0.134, -0.262)  # x, y in metres on the avatar's left breast
#: A large staff badge (110 × 44 mm): at the page's 512² video it is ~90 × 37 px, so its name in
#: two lines has ~11 px letters (75 × 24 mm gave 8 px: unreadable). It stays clear of the lapel.
BADGE_SIZE_M = (0.110, 0.044)


def badge() -> Part:
    """The name badge quad (textured; UV (0, 0) at its top-left corner)."""
    cols, rows = 9, 4
    u, v = np.meshgrid(np.linspace(0, 1, cols), np.linspace(0, 1, rows))
    x = BADGE_CENTRE[0] + (u - 0.5) * BADGE_SIZE_M[0]
    y = BADGE_CENTRE[1] - (v - 0.5) * BADGE_SIZE_M[1]
    pos = on_front(x.ravel(), y.ravel(), 0.005)
    tris = grid_triangles(rows, cols, wrap=False)
    tris = orient_outward(pos, tris, pos[tris].mean(axis=1) - [0, 0, 0.05])
    return Part("badge", "badge", pos, tris, uvs=np.c_[u.ravel(), v.ravel()])


def body_parts(neck: np.ndarray | None = None) -> list[Part]:
    """Every piece of the uniform; ``neck`` (N, 3) skin points fit the collar to the neck."""
    return [jacket(), *lapels(), *shirt_collar(neck), tie(), button(), badge()]


def under_collar(points: np.ndarray) -> np.ndarray:
    """True for ICT skin points (N, 3) that stay visible above the collar (the rest of the
    neck, hidden inside the shirt, is cut)."""
    phi = np.arctan2(points[:, 0], points[:, 2] - COLLAR_Z)
    top = -0.11 + 0.028 * (1 - np.cos(phi)) / 2
    return points[:, 1] > top - 0.014
