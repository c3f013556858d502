"""The pose contract: defaults, normalised bone quaternions, and the errors for bad input."""

from __future__ import annotations

import math

import pytest

from avatar.pose import NEUTRAL_POSE, Pose, axis_angle


def test_neutral_pose_is_rest() -> None:
    assert NEUTRAL_POSE.gaze == (0.0, 0.0)
    assert dict(NEUTRAL_POSE.bones) == {} and NEUTRAL_POSE.clip is None
    assert NEUTRAL_POSE.clip_time_s == 0.0
    assert Pose() == NEUTRAL_POSE  # equal poses compare equal (the renderer skips repeats)


def test_bones_are_normalised_and_read_only() -> None:
    pose = Pose(bones={"head": (0.0, 0.0, 0.0, 2.0), "neck": [0, 1, 0, 1]}, gaze=[0.1, -0.05])
    assert pose.bones["head"] == (0.0, 0.0, 0.0, 1.0)
    assert pose.bones["neck"] == pytest.approx((0.0, math.sqrt(0.5), 0.0, math.sqrt(0.5)))
    assert pose.gaze == (0.1, -0.05)
    with pytest.raises(TypeError):
        pose.bones["hips"] = (0, 0, 0, 1)  # type: ignore[index]
    assert Pose(bones={"head": (0, 0, 0, 1)}) == Pose(bones={"head": (0.0, 0.0, 0.0, 1.0)})


def test_axis_angle() -> None:
    x, y, z, w = axis_angle((0.0, 2.0, 0.0), math.pi / 2)
    assert (x, z) == (0.0, 0.0) and y == pytest.approx(w) == pytest.approx(math.sqrt(0.5))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"bones": {"head": (0.0, 0.0, 0.0)}},
        {"bones": {"head": (0.0, 0.0, 0.0, 0.0)}},
        {"bones": {"head": (float("nan"), 0.0, 0.0, 1.0)}},
        {"gaze": [0.1]},
        {"gaze": [0.1, float("inf")]},
    ],
)
def test_bad_pose_fields_raise(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        Pose(**kwargs)
