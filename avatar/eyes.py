"""Eyes for avatars whose eye materials carry no texture (e.g. the ICT FaceKit head).

A viewer that shows such a model as authored draws opaque grey eyeballs (no iris), and the
iris geometry inside them stays hidden; the ICT FaceKit ships its iris and sclera as *textures*
that the glTF conversion dropped. What a viewer can do in a principled way, keyed by the
material names these assets use (``*Sclera*``, ``*Eyeball*``, ``*Iris*``, ``*Cornea*``,
``*Lash*``), only for materials without a base colour texture:

* Eyeball (sclera) shells get a generated texture in their own UV layout: the pupil centre is
  the UV of the shell's most forward vertex (the eye looks along +Z at rest) and the limbus
  lies :data:`LIMBUS_DEG` from it (a 11.7 mm iris on a 12 mm-radius globe: asin(5.85/12) ≈
  29°; Atchison & Smith, "Optics of the Human Eye", 2000), mapped to UV distance by a
  least-squares fit of UV distance against angle over the shell's own vertices. The pupil is
  :data:`PUPIL_RATIO` of the iris radius (a 4 mm pupil in moderate light). The shell becomes
  glossy (roughness 0.15) so the key light leaves a catchlight on the cornea.
* Iris meshes that lie inside such a painted shell are hidden (the shell now shows the iris).
* Opaque cornea caps become a clear, glossy blended layer (they would hide the iris).
* Eyelash cards become dark and blended (``BLEND``), their vertex alpha falling from the root
  (the edge nearest the eyeball) to the tip: an untextured card is a solid sheet where a real
  fringe of lashes thins out and lets the eye show through.

Eye occlusion, blend and lacrimal (tear) layers already carry their alpha in the file; they
are blended by it, and skipped when it is zero (:attr:`avatar.model.Material.invisible`).
"""

from __future__ import annotations

import math
import re
from dataclasses import replace

import numpy as np

from avatar.model import CLAMP_TO_EDGE, Eyeball, Material, Submesh, TextureRef

#: Angular radius of the limbus (iris edge) seen from the eyeball centre, degrees.
LIMBUS_DEG = 29.0
#: Pupil radius over iris radius.
PUPIL_RATIO = 0.36
#: Default iris colour, sRGB (a dark brown, the commonest human iris colour).
IRIS_SRGB = (92, 60, 38)
#: Lower-lid lashes' opacity relative to the upper lid's: about half as many, finer lashes
#: (the commonly cited adult counts are 75–80 lower against 90–160 upper).
LOWER_LASHES = 0.4
#: Generated eye texture size, pixels per side.
EYE_TEXTURE_SIZE = 512

_EYEBALL = re.compile(r"sclera|eye_?ball|eye_?white", re.IGNORECASE)
_IRIS = re.compile(r"iris|pupil", re.IGNORECASE)
_CORNEA = re.compile(r"cornea", re.IGNORECASE)
_LASH = re.compile(r"lash", re.IGNORECASE)


