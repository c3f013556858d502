"""PoseHold (pure numpy): joints held under half a pixel, and the area each frame redraws."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from avatar import DEFAULT_AVATAR_PATH, screen_box
from avatar.bands import Sweep
from avatar.camera import frame
from avatar.gltf import load_avatar
from avatar.pose import Pose, axis_angle
from avatar.pose_hold import EMPTY, PoseHold
from avatar.posing import PoseDriver
from avatar.screen_box import union


@pytest.fixture(scope="module")
def rig():
    avatar = load_avatar(DEFAULT_AVATAR_PATH)
    drawn = avatar.positions[np.unique(avatar.indices)]
    camera = frame(drawn, 512, 512, "head_shoulders", avatar.bone_position("neck"))
    return avatar, camera, PoseDriver(avatar)


@pytest.fixture(scope="module")
def made(rig):
    """One PoseHold of the rig (its triangle runs take a second or two to make)."""
    return PoseHold(rig[0], rig[1])


def _inside(box, xy) -> bool:
    return box[0] <= xy[0] < box[2] and box[1] <= xy[1] < box[3]


def test_box_area_and_overlap_use_half_open_bounds() -> None:
    assert screen_box.area((2, 3, 12, 8)) == 50
    assert screen_box.area((5, 5, 5, 9)) == 0 and screen_box.area((9, 0, 4, 7)) == 0
    assert screen_box.overlaps((0, 0, 10, 10), (9, 9, 20, 20))
    assert not screen_box.overlaps((0, 0, 10, 10), (10, 0, 20, 10))  # touching edges
    assert not screen_box.overlaps((0, 0, 10, 10), (0, 10, 10, 20))
    assert screen_box.bounding([]) == screen_box.EMPTY
    assert screen_box.bounding([(2, 3, 12, 8), (0, 5, 4, 20)]) == (0, 3, 12, 20)


def test_each_frame_redraws_only_what_moved(rig, made) -> None:
    avatar, camera, driver = rig
    hold = made
    assert hold.enabled

    def step(pose: Pose):
        palette, _ = driver.skeleton_pose(pose)
        return palette, hold.apply(palette, driver.target_weights(pose))

    mouth = camera.project(avatar.channel_centroid("jawOpen"))[0]
    eyes = camera.project(avatar.channel_centroid("eyeBlinkLeft"))[0]
    _, (_, full) = step(Pose())
    assert _inside(full, mouth) and _inside(full, eyes) and screen_box.area(full) > 0.5 * 512 * 512
    assert step(Pose())[1][1] == EMPTY  # nothing changed
    _, (_, area) = step(Pose(weights={"eyeBlinkLeft": 1.0}))
    assert (
        _inside(area, eyes)
        and not _inside(area, mouth)
        and screen_box.area(area) < 0.1 * screen_box.area(full)
    )
    _, (_, area) = step(Pose(weights={"jawOpen": 0.5}))  # the blink opens, the jaw drops
    assert (
        _inside(area, mouth)
        and _inside(area, eyes)
        and screen_box.area(area) < 0.25 * screen_box.area(full)
    )
    # a head turn far under half a pixel is held: the palette drawn is the last one
    palette, (drawn, area) = step(Pose(weights={"jawOpen": 0.5}, yaw=1e-4))
    assert area == EMPTY and not np.array_equal(palette, drawn)
    _, (_, area) = step(Pose(weights={"jawOpen": 0.5}, yaw=0.1))
    assert _inside(area, mouth) and _inside(area, eyes) and area[3] < full[3] - 100
    assert hold.head_drawn
    body = Pose(weights={"jawOpen": 0.5}, yaw=0.1, bones={"spine": axis_angle((0, 1, 0), 0.1)})
    _, (_, area) = step(body)  # a body step over SPLIT_PX is drawn whole
    assert screen_box.area(area) >= screen_box.area(full) and not hold.pending
    # a slow drift moves in steps: held until it has gone half a pixel, then taken whole
    steps, last = 0, None
    for k in range(1, 60):
        _, (drawn, _) = step(Pose(bones={"spine": axis_angle((0, 1, 0), 0.1 + 2e-4 * k)}))
        steps += last is not None and not np.array_equal(drawn, last)
        last = drawn
    assert 2 <= steps <= 30

    # a body step under DEFER_PX waits while the blendshapes change, for a frame without them
    _, (_, area) = step(Pose())  # back at rest: both groups move, the whole avatar is drawn
    assert not hold.pending
    drift = {"spine": axis_angle((0, 1, 0), 6e-3)}  # ~0.7 px on screen
    palette, (drawn, area) = step(Pose(weights={"jawOpen": 0.3}, bones=drift))
    assert not np.array_equal(palette, drawn)  # the body waits: its box is not drawn
    assert _inside(area, mouth) and area[3] < full[3] - 100
    palette, (drawn, area) = step(Pose(weights={"jawOpen": 0.3}, bones=drift))
    bands = [area]  # a step under SPLIT_PX: the body's top band now, one more each frame
    assert np.array_equal(palette, drawn) and area[3] < full[3] and not _inside(area, mouth)
    while hold.pending:
        assert len(bands) < 5 and screen_box.area(bands[-1]) < 0.3 * screen_box.area(full)
        bands.append(step(Pose(weights={"jawOpen": 0.3}, bones=drift))[1][1])  # the same pose
        assert bands[-1][1] < bands[-2][3] and bands[-1][3] > bands[-2][3]  # overlapping, lower
    assert len(bands) >= 2 and bands[-1][3] == full[3]
    assert screen_box.area(functools.reduce(union, bands)) >= 0.5 * screen_box.area(full)
    far = {"spine": axis_angle((0, 1, 0), 2e-2)}  # ~1.7 px: the body does not wait
    palette, (drawn, area) = step(Pose(weights={"jawOpen": 0.6}, bones=far))
    assert np.array_equal(palette, drawn) and _inside(area, mouth) and hold.pending
    further = {"spine": axis_angle((0, 1, 0), 2.8e-2)}  # ~0.7 px on: waits for the bands
    palette, (drawn, area) = step(Pose(weights={"jawOpen": 0.7}, bones=further))
    assert not np.array_equal(palette, drawn) and hold.pending
    assert _inside(area, mouth) and area[3] < full[3]
    assert len(hold.parts) == 1  # the body ~0.7 px behind: the band waits, the mouth does not
    # a head step each frame: no room for the band beside it (the budget is a head step's
    # cost), so it waits while the body is under YIELD_LAG_PX behind; the head never waits
    for k in range(1, 6):  # the head ~2 px a frame
        step(Pose(weights={"jawOpen": 0.7}, bones=further, yaw=0.02 * k))
        assert len(hold.parts) == 1 and hold.pending
        assert _inside(hold.parts[0], mouth) and _inside(hold.parts[0], eyes)
    step(Pose(weights={"jawOpen": 0.7}, bones=further, yaw=0.1))  # the same pose
    assert len(hold.parts) == 1 and not _inside(hold.parts[0], eyes)  # the band alone
    assert hold.parts[0][2] - hold.parts[0][0] > 0.7 * (full[2] - full[0])
    # the body ~1.7 px behind while its sweep is pending: a head step under HEAD_WAIT_PX
    # waits for a band, the mouth does not
    late = {"spine": axis_angle((0, 1, 0), 3.4e-2)}  # ~1.7 px from the drawn step
    palette, (drawn, _) = step(Pose(weights={"jawOpen": 0.5}, bones=late, yaw=0.085))  # ~1.3 px
    assert len(hold.parts) == 2 and any(_inside(p, mouth) for p in hold.parts)
    assert all(p[1] > full[1] + 30 for p in hold.parts)  # not the crown: the head waited
    assert not np.array_equal(palette, drawn)


def test_frame_cost_weighs_triangles_and_fits_bands(rig, made) -> None:
    avatar, camera, _ = rig
    hold, cost = made, made.cost
    mouth = camera.project(avatar.channel_centroid("jawOpen"))[0].astype(int)
    face = (mouth[0] - 60, mouth[1] - 60, mouth[0] + 60, mouth[1] + 20)  # 9.6k px of face
    suit = (40, 440, 160, 520)  # 9.6k px of suit (clipped at the frame's bottom: 8.6k)
    assert cost.cost_ms(face) > 2 * cost.cost_ms(suit) > 0 and cost.cost_ms(EMPTY) == 0
    rest = np.broadcast_to(np.eye(4), (avatar.skeleton.palette_nodes.size, 4, 4))
    assert hold.frame_ms == pytest.approx(cost.cost_ms(hold.head_box.skinned(rest)))
    band = (40, 300, 470, 512)
    for budget in (1.0, 2.5, 5.0):
        rows = cost.rows_within(band, budget)
        x0, y0, x1, _ = band
        assert cost.cost_ms((x0, y0, x1, y0 + rows)) <= budget
        assert cost.cost_ms((x0, y0, x1, y0 + rows + 1)) > budget
    assert cost.rows_within(band, 0.1) == 0 and cost.rows_within(band, 1e3) == 212


def test_a_sweeps_least_band_is_a_third_of_its_largest() -> None:
    wide = Sweep((0, 0, 400, 500), 32_000, 10_000)  # 200k px: bands of a quarter, 50k
    assert (wide.rows, wide.least) == (125, 41)
    narrow = Sweep((0, 0, 400, 200), 32_000, 10_000)  # 80k px: 32k bands
    assert (narrow.rows, narrow.least) == (80, 26)
