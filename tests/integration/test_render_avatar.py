"""EGL rendering of the default avatar and the ICT head: frames, mouth, blinks, threads, speed.

Frames are saved to test-artifacts/ for a human look.
"""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from avatar import DEFAULT_AVATAR_PATH
from avatar.backdrop import studio_backdrop
from avatar.gltf import load_avatar
from avatar.model import Avatar
from avatar.pose import Pose, axis_angle
from avatar.renderer import Renderer, RendererError
from avatar.timeline import AvatarTimeline
from avatar.visemes import VisemeCue, VisemeTrack
from tests.conftest import egl_required

SR = 48_000
ICT = Path("avatar") / "ict_facekit_head_arkit53_morphs.glb"


def _renderer(avatar: Avatar, **kw) -> Renderer:
    with egl_required():
        return Renderer(avatar, **kw)


@pytest.fixture(scope="module")
def default_avatar() -> Avatar:
    return load_avatar(DEFAULT_AVATAR_PATH)


@pytest.fixture(scope="module")
def default_renderer(default_avatar: Avatar):
    renderer = _renderer(default_avatar)
    yield renderer
    renderer.close()


@pytest.fixture(scope="module")
def ict_avatar(shared_data: Path) -> Avatar:
    return load_avatar(shared_data / ICT)


def _speech_timeline() -> AvatarTimeline:
    """Silence until 1 s, then 'sil aa O PP E sil' of 200 ms each; no blinks or idle sway."""
    visemes = ["sil", "aa", "O", "PP", "E", "sil"]
    cues = tuple(VisemeCue(v, k * 4410, (k + 1) * 4410) for k, v in enumerate(visemes))
    tl = AvatarTimeline(SR, blink=False, idle=False)
    tl.add_speech(VisemeTrack(22_050, cues), SR)
    return tl


def _crop(frame: np.ndarray, center: np.ndarray, half: int) -> np.ndarray:
    x, y = (round(c) for c in center)
    return frame[max(y - half, 0) : y + half, max(x - half, 0) : x + half].astype(np.int16)


