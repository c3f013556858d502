"""``dhe avatar preview``: the MP4 and PNG contracts, and every bad input as one line, exit 2,
nothing written. (What a face model sees in these previews: test_avatar_seen.py.)"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from engine.cli import main
from tests.conftest import egl_required


@pytest.fixture(scope="module", autouse=True)
def _needs_egl():
    from avatar import DEFAULT_AVATAR_PATH, Renderer, load_avatar

    with egl_required():
        Renderer(load_avatar(DEFAULT_AVATAR_PATH), 64, 64).close()


def test_idle_video_is_h264_aac_25fps_with_a_silent_track(tmp_path: Path, capsys) -> None:
    out = tmp_path / "idle.mp4"
    assert (
        main(["avatar", "preview", "--seconds", "1.2", "--size", "256x320", "--out", str(out)]) == 0
    )
    assert capsys.readouterr().out.strip() == str(out)
    with av.open(str(out)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert video.codec_context.name == "h264" and audio.codec_context.name == "aac"
        assert float(video.average_rate) == 25.0
        assert (video.codec_context.width, video.codec_context.height) == (256, 320)
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video)]
    assert len(frames) == 30
    with av.open(str(out)) as container:
        pcm = np.concatenate([f.to_ndarray().ravel() for f in container.decode(audio=0)])
    assert pcm.size >= 0.9 * 1.2 * 48_000 and np.abs(pcm).max() < 1e-3  # silent, present
    assert frames[0].std() > 20  # an avatar, not a blank frame
    assert not list(tmp_path.glob("*.partial"))


def test_png_still_of_an_emotion(tmp_path: Path) -> None:
    neutral, happy = tmp_path / "neutral.png", tmp_path / "happy.png"
    assert main(["avatar", "preview", "--out", str(neutral)]) == 0
    assert (
        main(["avatar", "preview", "--emotion", "happy", "--gesture", "nod", "--out", str(happy)])
        == 0
    )
    a, b = (np.asarray(Image.open(p)) for p in (neutral, happy))
    assert a.shape == b.shape == (512, 512, 3)
    assert np.abs(a.astype(int) - b.astype(int)).max() > 40  # the face changed
    # --lang zh: the AI mark and the name badge in Chinese (both stayed English), the rest of
    # the frame as is
    from avatar.label import DEFAULT_LABELS, CornerLabel

    chinese = tmp_path / "zh.png"
    assert main(["avatar", "preview", "--lang", "zh", "--out", str(chinese)]) == 0
    zh = np.asarray(Image.open(chinese)).astype(int)
    label = CornerLabel(DEFAULT_LABELS, 512, 512)
    x, y, _, _ = label.box
    label.set_language("zh")
    x, y = min(x, label.box[0]), min(y, label.box[1])
    corner = np.zeros(zh.shape[:2], bool)
    corner[y:, x:] = True
    diff = np.abs(zh - a.astype(int)).max(axis=2)
    assert diff[corner].max() > 100
    ys, xs = np.nonzero((diff > 2) & ~corner)  # elsewhere: the badge on the jacket only
    assert ys.size and diff[ys, xs].max() > 100
    assert (xs.max() - xs.min()) * (ys.max() - ys.min()) < 0.02 * 512 * 512
    assert ys.min() > 512 * 0.6  # below the face


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--emotion", "angry"], "--emotion angry: unknown"),
        (["--gesture", "moonwalk"], "--gesture moonwalk: unknown"),
        (["--size", "513x512"], "--size 513x512"),
        (["--size", "huge"], "--size huge"),
        (["--seconds", "0"], "--seconds 0"),
        (["--lang", "fr"], "--lang fr"),
        (["--sheet"], "--sheet writes a .png"),
        (["--text", "hello"], "--text is spoken into a video"),
        (["--model", "MISSING.glb"], "--model MISSING.glb: no such file"),
        (["--model", "NOT_GLTF.glb"], "--model: not a glTF 2.0 / VRM file"),
    ],
)
def test_bad_input_is_one_line_exit_2_nothing_written(
    tmp_path: Path, capsys, args: list[str], message: str
) -> None:
    (tmp_path / "NOT_GLTF.glb").write_bytes(b"\x89PNG not a model")
    args = [a.replace("MISSING.glb", str(tmp_path / "MISSING.glb")) for a in args]
    args = [a.replace("NOT_GLTF.glb", str(tmp_path / "NOT_GLTF.glb")) for a in args]
    out = tmp_path / ("x.png" if "--text" in args else "x.mp4")
    if "--text" not in args and "--sheet" not in args:
        out = tmp_path / "x.png"
    assert main(["avatar", "preview", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err.replace(str(tmp_path) + "/", "")
    assert err.count("\n") == 1 and message in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["NOT_GLTF.glb"]


@pytest.mark.parametrize("out", ["x.gif", "missing/x.png", "."])
def test_bad_outputs(tmp_path: Path, capsys, out: str) -> None:
    assert main(["avatar", "preview", "--out", str(tmp_path / out)]) == 2
    assert "--out" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_badge_colour_is_validated_in_config(tmp_path: Path) -> None:
    from engine.config import ConfigError, load_config

    bad = tmp_path / "bad.yaml"
    bad.write_text("avatar:\n  badge:\n    text: Ava\n    color: navy\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(bad)
    assert any(p.startswith("avatar.badge.color") for p in err.value.problems)
    good = tmp_path / "good.yaml"
    good.write_text("avatar:\n  badge: {text: 小安, color: '#b8122b'}\n", encoding="utf-8")
    assert load_config(good).avatar.badge.text == "小安"
