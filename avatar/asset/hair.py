"""Short business haircut and eyebrows, grown from the ICT head surface.

Hair: the head's own triangles inside the hairline, offset along the welded surface normals by
a thickness field (a side-parted short cut: ~17 mm of volume on top, ~7 mm over the temples,
tapering to the skin at the hairline and to ~1 mm at the nape), so the shell meets the skin
without a step and costs no more triangles than the scalp it covers. Strand streaks and a
lighter sheen on the crown are vertex colours. The hairline is a height per azimuth around
the head (front, temples, sideburns, over the ears, nape), in metres on the ICT head.

Eyebrows: two tapered strips laid 0.7 mm over the brow ridge; every strip vertex copies the
morph deltas of the face vertex under it, so the brows follow ``browInnerUp``, ``browDown`` …
"""

from __future__ import annotations

import numpy as np

from avatar.asset.parts import Part, grid_triangles, smoothstep, srgb

HAIR, HAIR_SHEEN = srgb(44, 34, 28), srgb(90, 72, 60)
BROW = srgb(44, 33, 27)
CENTRE = np.array([0.0, 0.03, -0.005])  # azimuths are measured about this vertical axis
# azimuth (rad, 0 = front, π = back) → hairline height (m)
_AZ = [0.0, 0.35, 0.7, 0.95, 1.1, 1.22, 1.32, 1.5, 1.8, 2.0, 2.3, 2.7, np.pi]
_Y = [0.116, 0.111, 0.1, 0.085, 0.058, 0.024, 0.045, 0.058, 0.058, 0.045, 0.0, -0.028, -0.036]


def hairline_y(p: np.ndarray) -> np.ndarray:
    """Hairline height (V,) in metres at the azimuth of each point (V, 3)."""
    theta = np.abs(np.arctan2(p[:, 0] - CENTRE[0], p[:, 2] - CENTRE[2]))
    return np.interp(theta, _AZ, _Y)


def hair_amount(p: np.ndarray) -> np.ndarray:
    """How much a head point is under hair (V,) in [0, 1]: soft over 6 mm on the forehead, over
    ~2 cm at the sides, where the scalp's triangles are ~1 cm wide and hair thins out anyway."""
    side = smoothstep(0.04, 0.075, np.abs(p[:, 0])) * (p[:, 1] < 0.11)
    lo, hi = -0.002 - 0.008 * side, 0.004 + 0.012 * side
    return smoothstep(lo, hi, p[:, 1] - hairline_y(p))


def weld(parts: list[Part]) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]:
    """Merge coincident vertices of parts: (positions (U, 3), triangles (T, 3), normals (U, 3),
    per-part vertex → welded index)."""
    pos = np.concatenate([p.positions for p in parts])
    key = np.round(pos * 1e5).astype(np.int64)
    _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    offsets = np.cumsum([0] + [len(p.positions) for p in parts])
    tris = np.concatenate([inverse[p.triangles + o] for p, o in zip(parts, offsets, strict=False)])
    welded = pos[first]
    a, b, c = (welded[tris[:, k]] for k in range(3))
    face_n = np.cross(b - a, c - a)
    normals = np.zeros_like(welded)
    for k in range(3):
        np.add.at(normals, tris[:, k], face_n)
    normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)
    maps = [inverse[o : o + len(p.positions)] for p, o in zip(parts, offsets, strict=False)]
    return welded, tris, normals, maps


