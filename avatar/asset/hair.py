"""Short business haircut and eyebrows, grown from the ICT head surface.

Hair: the head's own triangles inside the hairline, offset along the welded surface normals by
a thickness field (a side-parted short cut: ~17 mm of volume on top, ~7 mm over the temples,
tapering to the skin at the hairline and to ~1 mm at the nape), so the shell meets the skin
without a step; across the hairline the scalp's triangles are refined (:func:`refine`) so the
soft edge from skin to hair is not drawn along 5-10 mm triangle edges. Strand streaks and a
lighter sheen on the crown are vertex colours. The hairline is a height per azimuth around
the head (front, temples, sideburns, over the ears, nape), in metres on the ICT head.

Eyebrows: two tapered strips laid 1.6 mm over the brow ridge; every strip vertex copies the
morph deltas of the face vertex under it, so the brows follow ``browInnerUp``, ``browDown`` …
"""

from __future__ import annotations

import numpy as np

from avatar.asset.parts import Part, grid_triangles, smoothstep, srgb

HAIR, HAIR_SHEEN = srgb(44, 34, 28), srgb(90, 72, 60)
BROW = srgb(44, 33, 27)
#: How far the brows lie over the skin (m): 0.8 mm let the skin simplified for 512x512
#: (avatar.lod) show through the brows as pale stripes.
BROW_LIFT_M = 0.0016
#: The brows follow the face's brow shapes (browInnerUp, browDown_L …) this much further than
#: the skin under them: at 1× a concerned face's raised inner brows hardly showed at a 512²
#: frame's third (the contact sheet, newcomer19).
BROW_MOTION = 1.4
CENTRE = np.array([0.0, 0.03, -0.005])  # azimuths are measured about this vertical axis
# azimuth (rad, 0 = front, π = back) → hairline height (m)
_AZ = [0.0, 0.35, 0.7, 0.95, 1.1, 1.22, 1.32, 1.5, 1.8, 2.0, 2.3, 2.7, np.pi]
#: Refinements of the scalp's triangles across the hairline, and the shortest edge split (m).
HAIRLINE_REFINE, HAIRLINE_EDGE_M = 2, 0.0025
#: The cut's thickness over the temples and sides (m; ~21 mm on top), and how much clumps vary
#: it (a fraction): 8 mm at the sides and no clumps made a helmet (newcomer19).
HAIR_SIDE_M, OUTLINE_CLUMP = 0.0055, 0.08
#: Behind this depth (m) the hairline is never in a front camera's view: not refined.
HAIRLINE_BACK_Z = -0.03
_Y = [0.116, 0.111, 0.1, 0.085, 0.058, 0.024, 0.045, 0.058, 0.058, 0.045, 0.0, -0.028, -0.036]


def hairline_y(p: np.ndarray) -> np.ndarray:
    """Hairline height (V,) in metres at the azimuth of each point (V, 3)."""
    theta = np.abs(np.arctan2(p[:, 0] - CENTRE[0], p[:, 2] - CENTRE[2]))
    return np.interp(theta, _AZ, _Y)


def _side(p: np.ndarray) -> np.ndarray:
    return smoothstep(0.04, 0.075, np.abs(p[:, 0])) * (p[:, 1] < 0.11)


def _ramp_m(p: np.ndarray) -> np.ndarray:
    """Width (V,) in metres of the hairline's soft edge at points (V, 3)."""
    return 0.006 + 0.02 * _side(p)


def hair_amount(p: np.ndarray) -> np.ndarray:
    """How much a head point is under hair (V,) in [0, 1]: soft over 6 mm on the forehead, over
    ~2 cm at the sides, where the scalp's triangles are ~1 cm wide and hair thins out anyway."""
    side = _side(p)
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


