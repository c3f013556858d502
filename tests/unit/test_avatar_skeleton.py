"""Animation sampling and the joint palette (sans-IO), on hand-made channels and chains."""

from __future__ import annotations

import math

import numpy as np
import pytest

from avatar.pose import axis_angle
from avatar.skeleton import Channel, Clip, Skeleton, quat_to_matrix, slerp


def _chain(rest_rotation_z: float = 0.0) -> Skeleton:
    """root (at the origin) → child 1 m up; the root's rest rotation turns about +Z."""
    rest_r = np.array(
        [[0, 0, math.sin(rest_rotation_z / 2), math.cos(rest_rotation_z / 2)], [0, 0, 0, 1.0]]
    )
    return Skeleton(
        names=("root", "child"),
        parents=np.array([-1, 0]),
        rest_translation=np.array([[0.0, 0, 0], [0, 1.0, 0]]),
        rest_rotation=rest_r,
        rest_scale=np.ones((2, 3)),
        palette_nodes=np.array([0, 1]),
        palette_offsets=np.tile(np.eye(4), (2, 1, 1)),
    )


def test_step_linear_and_cubic_sampling() -> None:
    times = np.array([0.0, 1.0])
    values = np.array([[0.0, 0, 0], [2.0, 0, 0]])
    assert Channel(0, "translation", "STEP", times, values).sample(0.7)[0] == 0.0
    assert Channel(0, "translation", "LINEAR", times, values).sample(0.25)[0] == 0.5
    # Hermite with zero tangents eases in and out: half way at the middle, slower at the ends.
    cubic = np.zeros((2, 3, 3))
    cubic[:, 1] = values
    ch = Channel(0, "translation", "CUBICSPLINE", times, cubic)
    assert ch.sample(0.5)[0] == pytest.approx(1.0)
    assert ch.sample(0.25)[0] == pytest.approx(2 * (3 * 0.25**2 - 2 * 0.25**3))
    assert Channel(0, "translation", "LINEAR", times, values).sample(5.0)[0] == 2.0  # clamped


def test_rotation_channels_slerp_and_stay_unit() -> None:
    q0, q1 = np.array(axis_angle((0, 1, 0), 0.0)), np.array(axis_angle((0, 1, 0), math.pi / 2))
    mid = Channel(0, "rotation", "LINEAR", np.array([0.0, 2.0]), np.stack([q0, q1])).sample(1.0)
    np.testing.assert_allclose(mid, axis_angle((0, 1, 0), math.pi / 4), atol=1e-9)
    np.testing.assert_allclose(slerp(q1, q0, 0.5), mid, atol=1e-9)


def test_clip_wraps_and_moves_the_child() -> None:
    skel = _chain()
    turn = np.stack([axis_angle((0, 0, 1), 0.0), axis_angle((0, 0, 1), math.pi / 2)])
    clip = Clip("Idle", 1.0, (Channel(0, "rotation", "LINEAR", np.array([0.0, 1.0]), turn),))
    palette, _ = skel.pose(clip, 2.0)  # wraps to 0 s: rest
    np.testing.assert_allclose(palette[1][:3, 3], [0, 1, 0], atol=1e-6)
    palette, _ = skel.pose(clip, 0.999999)  # +90° about Z: the child swings to −X
    np.testing.assert_allclose(palette[1][:3, 3], [-1, 0, 0], atol=1e-4)


def test_bone_rotations_turn_about_the_avatar_axes_whatever_the_rig() -> None:
    # The root's rest rotation differs (0° vs 90° about Z); a pose rotation about the avatar's
    # +X axis must move the child the same way in the world for both rigs.
    q = np.array(axis_angle((1, 0, 0), math.pi / 2))
    for rest in (0.0, math.pi / 2):
        skel = _chain(rest)
        rest_palette, _ = skel.pose()
        palette, _ = skel.pose(None, 0.0, {0: q})
        expected = quat_to_matrix(q) @ rest_palette[1][:3, 3].astype(np.float64)
        np.testing.assert_allclose(palette[1][:3, 3], expected, atol=1e-6)
