"""VRM 0.x and 1.0 avatars written here: humanoid bones, lip-sync through the five VRM vowels
(the fallback from Oculus visemes), facing the camera (VRM 0.x is turned from −Z), gaze."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from avatar.gltf import load_avatar
from avatar.pose import Pose
from avatar.posing import PoseDriver
from avatar.renderer import Renderer
from tests.conftest import egl_required
from tests.gltf_scenes import VOWELS, vrm_head

VISEME_OF = {"aa": "aa", "ih": "I", "ou": "U", "ee": "E", "oh": "O"}  # Oculus → VRM vowel


@pytest.fixture(scope="module", params=["0", "1"])
def vrm(request, tmp_path_factory):
    path = vrm_head(tmp_path_factory.mktemp("vrm") / f"head{request.param}.vrm", request.param)
    avatar = load_avatar(path)
    with egl_required():
        renderer = Renderer(avatar, 256, 256, fxaa=False)
    yield request.param, avatar, renderer
    renderer.close()


def test_vrm_data_is_read(vrm) -> None:
    version, avatar, _ = vrm
    assert avatar.vrm_version == version
    assert {"hips", "neck", "head"} <= avatar.humanoid_bones
    assert avatar.has_vrm_vowels and not avatar.has_visemes


def test_vrm_faces_the_camera_with_its_left_on_the_viewers_right(vrm) -> None:
    _, _, renderer = vrm
    frame = renderer.render(Pose()).astype(int)
    red = (frame[..., 0] > 150) & (frame[..., 1] < 60)
    skin = (frame[..., 0] > 120) & (frame[..., 1] > 80) & (frame[..., 2] < frame[..., 0])
    assert skin.sum() > 2000, "the face's front is not toward the camera"
    assert red.sum() > 50 and np.argwhere(red)[:, 1].mean() > 128  # the avatar's left cheek


def test_vrm_lip_syncs_through_the_five_vowels(vrm) -> None:
    _, avatar, renderer = vrm
    silent = renderer.render(Pose()).astype(int)
    frames = {}
    for vowel in VOWELS:
        pose = Pose(visemes={VISEME_OF[vowel]: 1.0})
        assert PoseDriver(avatar).channel_weights(pose)[f"vrm_{vowel}"] == 1.0
        frames[vowel] = renderer.render(pose).astype(int)
        assert np.abs(frames[vowel] - silent).mean() > 0.3, vowel
    for a in VOWELS:  # each vowel draws its own mouth
        for b in VOWELS:
            if a < b:
                assert np.abs(frames[a] - frames[b]).mean() > 0.1, (a, b)


def test_vrm_head_turn_moves_the_head_bone(vrm) -> None:
    _, _, renderer = vrm
    straight = renderer.render(Pose()).astype(int)
    turned = renderer.render(Pose(yaw=0.4)).astype(int)
    assert np.abs(turned - straight).mean() > 2


def test_vrm_gaze_drives_the_look_expressions_or_eye_bones(tmp_path: Path) -> None:
    avatar = load_avatar(vrm_head(tmp_path / "look.vrm", "0"))
    assert avatar.look_at is not None and avatar.look_at.kind == "expression"
    weights = PoseDriver(avatar).channel_weights(Pose(gaze=(math.radians(9), math.radians(-18))))
    assert weights["vrm_lookLeft"] == pytest.approx(0.1) and weights["vrm_lookUp"] == pytest.approx(
        0.2
    )
