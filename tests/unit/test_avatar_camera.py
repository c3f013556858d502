"""Camera framing (pure numpy): head and shoulders in view at every aspect, head at the top."""

from __future__ import annotations

import numpy as np
import pytest

from avatar.camera import FRAMINGS, frame


def _bust() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points of a 0.75 m bust: a 0.23 m head on shoulders 0.46 m wide; (points, crown, chin)."""
    rng = np.random.default_rng(0)
    head = rng.normal(size=(400, 3))
    head = head / np.linalg.norm(head, axis=1, keepdims=True) * [0.08, 0.115, 0.1]
    head += [0.0, 0.0, 0.0]
    torso = rng.uniform([-0.23, -0.6, -0.12], [0.23, -0.2, 0.1], size=(800, 3))
    points = np.concatenate([head, torso])
    return points, np.array([0.0, 0.115, 0.0]), np.array([0.0, -0.115, 0.05])


@pytest.mark.parametrize(("width", "height"), [(512, 512), (432, 768), (1280, 720)])
def test_head_and_shoulders_are_in_view_with_the_head_at_the_top(width, height) -> None:
    points, crown, chin = _bust()
    cam = frame(points, width, height)
    (_, cy), (_, chin_y) = cam.project(np.stack([crown, chin]))
    assert 0 < cy < 0.12 * height and chin_y < 0.6 * height  # headroom, face in the top part
    shoulders = cam.project(np.array([[-0.23, -0.25, 0.1], [0.23, -0.25, 0.1]]))
    assert shoulders[:, 1].max() < height
    if width >= height:  # landscape and square: the shoulders' full width is in view
        assert shoulders[0, 0] >= 0 and shoulders[1, 0] <= width
    else:  # portrait: about 5 % of the shoulders' width at most is cropped on each side
        span = shoulders[1, 0] - shoulders[0, 0]
        assert shoulders[0, 0] >= -0.06 * span and shoulders[1, 0] <= width + 0.06 * span


def test_framings_reach_further_down_and_bad_names_fail() -> None:
    points, _, _ = _bust()
    tight, wide = frame(points, 512, 512, "face"), frame(points, 512, 512, "bust")
    chest = np.array([0.0, -0.4, 0.1])
    assert tight.project(chest)[0, 1] > 512 > wide.project(chest)[0, 1]
    assert set(FRAMINGS) == {"face", "head_shoulders", "bust"}
    with pytest.raises(ValueError, match="unknown framing"):
        frame(points, 512, 512, "full_body")
