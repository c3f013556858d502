"""Generate the project's own default avatar: a stylised bank/tax-office employee bust.

``python -m avatar.generate OUT.glb`` rebuilds ``assets/avatar/default.glb`` from code alone
(numpy geometry, no third-party art). The mesh has vertex colours, a few materials (skin,
eyes, hair, teeth, mouth, clothes) and ARKit-named morph targets with ``_L``/``_R`` sides
(the loader maps them to ARKit ``Left``/``Right``), each authored as a displacement field over
Gaussian regions of the face: jaw rotation about the temporomandibular joint, lip corners,
eyelid seams (see :mod:`avatar.head_shape`), brows, cheeks, eyeball rotations.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

from avatar import head_shape as hs
from avatar.glb_writer import MaterialSpec, write_glb
from avatar.head_shape import smoothstep
from avatar.mesh import vertex_normals


def _srgb(r: int, g: int, b: int) -> np.ndarray:
    """8-bit sRGB → linear RGBA float64 (IEC 61966-2-1 EOTF)."""
    c = np.array([r, g, b], np.float64) / 255
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return np.append(lin, 1.0)


SKIN, LIP, BLUSH = _srgb(238, 196, 170), _srgb(192, 104, 104), _srgb(236, 168, 150)
HAIR, BROW, LASH = _srgb(46, 32, 26), _srgb(44, 30, 22), _srgb(30, 20, 16)
SCLERA, IRIS, IRIS_RIM = _srgb(242, 238, 232), _srgb(104, 70, 42), _srgb(52, 34, 22)
TEETH, MOUTH, TONGUE = _srgb(236, 230, 214), _srgb(64, 18, 22), _srgb(176, 84, 88)
JACKET, SHIRT, TIE = _srgb(34, 46, 78), _srgb(244, 245, 248), _srgb(18, 112, 122)
MATERIALS = {
    "skin": MaterialSpec("skin", roughness=0.55),
    "eyes": MaterialSpec("eyes", roughness=0.12),
    "hair": MaterialSpec("hair", roughness=0.65, double_sided=True),
    "brows": MaterialSpec("brows", roughness=0.8, double_sided=True),
    "teeth": MaterialSpec("teeth", roughness=0.35, double_sided=True),
    "mouth": MaterialSpec("mouth", roughness=0.9, double_sided=True),
    "clothes": MaterialSpec("clothes", roughness=0.85),
}
JAW_PIVOT = np.array([0.0, -0.03, 0.0])  # temporomandibular joint, in front of the ears
JAW_OPEN_RAD = 0.21  # ~2.2 cm lip opening at jawOpen = 1


class _Builder:
    """Collects parts: vertices, colours, triangles per material, and a per-vertex tag."""

    def __init__(self) -> None:
        self.pos, self.col, self.tags, self.tris = [], [], [], []
        self.count = 0

    def add(self, tag: str, material: str, pos: np.ndarray, tris: np.ndarray, col) -> slice:
        col = np.broadcast_to(np.asarray(col, np.float64), (len(pos), 4))
        self.pos.append(np.asarray(pos, np.float64))
        self.col.append(col)
        self.tags += [tag] * len(pos)
        self.tris.append((material, np.asarray(tris, np.int64).ravel() + self.count))
        part = slice(self.count, self.count + len(pos))
        self.count += len(pos)
        return part


def _grid_tris(rows: int, cols: int, wrap: bool) -> np.ndarray:
    j, i = np.meshgrid(np.arange(rows - 1), np.arange(cols if wrap else cols - 1), indexing="ij")
    i1 = (i + 1) % cols
    a, b, c, d = j * cols + i, j * cols + i1, (j + 1) * cols + i1, (j + 1) * cols + i
    return np.stack([np.stack([a, b, c], -1), np.stack([a, c, d], -1)], 2).reshape(-1)


def _sphere(center, radii, rows: int, cols: int, rot=None):
    """UV sphere around +Z (pole at the front): (positions (V, 3), tris, polar angle (V,)).

    Triangles wind counter-clockwise seen from outside (glTF front faces).
    """
    polar = np.linspace(0.0, np.pi, rows)
    az = np.linspace(0, 2 * np.pi, cols, endpoint=False)
    pp, aa = np.meshgrid(polar, az, indexing="ij")
    unit = np.stack([np.sin(pp) * np.cos(aa), np.sin(pp) * np.sin(aa), np.cos(pp)], -1)
    pos = unit.reshape(-1, 3) * np.asarray(radii)
    if rot is not None:
        pos = pos @ rot.T
    tris = _grid_tris(rows, cols, True).reshape(-1, 3)[:, ::-1].ravel()
    return pos + np.asarray(center), tris, pp.reshape(-1)


def _rot_x(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def _rot_y(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def _hairline(theta: np.ndarray) -> np.ndarray:
    """Height of the hairline (m) by azimuth: high forehead, temples, above the ears, nape."""
    return np.interp(
        np.abs(theta),
        [0, 0.3, 0.8, 1.25, 1.62, 2.1, np.pi],
        [0.074, 0.071, 0.058, 0.03, 0.0, -0.04, -0.07],
    )


def _head_colors(p: np.ndarray, grid: hs.HeadGrid) -> np.ndarray:
    x, y, z = p[:, 0], p[:, 1], p[:, 2]
    col = np.tile(SKIN, (len(p), 1))
    blush = np.exp(-(((np.abs(x) - 0.04) / 0.016) ** 2) - ((y + 0.03) / 0.016) ** 2) * (z > 0)
    col = col + (BLUSH - SKIN) * 0.45 * blush[:, None]
    ax, dy = np.abs(x), y - hs.MOUTH_Y
    bow = 0.0012 * np.exp(-((x / 0.004) ** 2))  # Cupid's bow dip at the philtrum
    upper_h = (0.0068 - bow) * np.sqrt(np.clip(1 - (x / 0.0262) ** 2, 0, 1)) ** 0.8
    lower_h = 0.0088 * np.sqrt(np.clip(1 - (x / 0.0248) ** 2, 0, 1))
    lip = np.where(
        dy >= 0,
        smoothstep(upper_h + 0.0009, upper_h - 0.0006, dy),
        smoothstep(-lower_h - 0.0012, -lower_h + 0.001, dy),
    )
    lip *= (ax < 0.028) & (z > 0)
    col = col + (LIP - col) * lip[:, None]
    theta = np.arctan2(x, z)
    hair = smoothstep(_hairline(theta) - 0.006, _hairline(theta) + 0.002, y)
    col = col + (HAIR - col) * hair[:, None]
    lash = grid.upper & ~grid.mouth_seam
    col[lash] = LASH
    return col


def _hair_shell(b: _Builder) -> None:
    theta = np.linspace(-np.pi, np.pi, 128, endpoint=False)
    phi = np.linspace(-0.75, np.pi / 2 - 0.03, 44)
    tt, pp = np.meshgrid(theta, phi)
    base = hs.surface(tt, pp)
    n = base / np.array([hs.RX**2, hs.RY**2, hs.RZ**2])
    n /= np.linalg.norm(n, axis=-1, keepdims=True)
    line = _hairline(np.arctan2(base[..., 0], base[..., 2]))
    t = 0.012 * smoothstep(line - 0.002, line + 0.025, base[..., 1])
    t += 0.006 * smoothstep(0.04, 0.11, base[..., 1]) * (t > 0)  # volume on top
    side_part = 0.0015 * np.exp(-(((tt - 0.35) / 0.05) ** 2)) * (base[..., 1] > 0.08)
    pos = (base + n * (t - side_part)[..., None]).reshape(-1, 3)
    tris = _grid_tris(*tt.shape, wrap=True).reshape(-1, 3)
    keep = (t.reshape(-1)[tris] > 0.0007).all(axis=1)  # the painted scalp shows below that
    shade = 0.8 + 0.4 * smoothstep(0.0, 0.12, pos[:, 1])
    cap = np.r_[pos, [[0.0, hs.RY + 0.0175, -0.005]]]  # close the crown
    top = (len(phi) - 1) * len(theta) + np.arange(len(theta))
    cap_tris = np.stack([top, np.roll(top, -1), np.full_like(top, len(pos))], 1)
    col = np.r_[HAIR * np.c_[np.tile(shade, (3, 1)).T, np.ones(len(pos))], [HAIR]]
    b.add("hair", "hair", cap, np.r_[tris[keep], cap_tris], col)


def _eyes(b: _Builder) -> dict[int, slice]:
    parts = {}
    for side in (1, -1):
        center = hs.eye_center(side)
        pos, tris, polar = _sphere(center, [hs.EYE_RADIUS] * 3, 22, 36)
        iris_a, pupil_a = 0.5, 0.2
        col = np.tile(SCLERA, (len(pos), 1))
        iris = smoothstep(iris_a + 0.03, iris_a - 0.03, polar)
        rim = np.exp(-(((polar - iris_a + 0.05) / 0.05) ** 2))
        col = col + (IRIS - col) * iris[:, None]
        col = col + (IRIS_RIM - col) * (0.7 * rim * iris)[:, None]
        col = col * (1 - smoothstep(pupil_a + 0.02, pupil_a - 0.02, polar))[:, None]
        col[:, 3] = 1.0
        cornea = 0.0007 * np.cos(np.minimum(polar / iris_a, 1.0) * np.pi / 2)
        pos = pos + (pos - center) / hs.EYE_RADIUS * cornea[:, None]
        parts[side] = b.add(f"eye{side}", "eyes", pos, tris, col)
    return parts


def _brows(b: _Builder) -> None:
    for side in (1, -1):
        s = np.linspace(0, 1, 14)
        x = side * (0.013 + 0.036 * s)
        y = 0.0235 + 0.005 * np.sin(np.pi * (s * 0.8 + 0.1)) - 0.003 * s
        width = 0.0058 * (1 - 0.5 * s)
        rows = []
        for off in (-0.5, 0.5):
            yy = y + off * width
            theta = np.arcsin(np.clip(x / hs.RX, -1, 1)) * 0.93
            pts = hs.surface(theta, np.arcsin(yy / hs.RY))
            pts[:, 1] = yy
            pts[:, 2] += 0.0016
            rows.append(pts)
        pos = np.concatenate(rows)
        tris = _grid_tris(2, len(s), wrap=False)
        if side < 0:
            tris = tris.reshape(-1, 3)[:, ::-1].ravel()
        b.add("brow", "brows", pos, tris, BROW)


def _inside_skin(pos: np.ndarray, margin: float) -> np.ndarray:
    """Clamp points to at least ``margin`` metres behind the face surface (in z)."""
    theta = np.arcsin(np.clip(pos[:, 0] / hs.RX, -1, 1)) * 0.93
    skin = hs.surface(theta, np.arcsin(np.clip(pos[:, 1] / hs.RY, -1, 1)))[:, 2]
    out = pos.copy()
    out[:, 2] = np.minimum(pos[:, 2], skin - margin)
    return out


def _mouth_inside(b: _Builder, lip_z: float) -> None:
    y0 = hs.MOUTH_Y
    pos, tris, _ = _sphere([0, y0 - 0.008, lip_z - 0.028], [0.024, 0.02, 0.026], 14, 24)
    pos = _inside_skin(pos, 0.0045)
    shade = smoothstep(lip_z - 0.05, lip_z, pos[:, 2])[:, None] * 0.6 + 0.4
    b.add("cavity", "mouth", pos, tris, MOUTH * np.c_[shade, shade, shade, np.ones(len(pos))])
    pos, tris, _ = _sphere([0, y0 - 0.017, lip_z - 0.024], [0.016, 0.006, 0.017], 10, 16)
    pos = _inside_skin(pos, 0.004)
    b.add("tongue", "mouth", pos, tris, TONGUE)
    for tag, top, bottom in (
        ("teeth_up", y0 + 0.0045, y0 - 0.0012),
        ("teeth_low", y0 - 0.0015, y0 - 0.0075),
    ):
        a = np.linspace(-0.8, 0.8, 17)
        radius = 0.024
        x = radius * np.sin(a)
        z = lip_z - 0.0045 + radius * (np.cos(a) - 1)
        rows = [
            np.c_[x, np.full_like(x, top), z],
            np.c_[x, np.full_like(x, bottom), z],
            np.c_[x * 0.92, np.full_like(x, bottom), z - 0.004],
        ]
        b.add(
            tag,
            "teeth",
            _inside_skin(np.concatenate(rows), 0.0016),
            _grid_tris(3, len(a), wrap=False),
            TEETH,
        )


def _body(b: _Builder) -> None:
    for side in (1, -1):  # ears
        center = [side * (hs.RX + 0.003), -0.014, -0.008]
        rot = _rot_y(side * (np.pi / 2 - 0.5)) @ _rot_x(0.12)
        pos, tris, _ = _sphere(center, [0.016, 0.03, 0.0065], 12, 18, rot)
        b.add("ear", "skin", pos, tris, SKIN * [0.97, 0.93, 0.93, 1])
    ang = np.linspace(0, 2 * np.pi, 36, endpoint=False)
    ys = np.linspace(-0.04, -0.2, 12)
    flare = 1 + 0.3 * smoothstep(-0.14, -0.2, ys)
    neck = np.stack(
        [
            np.c_[0.052 * f * np.sin(ang), np.full_like(ang, y), -0.014 + 0.046 * f * np.cos(ang)]
            for y, f in zip(ys, flare, strict=True)
        ]
    )
    neck = neck.reshape(-1, 3)
    collar = smoothstep(-0.143, -0.151, neck[:, 1]) * (neck[:, 2] > -0.03)
    col = np.tile(SKIN, (len(neck), 1)) + (SHIRT - SKIN) * collar[:, None]
    b.add("neck", "skin", neck, _grid_tris(len(ys), len(ang), True)[::-1], col)
    theta = np.linspace(-np.pi, np.pi, 96, endpoint=False)
    phi = np.linspace(-0.9, np.pi / 2 - 0.05, 34)
    tt, pp = np.meshgrid(theta, phi)
    c, s = np.cos(pp), np.sin(pp)
    x = 0.205 * c ** (2 / 3.2) * np.sign(np.sin(tt)) * np.abs(np.sin(tt)) ** (2 / 2.6)
    z = -0.02 + 0.11 * c ** (2 / 3.2) * np.sign(np.cos(tt)) * np.abs(np.cos(tt)) ** (2 / 2.6)
    y = -0.305 + 0.14 * np.sign(s) * np.abs(s) ** (2 / 3.2)
    y = y - 0.05 * (np.abs(x) / 0.205) ** 2  # sloping shoulders
    torso = np.stack([x, y, z], -1).reshape(-1, 3)
    tx, ty, tz = torso.T
    front = smoothstep(-0.01, 0.01, tz)[:, None]
    v_edge = 0.06 * np.clip((ty + 0.305) / 0.14, 0, 1) - np.abs(tx)
    tie_edge = 0.0075 + 0.006 * np.clip((-0.2 - ty) / 0.15, 0, 1) - np.abs(tx)
    shirt = smoothstep(-0.009, 0.009, v_edge)[:, None] * front
    tie = (smoothstep(-0.006, 0.006, tie_edge) * smoothstep(-0.16, -0.17, ty))[:, None]
    col = JACKET + (SHIRT - JACKET) * shirt
    col = col + (TIE - col) * tie * shirt
    b.add("torso", "clothes", torso, _grid_tris(*tt.shape, wrap=True), col)


def _region(p, cx, cy, sx, sy):
    return np.exp(-(((p[:, 0] - cx) / sx) ** 2) - ((p[:, 1] - cy) / sy) ** 2) * (p[:, 2] > 0)


def _morphs(p: np.ndarray, tags: np.ndarray, grid: hs.HeadGrid, head: slice, eyes) -> dict:
    """ARKit-named position deltas (V, 3) for every target (see the module docstring)."""
    v = len(p)
    face = np.isin(tags, ["head", "brow"])
    is_head = tags == "head"
    upper = np.zeros(v, bool)
    lower = np.zeros(v, bool)
    seam = np.zeros(v, bool)
    upper[head], lower[head], seam[head] = grid.upper, grid.lower, grid.mouth_seam
    x, y, z = p.T
    ax, dy = np.abs(x), y - hs.MOUTH_Y
    # Jaw: rigid rotation below a boundary that runs from the mouth corners up toward the joint.
    y_b = hs.MOUTH_Y + 0.7 * np.maximum(ax - hs.MOUTH_HALF_WIDTH, 0)
    band = 1e-4 + 0.35 * np.maximum(ax - hs.MOUTH_HALF_WIDTH + 0.003, 0)
    w_jaw = smoothstep(y_b + band, y_b - band, y) * smoothstep(-0.02, 0.04, z) * is_head
    w_jaw[seam & lower], w_jaw[seam & upper] = 1.0, 0.0
    w_jaw[np.isin(tags, ["teeth_low", "tongue"])] = 1.0
    cavity = tags == "cavity"
    w_jaw[cavity] = 0.85 * smoothstep(hs.MOUTH_Y - 0.002, hs.MOUTH_Y - 0.02, y[cavity])
    rel = p - JAW_PIVOT
    jaw_delta = (rel @ (np.eye(3) * 0 + _rot_x(JAW_OPEN_RAD)).T - rel) * w_jaw[:, None]
    lipx = np.exp(-((x / 0.028) ** 6)) * is_head * (z > 0)
    up_lip = lipx * smoothstep(0.016, 0.0, dy) * ((dy > 1e-9) | (seam & upper)) * ~(seam & lower)
    low_lip = lipx * smoothstep(-0.018, 0.0, dy) * ((dy < -1e-9) | (seam & lower)) * ~(seam & upper)
    mouth = _region(p, 0, hs.MOUTH_Y, 0.034, 0.022) * is_head
    sides = {"L": smoothstep(-0.006, 0.006, x), "R": smoothstep(0.006, -0.006, x)}
    sign = {"L": 1.0, "R": -1.0}
    vec = np.array
    out: dict[str, np.ndarray] = {}

    def put(name, weight, delta):
        out[name] = np.asarray(weight, np.float64)[:, None] * np.asarray(delta, np.float64)

    out["jawOpen"] = jaw_delta
    put("jawForward", w_jaw, vec([0, 0, 0.005]))
    put("jawLeft", w_jaw, vec([0.006, 0, 0]))
    put("jawRight", w_jaw, vec([-0.006, 0, 0]))
    out["mouthClose"] = (
        -jaw_delta
        * (low_lip > 0.05)[:, None]
        * smoothstep(-0.02, -0.004, dy)[:, None]
        * is_head[:, None]
        + -jaw_delta * (seam & lower)[:, None]
    )
    funnel = np.c_[-0.22 * x, 0.0035 * up_lip - 0.0035 * low_lip, 0.005 * np.ones(v)]
    out["mouthFunnel"] = funnel * mouth[:, None]
    out["mouthPucker"] = np.c_[-0.4 * x, -0.001 * up_lip, 0.008 * np.ones(v)] * mouth[:, None]
    put("mouthLeft", mouth, vec([0.006, 0, 0]))
    put("mouthRight", mouth, vec([-0.006, 0, 0]))
    put("mouthRollLower", low_lip, vec([0, 0.002, -0.0045]))
    put("mouthRollUpper", up_lip, vec([0, -0.002, -0.0045]))
    put("mouthShrugLower", low_lip, vec([0, 0.0025, 0.002]))
    put("mouthShrugUpper", up_lip, vec([0, 0.0015, 0.0015]))
    put(
        "browInnerUp",
        (_region(p, 0.014, 0.03, 0.016, 0.02) + _region(p, -0.014, 0.03, 0.016, 0.02)) * face,
        vec([0, 0.0045, 0]),
    )
    put(
        "cheekPuff",
        _region(p, 0.036, -0.052, 0.016, 0.018) + _region(p, -0.036, -0.052, 0.016, 0.018),
        vec([0, 0, 0.005]),
    )
    out["cheekPuff"][:, 0] = np.sign(x) * 0.004 * out["cheekPuff"][:, 2] / 0.005
    out["cheekPuff"] *= is_head[:, None]
    for s in ("L", "R"):
        side, k = sides[s], sign[s]
        corner = _region(p, k * 0.025, hs.MOUTH_Y, 0.014, 0.013) * is_head
        put(f"mouthSmile_{s}", corner, vec([k * 0.004, 0.0055, -0.002]))
        out[f"mouthSmile_{s}"] += (_region(p, k * 0.036, -0.035, 0.015, 0.014) * is_head)[
            :, None
        ] * vec([0, 0.0022, 0.0012])
        put(f"mouthFrown_{s}", corner, vec([k * 0.001, -0.005, 0]))
        put(f"mouthStretch_{s}", corner, vec([k * 0.0065, -0.0015, -0.002]))
        put(f"mouthDimple_{s}", corner, vec([k * 0.002, 0, -0.0025]))
        out[f"mouthPress_{s}"] = side[:, None] * (
            up_lip[:, None] * vec([0, -0.0016, -0.0008])
            + low_lip[:, None] * vec([0, 0.0016, -0.0008])
        )
        put(f"mouthUpperUp_{s}", side * up_lip, vec([0, 0.0042, 0.0006]))
        put(f"mouthLowerDown_{s}", side * low_lip, vec([0, -0.0045, 0.0006]))
        brow = _region(p, k * 0.03, 0.026, 0.026, 0.013) * face
        put(f"browDown_{s}", brow, vec([-k * 0.0015, -0.0035, -0.0006]))
        put(
            f"browOuterUp_{s}",
            _region(p, k * 0.046, 0.026, 0.014, 0.016) * face,
            vec([0, 0.0042, 0]),
        )
        put(
            f"cheekSquint_{s}",
            _region(p, k * 0.036, -0.02, 0.014, 0.01) * is_head,
            vec([0, 0.0025, 0.001]),
        )
        put(
            f"noseSneer_{s}",
            _region(p, k * 0.011, -0.03, 0.008, 0.01) * is_head,
            vec([0, 0.0025, 0.0005]),
        )
        eye_side = 1 if s == "L" else -1
        for key, arkit in (("blink", "eyeBlink"), ("wide", "eyeWide"), ("squint", "eyeSquint")):
            delta = np.zeros((v, 3))
            delta[head] = grid.eye_morphs[eye_side, key]
            out[f"{arkit}_{s}"] = delta
        ball = eyes[eye_side]
        center = hs.eye_center(eye_side)
        inward = -eye_side  # toward the nose
        for look, rot in (
            ("Up", _rot_x(-0.3)),
            ("Down", _rot_x(0.3)),
            ("In", _rot_y(0.35 * inward)),
            ("Out", _rot_y(-0.35 * inward)),
        ):
            delta = np.zeros((v, 3))
            rel = p[ball] - center
            delta[ball] = rel @ rot.T - rel
            out[f"eyeLook{look}_{s}"] = delta
    return out


def build_default_avatar() -> tuple[dict, dict]:
    """Build the default avatar's arrays.

    Returns:
        (mesh, targets): mesh has ``positions`` (V, 3), ``normals`` (V, 3), ``colors`` (V, 4),
        ``parts`` [(MaterialSpec, indices)]; targets maps names to (V, 3) deltas (metres).
    """
    grid = hs.build_head()
    b = _Builder()
    head = b.add("head", "skin", grid.positions, grid.indices, _head_colors(grid.positions, grid))
    lip_z = float(hs.surface(np.array(0.0), np.array(np.arcsin(hs.MOUTH_Y / hs.RY)))[2])
    _hair_shell(b)
    eyes = _eyes(b)
    _brows(b)
    _mouth_inside(b, lip_z)
    _body(b)
    positions = np.concatenate(b.pos)
    colors = np.concatenate(b.col)
    tags = np.asarray(b.tags)
    by_material: dict[str, list[np.ndarray]] = {}
    for material, tris in b.tris:
        by_material.setdefault(material, []).append(tris)
    parts = [(MATERIALS[m], np.concatenate(t).astype(np.uint32)) for m, t in by_material.items()]
    all_tris = np.concatenate([t for _, t in parts])
    normals = vertex_normals(positions.astype(np.float32), all_tris)
    targets = _morphs(positions, tags, grid, head, eyes)
    mesh = {"positions": positions, "normals": normals, "colors": colors, "parts": parts}
    return mesh, targets


def main(argv: list[str] | None = None) -> int:
    """CLI: ``python -m avatar.generate OUT.glb``; prints the file size and counts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="output .glb path")
    args = parser.parse_args(argv)
    mesh, targets = build_default_avatar()
    size = write_glb(
        args.out,
        mesh["positions"],
        mesh["normals"],
        mesh["colors"],
        mesh["parts"],
        targets,
        name="dhe_default_avatar",
    )
    tris = sum(len(t) for _, t in mesh["parts"]) // 3
    print(
        f"{args.out}: {size} bytes, {len(mesh['positions'])} vertices, {tris} triangles, "
        f"{len(targets)} morph targets"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
