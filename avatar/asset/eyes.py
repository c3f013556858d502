"""The avatar's eyeballs: sclera, iris, pupil and limbal ring as vertex colours on a sphere.

A small catchlight (the key light mirrored by the cornea) is painted up and to the viewer's
left of the pupil, where the renderer's key light would reflect.

Anatomy (adult human eye, e.g. Atchison & Smith, *Optics of the Human Eye*, 2000): eyeball
radius ~12 mm; visible iris diameter ~11.5–12 mm; pupil 3–4 mm in a lit room; a darker limbal
ring where iris meets sclera. The ICT eyeball sits deeper in its socket than an anatomical
sphere, so the ball is fitted to the ICT sclera (least-squares sphere) and the iris is sized by
its diameter in millimetres, not by angle. The polar rings are dense in front (iris and pupil
edges stay crisp at 512² even with per-vertex colour) and sparse behind the lids.

Gaze: each eye carries ``eyeLook{Up,Down,In,Out}_{L,R}`` morph targets (rigid rotations of
the ball about its centre: ±25° up/down, ±30° in/out at weight 1) and is skinned to the
``leftEye``/``rightEye`` joints, so either the ARKit channels or the bones can turn it.
"""

from __future__ import annotations

import numpy as np

from avatar.asset.parts import Part, grid_triangles, rot_x, rot_y, smoothstep, srgb

SCLERA = srgb(236, 230, 224)
IRIS_INNER, IRIS_OUTER = srgb(112, 74, 46), srgb(70, 44, 28)  # warm brown
LIMBUS, PUPIL = srgb(34, 24, 20), srgb(8, 6, 6)
CATCHLIGHT = srgb(250, 250, 250)
IRIS_RADIUS_M, PUPIL_RADIUS_M = 0.0058, 0.0019
LOOK_UP_RAD, LOOK_IN_RAD = 0.44, 0.52  # ARKit eyeLook* at weight 1 (~25°, ~30°)


def fit_sphere(points: np.ndarray) -> tuple[np.ndarray, float]:
    """Least-squares sphere through points (N, 3): (centre (3,), radius), metres."""
    a = np.c_[2 * points, np.ones(len(points))]
    b = (points**2).sum(axis=1)
    x = np.linalg.lstsq(a, b, rcond=None)[0]
    centre = x[:3]
    return centre, float(np.sqrt(x[3] + centre @ centre))


def eyeball(side: int, centre: np.ndarray, radius: float) -> Part:
    """One eye (``side`` +1 = the avatar's left, at +X), looking along +Z.

    Returns:
        A :class:`Part` named ``eye_l``/``eye_r`` with vertex colours and gaze morphs.
    """
    # polar angle from the front: dense over the iris (0–0.55 rad), coarser behind
    polar = np.r_[np.linspace(0.0, 0.62, 24)[1:], np.linspace(0.62, np.pi * 0.75, 9)[1:]]
    az = np.linspace(0.0, 2 * np.pi, 48, endpoint=False)
    pp, aa = np.meshgrid(polar, az, indexing="ij")
    unit = np.stack([np.sin(pp) * np.cos(aa), np.sin(pp) * np.sin(aa), np.cos(pp)], -1)
    unit = np.r_[[[0.0, 0.0, 1.0]], unit.reshape(-1, 3)]
    arc = np.r_[0.0, (pp * radius).ravel()]  # distance along the surface from the front, m
    # the cornea bulges ~0.6 mm over the iris (its clear dome is drawn as part of the ball)
    bulge = 0.0006 * np.cos(np.clip(arc / IRIS_RADIUS_M, 0, 1) * np.pi / 2)
    pos = centre + unit * (radius + bulge)[:, None]
    col = np.tile(SCLERA, (len(pos), 1))
    # sclera: a touch darker and warmer toward the corners (shadowed by the lids)
    col[:, :3] *= (0.8 + 0.2 * smoothstep(0.018, 0.006, arc))[:, None]
    iris_t = np.clip((arc - PUPIL_RADIUS_M) / (IRIS_RADIUS_M - PUPIL_RADIUS_M), 0, 1)
    iris = IRIS_INNER + (IRIS_OUTER - IRIS_INNER) * iris_t[:, None]
    streak = 0.85 + 0.15 * np.cos(np.r_[0.0, aa.ravel()] * 23) * (iris_t > 0)
    iris[:, :3] *= streak[:, None]
    limbus = smoothstep(IRIS_RADIUS_M - 0.0012, IRIS_RADIUS_M - 0.0002, arc)
    iris = iris + (LIMBUS - iris) * limbus[:, None]
    in_iris = smoothstep(IRIS_RADIUS_M + 0.0003, IRIS_RADIUS_M - 0.0002, arc)
    col = col + (iris - col) * in_iris[:, None]
    in_pupil = smoothstep(PUPIL_RADIUS_M + 0.0003, PUPIL_RADIUS_M - 0.0002, arc)
    col = col + (PUPIL - col) * in_pupil[:, None]
    # catchlight: the key light's reflection on the cornea, up and toward the viewer's left, at
    # the pupil's edge (10-11 o'clock, as a portrait's softbox leaves it): farther up it lay
    # under the upper lid of the neutral face and no frame showed it
    glint = np.array([-0.13, 0.15, 1.0]) / np.linalg.norm([-0.13, 0.15, 1.0])
    spot = smoothstep(0.0017, 0.0008, radius * np.arccos(np.clip(unit @ glint, -1, 1)))
    col = col + (CATCHLIGHT - col) * spot[:, None]
    col[:, 3] = 1.0
    rings, cols = len(polar), len(az)
    fan = np.stack([np.zeros(cols, int), 1 + (np.arange(cols) + 1) % cols, 1 + np.arange(cols)], 1)
    body = grid_triangles(rings, cols, wrap=True) + 1
    tris = np.r_[fan, body]
    # orient outward
    p = pos[tris]
    normal = np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0])
    flip = np.einsum("ij,ij->i", normal, p.mean(axis=1) - centre) < 0
    tris[flip] = tris[flip][:, ::-1]
    s = "L" if side > 0 else "R"
    inward = -side  # toward the nose
    morphs = {}
    rel = pos - centre
    for look, rot in (
        ("Up", rot_x(-LOOK_UP_RAD)),
        ("Down", rot_x(LOOK_UP_RAD)),
        ("In", rot_y(LOOK_IN_RAD * inward)),
        ("Out", rot_y(-LOOK_IN_RAD * inward)),
    ):
        morphs[f"eyeLook{look}_{s}"] = rel @ rot.T - rel
    normals = unit
    return Part(f"eye_{s.lower()}", "eyes", pos, tris, col, morphs=morphs, normals=normals)
