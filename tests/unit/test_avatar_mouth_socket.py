"""The mouth socket of the default avatar is the inner lip's colour, darker deeper in
(:func:`avatar.asset.skin.face_colors`). ICT-FaceKit's back-of-head mesh carries the lining
behind the lips, from the lips (z = 10.8 cm) back to z = 0; it was painted skin, and with the jaw
wide open (the ``aa`` viseme) a pale rim showed between the upper lip and the gums (the frame's
centre column, 512², row 202: sRGB (187, 170, 162) before, (131, 96, 94) after)."""

from __future__ import annotations

import numpy as np

from avatar.asset.parts import Part
from avatar.asset.skin import LIP_INNER, MOUTH_Y, SKIN, face_colors, socket_mask
from avatar.gltf import load_avatar
from tests.conftest import REPO_ROOT


def luma(rgb: np.ndarray) -> np.ndarray:
    """Relative luminance (ITU-R BT.709) of linear RGB rows."""
    return rgb[..., :3] @ np.array([0.2126, 0.7152, 0.0722])


def back_of_head(points: list[tuple[float, float, float]]) -> Part:
    return Part("backhead", "skin", np.array(points), np.zeros((0, 3)))


def test_the_socket_behind_the_lips_is_no_lighter_than_the_inner_lip() -> None:
    socket = [(0.0, MOUTH_Y + 0.008, z) for z in (0.105, 0.09, 0.06, 0.03, 0.01)]
    socket += [(0.02, MOUTH_Y - 0.01, 0.08), (-0.02, MOUTH_Y + 0.015, 0.05)]
    colors = face_colors(back_of_head(socket))
    assert (luma(colors) <= luma(LIP_INNER) + 1e-9).all(), colors
    deep, front = colors[3], colors[0]
    assert luma(deep) < 0.6 * luma(front)  # darker deeper in, as the gums and teeth


def test_the_back_of_the_head_and_the_face_keep_their_skin() -> None:
    # the neck's back right behind the mouth (z < -4 cm) is outside the socket
    assert socket_mask(np.array([(0.0, MOUTH_Y, -0.045), (0.0, MOUTH_Y, -0.07)])).max() == 0
    outside = [(0.0, 0.1, 0.05), (0.07, MOUTH_Y, 0.05), (0.0, MOUTH_Y - 0.06, 0.06)]
    colors = face_colors(back_of_head(outside))
    assert (luma(colors) > 0.85 * luma(SKIN)).all(), colors  # skin, a flush or shave at most
    # the face part itself is coloured as before (lips and inner lip by their own regions)
    cheek = face_colors(Part("face", "skin", np.array([(0.05, 0.0, 0.09)]), np.zeros((0, 3))))
    assert luma(cheek[0]) > luma(LIP_INNER) * 3


def test_the_shipped_default_avatar_has_the_dark_socket() -> None:
    """The rule above only shows once ``assets/avatar/default.glb`` is rebuilt from it
    (``python -m avatar.generate``): the shipped file's skin vertices behind the lips, in the
    socket (within 3 cm of the mouth's centre, 1-7 cm in front of z = 0, where no face or neck
    skin lies), are no lighter than the inner lip. The file before the rebuild had all 325 of
    them skin-coloured (luminance ~0.5, the inner lip's 0.067)."""
    avatar = load_avatar(REPO_ROOT / "assets" / "avatar" / "default.glb")
    (skin,) = [s for s in avatar.submeshes if avatar.materials[s.material].name == "skin"]
    used = np.asarray(avatar.indices)[skin.first_index : skin.first_index + skin.index_count]
    ids = np.unique(used)
    p, colors = np.asarray(avatar.positions)[ids], np.asarray(avatar.colors)[ids]
    x, y, z = p.T
    socket = (np.abs(x) < 0.03) & (np.abs(y - MOUTH_Y) < 0.03) & (z > 0.01) & (z < 0.07)
    assert socket.sum() > 100  # the lining is there (325 vertices in this box)
    assert (luma(colors[socket]) <= luma(LIP_INNER) + 1e-3).all(), luma(colors[socket]).max()