def refine(
    pos: np.ndarray, tris: np.ndarray, attrs: list[np.ndarray], split: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """One conforming midpoint refinement of the triangles with an edge to split.

    A triangle with all three edges split becomes four, one with one edge split two (split
    into the midpoint and the opposite corner); a triangle with two split edges gets its
    third split too (repeated until none is left), so no new vertex is a T-junction on an
    unsplit neighbour's edge (the shell would crack there once offset).

    Args:
        pos: float (V, 3) positions.
        tris: int (T, 3) triangles, counter-clockwise (kept so).
        attrs: per-vertex float arrays (V, ·), interpolated linearly to the midpoints
            (normals are renormalised by the caller).
        split: bool (T, 3): edge k of triangle t,
            from corner k to corner k + 1; an edge marked in either triangle is split.

    Returns:
        (positions (V', 3), triangles (T', 3), attrs at V').
    """
    tris = np.asarray(tris, np.int64)
    edges = np.sort(np.stack([tris, np.roll(tris, -1, axis=1)], axis=2), axis=2)  # (T, 3, 2)
    keys = edges[..., 0] * len(pos) + edges[..., 1]
    uniq, inv = np.unique(keys.ravel(), return_inverse=True)
    inv = inv.reshape(-1, 3)
    marked = np.zeros(len(uniq), bool)
    marked[inv[split]] = True
    while True:  # two split edges → split the third too
        two = marked[inv].sum(axis=1) == 2
        if not two.any():
            break
        marked[inv[two]] = True
    ends = np.stack([uniq // len(pos), uniq % len(pos)], axis=1)[marked]
    mid_index = np.full(len(uniq), -1)
    mid_index[marked] = len(pos) + np.arange(marked.sum())
    pos = np.concatenate([pos, pos[ends].mean(axis=1)])
    attrs = [np.concatenate([a, a[ends].mean(axis=1)]) for a in attrs]
    m = mid_index[inv]  # (T, 3): midpoint of edge k or -1
    count = (m >= 0).sum(axis=1)
    out = [tris[count == 0]]
    t4, m4 = tris[count == 3], m[count == 3]
    out += [
        np.c_[t4[:, 0], m4[:, 0], m4[:, 2]],
        np.c_[m4[:, 0], t4[:, 1], m4[:, 1]],
        np.c_[m4[:, 2], m4[:, 1], t4[:, 2]],
        m4,
    ]
    for k in range(3):
        one = (count == 1) & (m[:, k] >= 0)
        a, b, c = tris[one, k], tris[one, (k + 1) % 3], tris[one, (k + 2) % 3]
        out += [np.c_[a, m[one, k], c], np.c_[m[one, k], b, c]]
    return pos, np.concatenate(out), attrs


def hair_shell(head_parts: list[Part]) -> Part:
    """The haircut as one :class:`Part` over the given skin parts (face + back of head).

    The skin parts' vertex colours are blended in at the hairline's soft edge. The scalp's
    triangles across the hairline (5-10 mm edges on the ICT head) are refined twice
    (:func:`refine`, edges over 2.5 mm), so the colour ramp from skin to hair follows
    :func:`hair_amount` instead of each triangle's straight edges: the hairline read as
    jagged and faceted at 1080×1920 (newcomer19)."""
    pos, tris, normals, maps = weld(head_parts)
    skin_colors = np.zeros((len(pos), 4))
    for part, m in zip(head_parts, maps, strict=True):
        skin_colors[m] = part.colors
    amount = hair_amount(pos)
    keep = (amount[tris] > 0.0).any(axis=1)
    tris = tris[keep]
    used, inverse = np.unique(tris, return_inverse=True)
    pos, tris = pos[used], inverse.reshape(-1, 3)
    normals, skin_colors = normals[used], skin_colors[used]
    for _ in range(HAIRLINE_REFINE):
        amount = hair_amount(pos)
        a0, a1 = amount[tris], amount[np.roll(tris, -1, axis=1)]
        p0, p1 = pos[tris], pos[np.roll(tris, -1, axis=1)]
        across = (np.maximum(a0, a1) > 0.0) & (np.minimum(a0, a1) < 1.0)
        across &= (p0[..., 2] > HAIRLINE_BACK_Z) | (p1[..., 2] > HAIRLINE_BACK_Z)
        ramp = _ramp_m((p0 + p1).reshape(-1, 3) / 2).reshape(a0.shape)
        long = np.linalg.norm(p1 - p0, axis=2) > np.maximum(HAIRLINE_EDGE_M, 0.1 * ramp)
        pos, tris, (normals, skin_colors) = refine(pos, tris, [normals, skin_colors], across & long)
        normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    p, n, amt = pos, normals, hair_amount(pos)
    inverse = tris
    rel = p - CENTRE
    theta = np.arctan2(rel[:, 0], rel[:, 2])
    above = p[:, 1] - hairline_y(p)
    top = smoothstep(0.06, 0.13, p[:, 1])
    front = smoothstep(-0.02, 0.08, p[:, 2])
    thickness = HAIR_SIDE_M + (0.021 - HAIR_SIDE_M) * top + 0.004 * top * front
    # clumps: the thickness varies ±OUTLINE_CLUMP by azimuth and height (periods of ~2.5 and
    # ~1.5 cm at the temples; shorter ones drew facets on the sides' 1 cm triangles), so the outline is not one smooth dome (newcomer19)
    clump = 0.7 * np.sin(theta * 17 + 90 * p[:, 1] + 1.3) + 0.3 * np.sin(theta * 29 - 70 * p[:, 1])
    # none on the crown: its height frames the picture (avatar.camera), which stays put
    thickness *= 1 + OUTLINE_CLUMP * clump * smoothstep(0.145, 0.125, p[:, 1])
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
    col = skin_colors + (col - skin_colors) * smoothstep(0.0, 0.8, amt)[:, None]  # a soft hairline
    col[:, 3] = 1.0
    # the strand frame the renderer shades with (Material.strands): across, along
    uvs = np.stack([theta, p[:, 1]], axis=1)
    return Part("hair", "hair", shell, inverse.reshape(-1, 3), col, uvs=uvs)


def eyebrows(face: Part, face_skin: np.ndarray) -> list[Part]:
    """Left and right eyebrow strips over the ICT brow ridge (see the module docstring).

    Each is 6 rows × 28 columns: a rounded head by the nose, the body, and a tail that tapers
    to a fifth of the width; the colour fades toward the skin under each vertex (the face's
    vertex colour, or ``face_skin``, linear RGBA (4,), where the face has none) over the outer
    rows, at the head and along the tail, so the brows have a soft edge and no square ends
    (flat bars with square ends at 1080×1920 before: newcomer19). The lower middle rows,
    where brow hair is densest, are the darkest."""
    front = np.flatnonzero((face.positions[:, 2] > 0.07) & (face.positions[:, 1] > 0.03))
    fp = face.positions[front]
    under_colour = face.colors[front] if face.colors is not None else None
    out = []
    for side in (1, -1):
        s = np.linspace(0.0, 1.0, 16)
        x = side * (0.012 + 0.046 * s)
        y = 0.0485 + 0.0055 * np.sin(np.pi * np.clip(s * 0.9 + 0.05, 0, 1)) - 0.003 * s**2
        head = 0.55 + 0.45 * np.sqrt(smoothstep(0.0, 0.16, s))  # rounded, not square
        width = 0.012 * (1 - 0.75 * s**1.6) * head
        offsets = (0.5, 0.2, -0.2, -0.5)  # upper edge first
        rows = [np.c_[x, y + off * width - 0.0012 * s] for off in offsets]
        xy = np.concatenate(rows)
        d = ((xy[:, None, :] - fp[None, :, :2]) ** 2).sum(axis=2)
        near = d.argmin(axis=1)
        ring = np.argsort(d, axis=1)[:, :6]
        pos = np.c_[xy, fp[ring, 2].max(axis=1) + BROW_LIFT_M]
        tris = grid_triangles(len(offsets), len(s), wrap=False)
        if side < 0:
            tris = tris[:, ::-1]
        # deltas weighted over the 6 nearest face vertices (inverse squared distance): copied
        # from the nearest one alone they jumped between neighbouring strip vertices, and the
        # thin strip's normals swung by up to 0.4 under a 0.2 mm mouth shape
        w = 1.0 / (np.take_along_axis(d, ring, axis=1) + 1e-7)
        w /= w.sum(axis=1, keepdims=True)
        morphs = {
            k: (v[front[ring]] * w[..., None]).sum(axis=1)
            * (BROW_MOTION if k.startswith("brow") else 1.0)
            for k, v in face.morphs.items()
        }
        # soft edges: the outer rows are almost skin; the head and the tail thin out too
        row_edge = np.repeat([0.6, 0.0, 0.0, 0.55], len(s))
        ends = np.tile(0.5 * (1 - smoothstep(0.0, 0.1, s)) + 0.35 * s**3, len(offsets))
        edge = 1 - (1 - row_edge) * (1 - ends)
        skin = face_skin[None, :] if under_colour is None else under_colour[near]
        col = BROW + (skin - BROW) * np.clip(edge, 0, 0.97)[:, None]
        col[:, 3] = 1.0
        out.append(Part("brow", "brows", pos, tris, col, morphs=morphs))
    return out
