"""The default avatar's skin is shaded as skin (``Material.skin``: light wrapping further in red,
a mottle in the face's UVs, a gloss from the vertex alpha, a Fresnel sheen;
``avatar/gl_shaders.py``), its creases darkened and its nostrils shadowed by the generator
(``avatar/asset/cavity.py``, ``avatar/asset/skin.py``), and its eyes show a catchlight. Before,
newcomers saw "a waxy mannequin: flat untextured skin" (session 18). Real pixels of the EGL
renderer at the stream's 512², the shipped avatar drawn with and without its skin shading;
frames go to test-artifacts/ for a human look."""

from __future__ import annotations

import dataclasses

import numpy as np
from PIL import Image

from avatar import DEFAULT_AVATAR_PATH
from avatar.asset.skin import MOUTH_Y
from avatar.gltf import load_avatar
from avatar.pose import Pose
from avatar.renderer import Renderer
from tests.conftest import egl_required

LUMA = np.array([0.2126, 0.7152, 0.0722])


def frame(avatar) -> np.ndarray:
    with egl_required():
        renderer = Renderer(avatar, 512, 512)
    with renderer:
        return renderer.render(Pose()).astype(np.float64)


def mottle(rgb: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """Standard deviation of the luma in a box (x0, y0, x1, y1) about its least-squares
    quadratic in x and y (the shading's gradient taken out): what varies within the skin."""
    x0, y0, x1, y1 = box
    luma = (rgb[y0:y1, x0:x1] @ LUMA).ravel()
    yy, xx = (a.ravel().astype(np.float64) for a in np.mgrid[y0:y1, x0:x1])
    basis = np.c_[np.ones_like(xx), xx, yy, xx**2, yy**2, xx * yy]
    fit = np.linalg.lstsq(basis, luma, rcond=None)[0]
    return float((luma - basis @ fit).std())


def test_the_skin_is_mottled_glossy_and_no_paler(artifacts_dir):
    shipped = load_avatar(DEFAULT_AVATAR_PATH)
    assert [m.name for m in shipped.materials if m.skin] == ["skin"]  # the asset says so
    plain = dataclasses.replace(
        shipped, materials=tuple(dataclasses.replace(m, skin=False) for m in shipped.materials)
    )
    skin, flat = frame(shipped), frame(plain)
    Image.fromarray(np.concatenate([flat, skin], axis=1).astype(np.uint8)).save(
        artifacts_dir / "skin_plain_shaded.png"
    )
    # the forehead and the cheeks, away from the features (512² head-and-shoulders): the
    # forehead was one smooth gradient, the cheeks carry the baked creases in both frames
    for box, gain in (
        ((236, 82, 276, 100), 2.0),
        ((204, 150, 226, 175), 1.1),
        ((286, 150, 308, 175), 1.1),
    ):
        before, after = mottle(flat, box), mottle(skin, box)
        print(f"skin mottle {box}: {before:.2f} → {after:.2f} (luma SD, 512²)")
        assert after > gain * before, (box, before, after)
    # the whole face neither washes out nor darkens (mean luma within 6 %)
    face = (slice(80, 215), slice(200, 312))
    ratio = (skin[face] @ LUMA).mean() / (flat[face] @ LUMA).mean()
    assert 0.94 < ratio < 1.06, ratio


def test_the_lips_are_glossier_than_the_cheeks_and_creases_darker() -> None:
    avatar = load_avatar(DEFAULT_AVATAR_PATH)
    sub = next(s for s in avatar.submeshes if avatar.materials[s.material].name == "skin")
    used = np.unique(avatar.indices[sub.first_index : sub.first_index + sub.index_count])
    p, col = avatar.positions[used], avatar.colors[used]
    nose_tip = p[np.argmax(p[:, 2])]
    rel = p - nose_tip
    # the lips (the mouth's centre ~3.5 cm under the nose tip, 2 cm behind it)
    lips = (np.abs(rel[:, 0]) < 0.012) & (np.abs(rel[:, 1] - (MOUTH_Y - 0.0009)) < 0.005)
    lips &= rel[:, 2] > -0.03
    cheeks = (np.abs(np.abs(rel[:, 0]) - 0.045) < 0.008) & (np.abs(rel[:, 1]) < 0.01)
    cheeks &= rel[:, 2] > -0.08
    assert lips.sum() > 20 and cheeks.sum() > 20, (lips.sum(), cheeks.sum())
    assert np.median(col[lips, 3]) > 0.7 > 0.3 > np.median(col[cheeks, 3])
    # the nostril floors lie in shadow: darker than the nose tip by far
    nostrils = (np.abs(np.abs(rel[:, 0]) - 0.009) < 0.004) & (rel[:, 1] < -0.002)
    nostrils &= rel[:, 1] > -0.01
    nostrils &= rel[:, 2] > -0.03
    tip = np.linalg.norm(rel, axis=1) < 0.004
    assert (col[nostrils, :3] @ LUMA).min() < 0.5 * (col[tip, :3] @ LUMA).mean()


def test_each_eye_shows_a_catchlight() -> None:
    rgb = frame(load_avatar(DEFAULT_AVATAR_PATH))
    luma = rgb @ LUMA
    for x0 in (214, 264):  # the viewer's left and right eye at 512²
        eye = luma[134:150, x0 : x0 + 32]  # under the brows, above the cheek
        y, x = np.unravel_index(eye.argmin(), eye.shape)  # the pupil
        # the pupil's rows and the two under it (the lid and its lashes lie above them), the
        # iris 3 px either side: the old asset's brightest pixel there was ~100 (brown iris)
        iris = eye[y - 1 : y + 3, max(x - 3, 0) : x + 3]
        print(f"eye at x {x0 + x}: pupil {eye[y, x]:.0f}, brightest iris pixel {iris.max():.0f}")
        assert iris.max() > 120, iris.max()
