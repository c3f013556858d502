"""Skin colour of the ICT face and back of the head, as vertex colours from 3-D regions.

Each feature is a soft region of the rest-pose head (metres; the mouth corners of the ICT head
are at x = ±0.0235, y = −0.034; the pupils at x = ±0.031, y = 0.036): lip vermilion bounded by
an upper border with a Cupid's bow and a fuller lower lip, the inner lip surface darker, a warm
flush over the cheeks, nose tip and ears, a faint shave shadow over the jaw and upper lip (a
clean-shaven man seen under studio light), shading in the upper-lid crease and the nostrils,
and the scalp under the hair painted hair-coloured so no skin shows through gaps. The mouth
socket (the lining behind the lips, part of ICT-FaceKit's back-of-head mesh) is the inner lip's
colour, darker deeper in: left skin-coloured, it showed as a pale rim between the lips and the
gums whenever the jaw opened wide.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from avatar.asset.cavity import concavity
from avatar.asset.parts import Part, smoothstep, srgb

SKIN = srgb(222, 188, 168)
FLUSH = srgb(212, 156, 140)
LIP = srgb(172, 112, 106)
LIP_INNER = srgb(120, 52, 52)
#: The upper lip and the mouth corners (in shade, thinner skin over the muscle), the lower lip's
#: fuller middle, and the line where the lips meet (session 19: a flat pink band before).
LIP_DARK, LIP_LIGHT, LIP_LINE = srgb(146, 84, 82), srgb(188, 128, 120), srgb(96, 46, 46)
SHAVE = srgb(170, 150, 140)
CREASE = srgb(176, 128, 110)
NOSTRIL = srgb(90, 50, 42)
MOUTH_Y, MOUTH_HALF_W = -0.0338, 0.0235


def _blob(p: np.ndarray, cx: float, cy: float, sx: float, sy: float) -> np.ndarray:
    return np.exp(-(((p[:, 0] - cx) / sx) ** 2) - ((p[:, 1] - cy) / sy) ** 2)


def lip_mask(p: np.ndarray) -> np.ndarray:
    """Vermilion of the lips (V,) in [0, 1] for rest positions (V, 3)."""
    x, y, z = p.T
    xn = np.clip(np.abs(x) / MOUTH_HALF_W, 0, 1)
    width = np.sqrt(1 - xn**2)
    bow = 0.0012 * np.exp(-((x / 0.0035) ** 2)) - 0.0006 * np.exp(
        -(((np.abs(x) - 0.006) / 0.003) ** 2)
    )
    upper = (0.0085 - bow) * width**0.8
    lower = 0.0105 * width**0.65
    dy = y - MOUTH_Y
    up = smoothstep(upper + 0.0008, upper - 0.0006, dy) * (dy >= 0)
    low = smoothstep(-lower - 0.001, -lower + 0.0008, dy) * (dy < 0)
    return (up + low) * smoothstep(1.05, 0.95, np.abs(x) / MOUTH_HALF_W) * (z > 0.08)


def socket_mask(p: np.ndarray) -> np.ndarray:
    """The mouth socket (V,) in [0, 1] for rest positions (V, 3) of the back-of-head part: its
    vertices within 3-4 cm of the mouth's centre and in front of z = 0 (the socket runs from
    the lips at z = 10.8 cm back to z = 0; the part's next vertices there are the back of the
    head and neck, z < -4 cm)."""
    x, y, z = p.T
    near = smoothstep(0.04, 0.03, np.abs(x)) * smoothstep(0.04, 0.03, np.abs(y - MOUTH_Y))
    return near * smoothstep(-0.01, 0.005, z)


def face_colors(part: Part) -> np.ndarray:
    """Linear RGBA (V, 4) for the ICT face or back-of-head part."""
    p = part.positions
    x, y, z = p.T
    col = np.tile(SKIN, (len(p), 1))

    def mix(target: np.ndarray, amount: np.ndarray) -> None:
        nonlocal col
        col = col + (target - col) * np.clip(amount, 0, 1)[:, None]

    front = smoothstep(0.02, 0.07, z)
    mix(FLUSH, 0.35 * (_blob(p, 0.045, -0.005, 0.02, 0.02) + _blob(p, -0.045, -0.005, 0.02, 0.02)))
    mix(FLUSH, 0.3 * _blob(p, 0.0, 0.005, 0.01, 0.012) * front)  # nose tip
    mix(
        FLUSH, 0.35 * smoothstep(0.075, 0.085, np.abs(x)) * smoothstep(-0.06, -0.02, y) * (z < 0.04)
    )
    jaw = smoothstep(-0.02, -0.05, y) * smoothstep(-0.12, -0.085, y) * front
    mix(SHAVE, 0.22 * jaw * (1 - _blob(p, 0.0, -0.06, 0.012, 0.012)))
    mix(SHAVE, 0.18 * _blob(p, 0.0, -0.02, 0.018, 0.006) * front)  # upper lip
    crease = _blob(p, 0.033, 0.047, 0.013, 0.004) + _blob(p, -0.033, 0.047, 0.013, 0.004)
    mix(CREASE, 0.35 * crease * front)
    under = _blob(p, 0.031, 0.026, 0.012, 0.004) + _blob(p, -0.031, 0.026, 0.012, 0.004)
    mix(CREASE, 0.15 * under * front)
    nostril = _blob(p, 0.0105, -0.011, 0.005, 0.003) + _blob(p, -0.0105, -0.011, 0.005, 0.003)
    mix(NOSTRIL, 0.8 * nostril * smoothstep(0.115, 0.105, z))
    inner = smoothstep(0.106, 0.098, z) * _blob(p, 0.0, MOUTH_Y, 0.024, 0.007) * (z > 0.075)
    lips = lip_mask(p)
    mix(LIP, lips)
    dy = y - MOUTH_Y
    xn = np.clip(np.abs(x) / MOUTH_HALF_W, 0, 1)
    mix(LIP_DARK, lips * (0.45 * (dy > 0) + 0.4 * smoothstep(0.55, 1.0, xn)))
    mix(LIP_LIGHT, 0.45 * lips * _blob(p, 0.0, MOUTH_Y - 0.0055, 0.011, 0.003))
    meet = np.exp(-((dy / 0.0013) ** 2)) * (1 - xn**3) * (z > 0.09)
    mix(LIP_LINE, 0.75 * meet)
    mix(LIP_INNER, inner)
    mix(LIP_INNER * 0.4, smoothstep(0.085, 0.075, z) * _blob(p, 0.0, MOUTH_Y, 0.03, 0.012))
    if part.name == "backhead":
        socket = socket_mask(p)
        mix(LIP_INNER, socket)
        mix(LIP_INNER * 0.4, socket * smoothstep(0.1, 0.08, z))
    col[:, 3] = 1.0
    return col


#: How dark a full crease gets (linear factor 1 − CAVITY_DARK), and how much redder: light
#: reaching a crease has passed through more skin (blood absorbs green and blue).
CAVITY_DARK, CAVITY_TINT = 0.5, (1.0, 0.82, 0.78)


def occlude(parts: list[Part]) -> None:
    """Darken the skin parts' vertex colours in their creases (:mod:`avatar.asset.cavity`),
    in place; the parts are taken together so their seams are no border."""
    pos = np.concatenate([p.positions for p in parts])
    offsets = np.cumsum([0] + [len(p.positions) for p in parts])
    tri = np.concatenate([p.triangles + o for p, o in zip(parts, offsets, strict=False)])
    normals = None
    if all(p.normals is not None for p in parts):
        normals = np.concatenate([p.normals for p in parts])
    depth = concavity(pos, tri, normals)
    for p, o in zip(parts, offsets, strict=False):
        d = depth[o : o + len(p.positions)][:, None]
        shade = (1 - CAVITY_DARK * d) * (1 - d * (1 - np.asarray(CAVITY_TINT)))
        p.colors[:, :3] *= shade
        if p.normals is not None:
            inside = 0.85 * under_the_nose(p.positions, p.normals)
            p.colors[:, :3] += (NOSTRIL[:3] - p.colors[:, :3]) * inside[:, None]


def under_the_nose(positions: np.ndarray, normals: np.ndarray) -> np.ndarray:
    """Nostril floors (V,) in [0, 1]: vertices near the nose that face up (normal y > 0.3) with
    a downward-facing surface (the nostril's roof) up to 1.5 cm above them (within 3 mm across), for rest positions
    and unit normals (V, 3). Seen through the nostril openings they caught the key light and
    showed as two pale spots under the nose; in a face they lie in the nose's shadow."""
    x, y, z = positions.T
    # the nostrils lie within 14.5 mm of the midline; farther out, the alae's overhang over the
    # cheek's crease would make dark dots at a 1080p face's nose corners
    zone = (np.abs(x) < 0.0145) & (y > -0.02) & (y < 0.012) & (z > 0.09)
    # the floor lies above the nostril sill (y > -9.5 mm; the upper lip's skin, under the
    # nose too, lies lower), the tube's roof up to 1.5 cm above it
    up = np.flatnonzero(zone & (normals[:, 1] > 0.3) & (y > -0.0095) & (np.abs(x) > 0.003))
    roof = np.flatnonzero(zone & (normals[:, 1] < -0.3))
    out = np.zeros(len(positions))
    if len(up) == 0 or len(roof) == 0:
        return out
    tree = cKDTree(positions[roof][:, [0, 2]])
    for i, near in zip(up, tree.query_ball_point(positions[up][:, [0, 2]], 0.003), strict=True):
        gap = positions[roof[near], 1] - y[i]
        if near and ((gap > 0) & (gap < 0.015)).any():
            out[i] = 1.0
    return out


def gloss(part: Part) -> np.ndarray:
    """The skin's gloss (V,) in [0, 1] for the ICT face or back-of-head part, stored as its
    vertex alpha (``extras.skin``): matte cheeks and jaw (0.25), an oilier forehead and nose
    (the T-zone, up to 0.6), moist lips (0.9) and the wet inner lip and mouth socket (1)."""
    p = part.positions
    x, y, z = p.T
    front = smoothstep(0.02, 0.07, z)
    g = np.full(len(p), 0.25)
    tzone = smoothstep(0.045, 0.03, np.abs(x)) * smoothstep(0.045, 0.065, y) * front
    nose = _blob(p, 0.0, 0.012, 0.011, 0.03) * front
    g = np.maximum(g, 0.5 * tzone)
    g = np.maximum(g, 0.6 * nose)
    g = np.maximum(g, 0.9 * lip_mask(p))
    inner = smoothstep(0.106, 0.098, z) * _blob(p, 0.0, MOUTH_Y, 0.024, 0.007) * (z > 0.075)
    g = np.maximum(g, inner)
    if part.name == "backhead":
        g = np.maximum(g * smoothstep(0.0, 0.06, z), socket_mask(p))
    return g


GUM, TONGUE, TOOTH = srgb(168, 86, 88), srgb(150, 70, 76), srgb(242, 238, 226)


def mouth_colors(part: Part) -> np.ndarray:
    """Linear RGBA (V, 4) for the ICT gums/tongue or teeth: lighter in front, darker deep in
    the mouth (a stand-in for the ambient occlusion of the cavity)."""
    x, y, z = part.positions.T
    depth = 0.15 + 0.85 * smoothstep(0.085, 0.106, z)
    if part.name == "teeth":
        col = np.tile(TOOTH, (len(z), 1))
        depth = 0.35 + 0.65 * smoothstep(0.08, 0.104, z)
    else:
        tongue = smoothstep(-0.036, -0.042, y) * smoothstep(0.024, 0.016, np.abs(x))
        col = GUM + (TONGUE - GUM) * tongue[:, None]
    col = col * np.c_[depth, depth, depth, np.ones_like(depth)]
    return col
