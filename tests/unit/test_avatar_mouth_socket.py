"""The mouth socket of the default avatar is the inner lip's colour, darker deeper in
(:func:`avatar.asset.skin.face_colors`). ICT-FaceKit's back-of-head mesh carries the lining
behind the lips, from the lips (z = 10.8 cm) back to z = 0; it was painted skin, and with the jaw
wide open (the ``aa`` viseme) a pale rim showed between the upper lip and the gums (the frame's
centre column, 512², row 202: sRGB (187, 170, 162) before, (131, 96, 94) after)."""

from __future__ import annotations

import numpy as np

from avatar.asset.parts import Part
from avatar.asset.skin import LIP_INNER, MOUTH_Y, SKIN, face_colors, socket_mask


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