def hair_shell(head_parts: list[Part]) -> Part:
    """The haircut as one :class:`Part` over the given skin parts (face + back of head).

    The skin parts' vertex colours are blended in at the hairline's soft edge."""
    pos, tris, normals, maps = weld(head_parts)
    skin_colors = np.zeros((len(pos), 4))
    for part, m in zip(head_parts, maps, strict=True):
        skin_colors[m] = part.colors
    amount = hair_amount(pos)
    keep = (amount[tris] > 0.0).any(axis=1)
    tris = tris[keep]
    used, inverse = np.unique(tris, return_inverse=True)
    p, n, amt = pos[used], normals[used], amount[used]
    rel = p - CENTRE
    theta = np.arctan2(rel[:, 0], rel[:, 2])
    above = p[:, 1] - hairline_y(p)
    top = smoothstep(0.06, 0.13, p[:, 1])
    front = smoothstep(-0.02, 0.08, p[:, 2])
    thickness = 0.008 + 0.013 * top + 0.004 * top * front
    thickness *= smoothstep(-0.002, 0.02, above)  # meet the skin at the hairline
    thickness *= 0.25 + 0.75 * smoothstep(-0.06, 0.02, p[:, 1])  # close-cut nape
    part_line = np.exp(-(((theta - 0.42) / 0.05) ** 2)) * smoothstep(0.09, 0.12, p[:, 1])
    thickness -= 0.0025 * part_line * (p[:, 2] > -0.05)
    thickness = np.maximum(thickness, 0.0006)
    shell = p + n * thickness[:, None]
    # strands combed away from the side part: streaks vary across the combing direction
    streak = 0.75 + 0.25 * np.sin(theta * 140 + 40 * p[:, 1]) * np.sin(theta * 53 + 7)
    sheen = smoothstep(0.1, 0.145, p[:, 1]) * (0.5 + 0.5 * streak)
    col = HAIR * streak[:, None] + (HAIR_SHEEN - HAIR) * (0.6 * sheen)[:, None]
    skin = np.asarray(skin_colors)[used] if skin_colors is not None else col
    col = skin + (col - skin) * smoothstep(0.0, 0.8, amt)[:, None]  # a soft hairline
    col[:, 3] = 1.0
    # the strand frame the renderer shades with (Material.strands): across, along
    uvs = np.stack([theta, p[:, 1]], axis=1)
    return Part("hair", "hair", shell, inverse.reshape(-1, 3), col, uvs=uvs)


def eyebrows(face: Part, face_skin: np.ndarray) -> list[Part]:
    """Left and right eyebrow strips over the ICT brow ridge (see the module docstring); their
    edges blend toward ``face_skin`` (linear RGBA (4,)) so they do not read as cut-outs."""
    front = np.flatnonzero((face.positions[:, 2] > 0.07) & (face.positions[:, 1] > 0.03))
    fp = face.positions[front]
    out = []
    for side in (1, -1):
        s = np.linspace(0.0, 1.0, 16)
        x = side * (0.012 + 0.046 * s)
        y = 0.0485 + 0.0055 * np.sin(np.pi * np.clip(s * 0.9 + 0.05, 0, 1)) - 0.003 * s**2
        width = 0.0115 * (1 - 0.55 * s**1.5) * (0.8 + 0.2 * smoothstep(0.0, 0.2, s))
        offsets = (0.5, 0.2, -0.2, -0.5)  # upper edge first
        rows = [np.c_[x, y + off * width - 0.0012 * s] for off in offsets]
        xy = np.concatenate(rows)
        d = ((xy[:, None, :] - fp[None, :, :2]) ** 2).sum(axis=2)
        near = d.argmin(axis=1)
        ring = np.argsort(d, axis=1)[:, :6]
        pos = np.c_[xy, fp[ring, 2].max(axis=1) + 0.0008]
        tris = grid_triangles(len(offsets), len(s), wrap=False)
        if side < 0:
            tris = tris[:, ::-1]
        morphs = {k: v[front[near]] for k, v in face.morphs.items()}
        # soft edges: the outer rows are half skin; the tail thins out toward the skin too
        edge = np.repeat([0.35, 0.0, 0.0, 0.4], len(s)) + 0.3 * np.tile(s**2, len(offsets))
        col = BROW + (face_skin - BROW) * np.clip(edge, 0, 0.9)[:, None]
        col[:, 3] = 1.0
        out.append(Part("brow", "brows", pos, tris, col, morphs=morphs))
    return out
