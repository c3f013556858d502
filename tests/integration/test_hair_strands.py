"""The default avatar's hair is shaded as strands (``Material.strands``: clump noise across the
combing direction in the albedo, a Kajiya-Kay highlight in two Scheuermann lobes;
``avatar/gl_shaders.py``). Before it the haircut read as one smooth cap in received frames
(newcomer, session 14). Real pixels of the EGL renderer at the stream's 512², the same avatar
drawn with and without strands: the hair's high-frequency energy rises, the face's pixels do not
change. Frames go to test-artifacts/ for a human look."""

from __future__ import annotations

import dataclasses

import numpy as np
from PIL import Image

from avatar import DEFAULT_AVATAR_PATH
from avatar.gltf import load_avatar
from avatar.pose import Pose
from avatar.renderer import Renderer
from tests.conftest import egl_required


def frame(avatar) -> np.ndarray:
    with egl_required():
        renderer = Renderer(avatar, 512, 512)
    with renderer:
        return renderer.render(Pose()).astype(np.float64)


def detail(rgb: np.ndarray, mask: np.ndarray) -> float:
    """Mean squared horizontal second difference of the luma inside ``mask``: high-frequency
    energy (strands run roughly vertically on the crown, so they vary along x)."""
    luma = rgb @ np.array([0.2126, 0.7152, 0.0722])
    d2 = luma[:, :-2] - 2 * luma[:, 1:-1] + luma[:, 2:]
    inside = mask[:, 1:-1] & mask[:, :-2] & mask[:, 2:]
    return float((d2[inside] ** 2).mean())


def test_the_hair_has_strands_and_the_face_is_unchanged(artifacts_dir):
    shipped = load_avatar(DEFAULT_AVATAR_PATH)
    assert [m.name for m in shipped.materials if m.strands] == ["hair"]  # the asset says so
    plain = dataclasses.replace(
        shipped, materials=tuple(dataclasses.replace(m, strands=False) for m in shipped.materials)
    )
    strands, cap = frame(shipped), frame(plain)
    Image.fromarray(np.concatenate([cap, strands], axis=1).astype(np.uint8)).save(
        artifacts_dir / "hair_cap_strands.png"
    )
    # the hair: the dark brown above the brows in the plain frame (rows 40-150 at 512²)
    rows = np.zeros(cap.shape[:2], bool)
    rows[40:150, 150:362] = True
    hair = rows & (cap.mean(axis=2) < 90) & (cap[..., 0] > cap[..., 2])
    for _ in range(3):  # away from its edges (against the backdrop, the forehead)
        hair[1:-1, 1:-1] &= hair[:-2, 1:-1] & hair[2:, 1:-1] & hair[1:-1, :-2] & hair[1:-1, 2:]
    assert hair.sum() > 3000, hair.sum()
    before, after = detail(cap, hair), detail(strands, hair)
    print(f"hair high-frequency energy {before:.2f} → {after:.2f} (luma², 512²)")
    assert after > 3 * before, (before, after)
    # the face below the hairline: the very same pixels
    face = np.zeros(cap.shape[:2], bool)
    face[160:330, 190:322] = True
    assert np.abs(strands[face] - cap[face]).max() <= 1.0