def dress_eyes(
    materials: list[Material],
    images: list[np.ndarray],
    submeshes: list[Submesh],
    positions: np.ndarray,
    indices: np.ndarray,
    texcoords: tuple[np.ndarray, ...],
    colors: np.ndarray,
) -> list[Material]:
    """Apply the rules of the module docstring; returns the new material list.

    Args:
        materials: the model's materials (not modified).
        images: the model's images; generated eye textures are appended.
        submeshes: triangle ranges per material.
        positions: float32 (V, 3) default-pose positions, metres (the model faces +Z).
        indices: uint32 (I,) triangles.
        texcoords: float32 (V, 2) UV sets.
        colors: float32 (V, 4) vertex colours; lash vertices get their alpha taper (in place).
    """
    out = list(materials)
    centre_x = float((positions.min(axis=0)[0] + positions.max(axis=0)[0]) / 2)
    balls: list[tuple[np.ndarray, float]] = []  # (centre, radius) of painted shells
    lashes: list[np.ndarray] = []
    for sub in submeshes:
        mat = out[sub.material]
        if mat.base_color_texture is not None or mat.eye:
            continue
        used = np.unique(indices[sub.first_index : sub.first_index + sub.index_count])
        if _EYEBALL.search(mat.name) and texcoords and used.size >= 8:
            spots, found = _eye_spots(positions[used], texcoords[0][used], centre_x)
            balls.extend(found)
            images.append(paint_eye(spots))
            texture = TextureRef(len(images) - 1, wrap_s=CLAMP_TO_EDGE, wrap_t=CLAMP_TO_EDGE)
            out[sub.material] = replace(
                mat,
                base_color=(1.0, 1.0, 1.0, 1.0),
                base_color_texture=texture,
                metallic=0.0,
                roughness=0.15,
                eye="eyeball",
            )
        elif _CORNEA.search(mat.name) and mat.alpha_mode == "OPAQUE":
            out[sub.material] = replace(
                mat, alpha_mode="BLEND", base_color=(1.0, 1.0, 1.0, 0.06), roughness=0.05
            )
        elif _LASH.search(mat.name):
            lashes.append(used)
            out[sub.material] = replace(
                mat,
                alpha_mode="BLEND",
                base_color=(0.018, 0.012, 0.009, 0.9),
                roughness=0.6,
                double_sided=True,
            )
    for used in lashes:
        _taper_lashes(used, positions, colors, balls)
    for sub in submeshes:  # iris geometry under a painted shell is hidden
        mat = out[sub.material]
        if not balls or mat.base_color_texture is not None or not _IRIS.search(mat.name):
            continue
        used = np.unique(indices[sub.first_index : sub.first_index + sub.index_count])
        inside = 0
        for centre, radius in balls:
            dist = np.linalg.norm(positions[used] - centre, axis=1)
            inside += int(np.count_nonzero(dist < 0.98 * radius))
        if inside >= 0.9 * used.size:
            out[sub.material] = replace(mat, eye="hidden")
    return out


def _taper_lashes(used: np.ndarray, positions, colors, balls) -> None:
    """Vertex alpha of lash cards: 1 at the root, ~0 at the tip ((1 − t)², t from the nearest
    to the farthest distance to an eyeball centre, per eye), times :data:`LOWER_LASHES` below
    the eye; 0.5 without known eyeballs."""
    if not balls:
        colors[used, 3] *= 0.5
        return
    centres = np.stack([c for c, _ in balls])
    d = np.linalg.norm(positions[used, None, :] - centres[None], axis=2)
    nearest, dist = d.argmin(axis=1), d.min(axis=1)
    t = np.zeros(used.size)
    for k in range(len(balls)):
        mine = nearest == k
        if mine.any():
            lo, hi = dist[mine].min(), dist[mine].max()
            t[mine] = (dist[mine] - lo) / max(hi - lo, 1e-9)
    below = positions[used, 1] < centres[nearest, 1]
    alpha = (1.0 - t) ** 2 * np.where(below, LOWER_LASHES, 1.0)
    colors[used, 3] *= alpha.astype(np.float32)


def _eye_spots(pos: np.ndarray, uv: np.ndarray, centre_x: float):
    """Per eye (split by side of the model's centre): (apex UV (2,), iris UV radius) and
    (eyeball centre (3,), radius) in metres."""
    spots, balls = [], []
    for side in (pos[:, 0] >= centre_x, pos[:, 0] < centre_x):
        if np.count_nonzero(side) < 8:
            continue
        p, t = pos[side].astype(np.float64), uv[side].astype(np.float64)
        centre = (p.min(axis=0) + p.max(axis=0)) / 2
        d = p - centre
        r = np.linalg.norm(d, axis=1)
        theta = np.degrees(np.arccos(np.clip(d[:, 2] / np.maximum(r, 1e-12), -1.0, 1.0)))
        near = theta <= max(4.0, float(theta.min()) + 1.0)
        apex = t[near].mean(axis=0)
        ring = (theta > 8.0) & (theta < 45.0)
        dist = np.linalg.norm(t - apex, axis=1)
        if np.count_nonzero(ring) >= 4:
            slope = float(np.dot(theta[ring], dist[ring]) / np.dot(theta[ring], theta[ring]))
        else:  # too coarse a shell: assume the UV disc spans the front hemisphere
            slope = 0.5 / 90.0
        spots.append((apex, slope * LIMBUS_DEG))
        balls.append((centre, float(np.median(r))))
    merged: list[tuple[np.ndarray, float]] = []
    for apex, radius in spots:  # both eyes may share one UV layout
        if not any(np.linalg.norm(apex - a) < 0.25 * radius for a, _ in merged):
            merged.append((apex, radius))
    return merged, balls