def _check_speaking_mouth(renderer: Renderer, avatar: Avatar, artifacts: Path, tag: str):
    tl = _speech_timeline()
    silent_t, aa_t = SR // 2, SR + SR * 3 // 10  # 0.5 s; 1.3 s = middle of 'aa'
    assert tl.pose_at(aa_t).visemes == {"aa": 1.0} and tl.pose_at(silent_t).visemes == {}
    # Speech nods the head a little; hold it still here so only the face shapes differ.
    aa_pose = dataclasses.replace(tl.pose_at(aa_t), yaw=0.0, pitch=0.0, roll=0.0)
    silent, aa = renderer.render(tl.pose_at(silent_t)), renderer.render(aa_pose)
    assert tl.pose_at(silent_t).pitch == 0.0 and tl.pose_at(aa_t).pitch > 0.0
    for frame in (silent, aa):  # not blank: a lit avatar over a gradient
        assert frame.shape == (512, 512, 3) and frame.dtype == np.uint8
        assert frame.std() > 20
        assert np.abs(frame[256, 256].astype(int) - frame[5, 5]).sum() > 30
    mouth = renderer.camera.project(avatar.channel_centroid("jawOpen"))[0]
    eyes = renderer.camera.project(avatar.channel_centroid("eyeBlinkLeft"))[0]
    assert mouth[0] > 100 and mouth[0] < 412, mouth
    assert mouth[1] > 100 and mouth[1] < 480 and eyes[1] < mouth[1], (mouth, eyes)
    mouth_change = np.abs(_crop(aa, mouth, 30) - _crop(silent, mouth, 30)).mean()
    eye_change = np.abs(_crop(aa, eyes, 12) - _crop(silent, eyes, 12)).mean()
    assert mouth_change > 6.0, f"{tag}: mouth crop barely changed ({mouth_change:.2f})"
    assert eye_change < 0.5, f"{tag}: eyes changed while only the mouth should ({eye_change})"
    # Silence is still: the same silent pose at other times renders the identical frame.
    for t in (0, SR // 4, SR * 3):
        assert not tl.is_speaking(t)
        assert np.array_equal(renderer.render(tl.pose_at(t)), silent)
    Image.fromarray(np.concatenate([silent, aa], axis=1)).save(artifacts / f"{tag}_sil_aa.png")
    return silent


def test_default_avatar_mouth_follows_visemes(default_renderer, default_avatar, artifacts_dir):
    _check_speaking_mouth(default_renderer, default_avatar, artifacts_dir, "default")


def test_default_avatar_blink_closes_the_eyes(default_renderer, default_avatar, artifacts_dir):
    open_frame = default_renderer.render(Pose())
    shut = default_renderer.render(Pose(weights={"eyeBlinkLeft": 1.0, "eyeBlinkRight": 1.0}))
    for channel in ("eyeBlinkLeft", "eyeBlinkRight"):
        eye = default_renderer.camera.project(default_avatar.channel_centroid(channel))[0]
        assert np.abs(_crop(shut, eye, 10) - _crop(open_frame, eye, 10)).mean() > 10
    mouth = default_renderer.camera.project(default_avatar.channel_centroid("jawOpen"))[0]
    assert np.array_equal(_crop(shut, mouth, 20), _crop(open_frame, mouth, 20))
    Image.fromarray(np.concatenate([open_frame, shut], axis=1)).save(
        artifacts_dir / "default_blink.png"
    )


def test_head_pose_moves_the_head_not_the_background(default_renderer):
    straight = default_renderer.render(Pose()).astype(np.int16)
    turned = default_renderer.render(Pose(yaw=0.3, pitch=0.1)).astype(np.int16)
    assert np.abs(turned[100:300, 180:330] - straight[100:300, 180:330]).mean() > 5
    assert np.array_equal(turned[:20, :20], straight[:20, :20])
    drawn = default_renderer.stages  # where the GL thread's CPU went (benchmarks/render.py)
    assert drawn.pose_ms > 0 and drawn.draw_ms > 0 and drawn.total_ms >= drawn.draw_ms
    default_renderer.render(Pose(yaw=0.3, pitch=0.1))  # the same pose: the last frame, copied
    assert default_renderer.stages.draw_ms == 0 and default_renderer.stages.copy_ms > 0


def test_partial_redraws_equal_full_draws(default_renderer):
    """A frame that redraws only the changed blendshapes', the head's or the body's box (only
    the triangle runs that reach it) equals a full draw."""
    shoulder = axis_angle((0, 0, 1), 0.05)
    target = Pose(weights={"jawOpen": 0.4, "eyeBlinkLeft": 0.7}, yaw=0.05, gaze=(0.1, 0.0))
    default_renderer.render(Pose(bones={"spine": axis_angle((0, 1, 0), 0.2)}))
    full = default_renderer.render(target).copy()  # the body moved back: a full draw
    for before in (
        dataclasses.replace(target, weights={"jawOpen": 0.1}),  # blendshape boxes only
        dataclasses.replace(target, yaw=-0.05, gaze=(0.0, 0.0)),  # the head box
        dataclasses.replace(target, bones={"leftShoulder": shoulder}),  # the body's box
    ):
        assert not np.array_equal(default_renderer.render(before), full)
        assert np.array_equal(default_renderer.render(target), full)


def test_out_buffer_and_threads(default_renderer):
    poses = [Pose(weights={"jawOpen": k / 8}, yaw=0.02 * k) for k in range(8)]
    expected = [default_renderer.render(p) for p in poses]
    out = np.zeros((512, 512, 3), np.uint8)
    assert default_renderer.render(poses[3], out) is out
    assert np.array_equal(out, expected[3])
    results: dict[int, np.ndarray] = {}

    def worker(k: int) -> None:
        results[k] = default_renderer.render(poses[k])

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in range(8):
        assert np.array_equal(results[k], expected[k])
    with pytest.raises(RendererError):
        default_renderer.render(Pose(), np.zeros((10, 10, 3), np.uint8))


def test_closed_renderer_refuses_frames(default_avatar):
    renderer = _renderer(default_avatar, width=64, height=64)
    assert renderer.render(Pose()).shape == (64, 64, 3)
    renderer.close()
    renderer.close()  # idempotent
    with pytest.raises(RendererError, match="closed"):
        renderer.render(Pose())


def test_ict_head_renders_and_speaks(ict_avatar, artifacts_dir):
    with _renderer(ict_avatar) as renderer:
        _check_speaking_mouth(renderer, ict_avatar, artifacts_dir, "ict")


def _luma(frame: np.ndarray, xy: np.ndarray) -> float:
    x, y = (round(float(c)) for c in xy)
    patch = frame[y - 1 : y + 2, x - 1 : x + 2].astype(np.float64)
    return float((patch @ [0.2126, 0.7152, 0.0722]).mean())


def _rgb(frame: np.ndarray, xy: np.ndarray) -> np.ndarray:
    return frame[round(float(xy[1])), round(float(xy[0]))].astype(int)


def _on_eyeball(renderer: Renderer, avatar: Avatar, eye, degrees: float) -> np.ndarray:
    """Pixel of the eyeball point ``degrees`` from its front, toward its outer corner."""
    pos = avatar.positions[eye.vertices].astype(np.float64)
    radius = float(np.median(np.linalg.norm(pos - eye.centre, axis=1)))
    outward = 1.0 if eye.centre[0] > 0 else -1.0
    a = np.radians(degrees)
    point = eye.centre + radius * np.array([outward * np.sin(a), 0.0, np.cos(a)])
    return renderer.camera.project(point)[0]


def test_ict_head_shows_irises_and_pupils(ict_avatar, artifacts_dir):
    """The untextured ICT eyes get iris, pupil and sclera; the lashes leave them visible."""
    assert len(ict_avatar.eyes) == 2
    with _renderer(ict_avatar) as renderer:
        frame = renderer.render(Pose())
    Image.fromarray(frame).save(artifacts_dir / "ict_eyes.png")
    for eye in ict_avatar.eyes:
        centre, sclera = (_on_eyeball(renderer, ict_avatar, eye, d) for d in (0, 42))
        pupil, white = _luma(frame, centre), _luma(frame, sclera)
        white_rgb = _rgb(frame, sclera)
        assert pupil <= 0.85 * white, (pupil, white)  # what a face model's iris check reads
        for side in (-18, 18):  # coloured iris, not hidden by lashes, brighter than the pupil
            rgb = _rgb(frame, _on_eyeball(renderer, ict_avatar, eye, side))
            assert np.abs(rgb - white_rgb).sum() > 90, (rgb, white_rgb)
            assert rgb[0] > rgb[2] + 10 and rgb.mean() > pupil + 8, (rgb, pupil)


@pytest.mark.parametrize(("width", "height"), [(432, 768), (768, 432)])
def test_default_avatar_face_and_shoulders_in_view(default_avatar, width, height, artifacts_dir):
    """Kiosk portrait 9:16 and landscape 16:9: head at the top, face and shoulders inside."""
    with _renderer(default_avatar, width=width, height=height) as renderer:
        frame = renderer.render(Pose())
    Image.fromarray(frame).save(artifacts_dir / f"default_{width}x{height}.png")
    a = default_avatar
    crown = a.positions[np.argmax(a.positions[:, 1])]
    points = {
        "crown": crown,
        "left eye": a.channel_centroid("eyeBlinkLeft"),
        "right eye": a.channel_centroid("eyeBlinkRight"),
        "mouth": a.channel_centroid("jawOpen"),
        "left shoulder": a.bone_position("leftUpperArm"),
        "right shoulder": a.bone_position("rightUpperArm"),
    }
    for name, point in points.items():
        x, y = renderer.camera.project(point)[0]
        assert 0 <= x < width and 0 <= y < height, (name, x, y)
    assert renderer.camera.project(crown)[0, 1] < 0.12 * height
    backdrop = studio_backdrop(width, height)
    x, y = (round(float(c)) for c in renderer.camera.project(points["mouth"])[0])
    assert np.abs(frame[y, x].astype(int) - backdrop[y, x]).sum() > 30  # the face is drawn


def test_mouth_interior_skipped_only_while_hidden(default_renderer, default_avatar):
    """Closed-mouth frames may skip the teeth; an opening mouth draws them at once."""
    from avatar.interior import HiddenInterior

    hidden = HiddenInterior(default_avatar)
    assert {"teeth", "mouth"} <= hidden.names
    blink = default_avatar.target_weights({"eyeBlinkLeft": 1.0})
    jaw = default_avatar.target_weights({"jawOpen": 0.6})
    hidden.report(np.zeros_like(blink), samples_passed=False)
    assert hidden.skip(np.zeros_like(blink)) and hidden.skip(blink)  # a blink keeps it hidden
    assert not hidden.skip(jaw)
    for pose in (Pose(yaw=0.01), Pose(yaw=0.02), Pose(yaw=0.03)):  # closed: teeth skipped
        default_renderer.render(pose)
    opened = Pose(yaw=0.03, weights={"jawOpen": 0.6})
    with _renderer(default_avatar) as fresh:
        assert np.array_equal(default_renderer.render(opened), fresh.render(opened))