def _smoothstep(e0: float, e1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def paint_eye(
    spots: list[tuple[np.ndarray, float]],
    iris_srgb: tuple[int, int, int] = IRIS_SRGB,
    size: int = EYE_TEXTURE_SIZE,
) -> np.ndarray:
    """An eyeball texture: sclera, irises with radial fibres and a dark limbal ring, pupils.

    Args:
        spots: (pupil centre UV (2,), iris radius in UV units) per iris to paint.
        iris_srgb: iris base colour, sRGB 0–255.
        size: texture size in pixels.

    Returns:
        uint8 (size, size, 4) sRGB RGBA (opaque); row 0 is v = 0 (glTF UV origin top-left).
    """
    v, u = np.mgrid[0:size, 0:size].astype(np.float64)
    u, v = (u + 0.5) / size, (v + 0.5) / size
    rng = np.random.default_rng(7)
    sclera = np.array([238.0, 234.0, 229.0])
    rgb = np.broadcast_to(sclera, (size, size, 3)).copy()
    px = 1.0 / size
    nearest = np.full((size, size), np.inf)
    for apex, radius in spots:
        du, dv = u - apex[0], v - apex[1]
        rho = np.hypot(du, dv) / max(radius, 1e-6)  # 1.0 at the limbus
        nearest = np.minimum(nearest, rho)
        phi = np.arctan2(dv, du)
        fibres = np.zeros_like(phi)
        for k in (23, 37, 61, 89):
            fibres += np.sin(k * phi + rng.uniform(0, 2 * math.pi)) / 4
        base = np.asarray(iris_srgb, np.float64)
        shade = 1.0 + 0.18 * fibres * _smoothstep(0.3, 0.5, rho)
        collarette = 1.0 + 0.25 * np.exp(-(((rho - 0.55) / 0.08) ** 2))
        iris = base * (shade * collarette)[..., None]
        iris *= (1.0 - 0.55 * _smoothstep(0.78, 1.0, rho))[..., None]  # dark limbal ring
        edge = px / max(radius, 1e-6)
        in_iris = 1.0 - _smoothstep(1.0 - edge, 1.0 + 2 * edge, rho)
        in_pupil = 1.0 - _smoothstep(PUPIL_RATIO - edge, PUPIL_RATIO + 2 * edge, rho)
        pupil = np.array([12.0, 11.0, 11.0])
        layer = iris * (1 - in_pupil)[..., None] + pupil * in_pupil[..., None]
        rgb = rgb * (1 - in_iris)[..., None] + layer * in_iris[..., None]
    rgb *= (1.0 - 0.06 * _smoothstep(1.0, 2.5, nearest))[..., None]  # sclera shades sideways
    out = np.empty((size, size, 4), np.uint8)
    out[..., :3] = np.clip(rgb, 0, 255).round()
    out[..., 3] = 255
    return out


def find_eyeballs(
    materials: list[Material],
    submeshes: list[Submesh],
    positions: np.ndarray,
    indices: np.ndarray,
    look_moved: np.ndarray,
) -> tuple[Eyeball, ...]:
    """Eyeballs for gaze: eye materials' vertices per side, when no gaze shape moves them.

    Args:
        materials: the (dressed) materials.
        submeshes: triangle ranges per material.
        positions: float32 (V, 3) default-pose positions, metres.
        indices: uint32 (I,) triangles.
        look_moved: bool (V,), vertices an ``eyeLook*`` morph target moves.

    Returns:
        Up to two :class:`Eyeball` (empty when the eyes turn through their shapes already).
    """
    parts = []
    for sub in submeshes:
        name = materials[sub.material].name
        if _EYEBALL.search(name) or _IRIS.search(name) or _CORNEA.search(name):
            parts.append(indices[sub.first_index : sub.first_index + sub.index_count])
    if not parts:
        return ()
    used = np.unique(np.concatenate(parts))
    if look_moved[used].mean() > 0.2:
        return ()
    centre_x = float((positions.min(axis=0)[0] + positions.max(axis=0)[0]) / 2)
    out = []
    for side in (positions[used, 0] >= centre_x, positions[used, 0] < centre_x):
        verts = used[side]
        if verts.size >= 8:
            p = positions[verts]
            centre = ((p.min(axis=0) + p.max(axis=0)) / 2).astype(np.float32)
            out.append(Eyeball(centre, verts.astype(np.uint32)))
    return tuple(out)
