"""The default avatar as a third-party face model sees it (MediaPipe FaceLandmarker, the
``.task`` that ``dhe models`` unpacks): found in the speaking frames of a preview at 512×512 and
432×768 with every landmark in frame, its jaw following the voice, the neutral still neutral,
``happy`` a smile, ``concerned`` with the inner brows raised, blinks while idling, irises darker
than the sclera. Contact sheets of both framings are saved to test-artifacts/ for a human look.

The previews are made in-process by the same functions ``dhe avatar preview`` runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from avatar import EGLUnavailableError
from engine.avatar_preview import check_request, contact_sheet, run_preview
from engine.config import load_config
from engine.show import load_configured_avatar
from tests.conftest import egl_required, model_folder

TEXT = "Good morning. I can check your balance, freeze a lost card, or book an appointment."
FPS = 25


@dataclass(frozen=True, slots=True)
class Reading:
    """One image as the face model reads it: landmarks (478, 2) in pixels, blendshapes."""

    landmarks: np.ndarray
    blend: dict[str, float]
    inside: bool


def _preview(out: Path, **kw) -> Path:
    args = {
        "model": None,
        "emotion": "neutral",
        "gesture": None,
        "text": None,
        "lang": "en",
        "size": "512x512",
        "seconds": None,
        "sheet": False,
    }
    args.update(kw)
    with egl_required():
        return run_preview(check_request(out=str(out), **args), load_config())


class FaceModel:
    """MediaPipe FaceLandmarker over stills (IMAGE mode) or clips (VIDEO mode)."""

    def __init__(self, task: Path) -> None:
        from mediapipe.tasks.python import BaseOptions, vision

        self._vision, self._options = vision, BaseOptions(model_asset_path=str(task))

    def _landmarker(self, video: bool):
        v = self._vision
        mode = v.RunningMode.VIDEO if video else v.RunningMode.IMAGE
        options = v.FaceLandmarkerOptions(
            base_options=self._options,
            running_mode=mode,
            output_face_blendshapes=True,
            num_faces=1,
        )
        return v.FaceLandmarker.create_from_options(options)

    @staticmethod
    def _reading(result, width: int, height: int) -> Reading | None:
        if not result.face_landmarks:
            return None
        pts = np.array([(p.x, p.y) for p in result.face_landmarks[0]])
        inside = bool((pts >= 0).all() and (pts <= 1).all())
        blend = {b.category_name: b.score for b in result.face_blendshapes[0]}
        return Reading(pts * [width, height], blend, inside)

    def still(self, rgb: np.ndarray) -> Reading | None:
        import mediapipe as mp

        with self._landmarker(video=False) as lm:
            image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
            return self._reading(lm.detect(image), rgb.shape[1], rgb.shape[0])

    def clip(self, frames: list[np.ndarray]) -> list[Reading | None]:
        import mediapipe as mp

        out = []
        with self._landmarker(video=True) as lm:
            for i, rgb in enumerate(frames):
                image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
                result = lm.detect_for_video(image, int(i * 1000 / FPS))
                out.append(self._reading(result, rgb.shape[1], rgb.shape[0]))
        return out


def read_mp4(path: Path) -> tuple[list[np.ndarray], np.ndarray]:
    """Frames (RGB) and the audio's RMS per video frame (full scale 1.0, 48 kHz mono)."""
    with av.open(str(path)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    with av.open(str(path)) as container:
        audio = container.decode(audio=0)
        pcm = np.concatenate([f.to_ndarray().reshape(-1) for f in audio])  # AAC decodes to float
    hop = 48_000 // FPS
    n = min(len(frames), pcm.size // hop)
    rms = np.sqrt((pcm[: n * hop].reshape(n, hop).astype(np.float64) ** 2).mean(axis=1))
    return frames[:n], rms


def best_lag_r(x: np.ndarray, y: np.ndarray, max_lag: int) -> tuple[float, int]:
    """Highest Pearson r of ``y`` lagging ``x`` by −max_lag … +max_lag frames: (r, lag)."""
    best = (-1.0, 0)
    for lag in range(-max_lag, max_lag + 1):
        a, b = (x[: len(x) - lag], y[lag:]) if lag >= 0 else (x[-lag:], y[: len(y) + lag])
        if a.std() > 0 and b.std() > 0:
            best = max(best, (float(np.corrcoef(a, b)[0, 1]), lag))
    return best


@pytest.fixture(scope="module")
def face_model() -> FaceModel:
    return FaceModel(model_folder("mediapipe-face-landmarker") / "face_landmarker.task")


@pytest.fixture(scope="module")
def stills(tmp_path_factory, face_model) -> dict[str, tuple[np.ndarray, Reading | None]]:
    folder = tmp_path_factory.mktemp("stills")
    out = {}
    for emotion in ("neutral", "happy", "concerned"):
        rgb = np.asarray(Image.open(_preview(folder / f"{emotion}.png", emotion=emotion)))
        out[emotion] = (rgb, face_model.still(rgb))
    return out


@pytest.mark.parametrize("size", ["512x512", "432x768"])
def test_speaking_face_is_found_in_frame_and_its_jaw_follows_the_voice(
    tmp_path: Path, face_model: FaceModel, size: str
) -> None:
    frames, rms = read_mp4(_preview(tmp_path / "speak.mp4", text=TEXT, size=size))
    readings = face_model.clip(frames)
    speaking = rms > 0.01
    assert speaking.sum() > 2 * FPS  # seconds of speech
    seen = np.array([r is not None and r.inside for r in readings])
    assert seen[speaking].mean() >= 0.98
    jaw = np.array([r.blend["jawOpen"] if r is not None else 0.0 for r in readings])
    r, lag = best_lag_r(rms, jaw, max_lag=1)  # ±1 frame = ±40 ms at 25 fps
    assert r >= 0.4, (r, lag)
    assert jaw[speaking].mean() > 2 * jaw[~speaking].mean()


def test_stills_read_as_their_emotions(stills) -> None:
    readings = {e: r for e, (_, r) in stills.items()}
    assert all(r is not None and r.inside for r in readings.values())
    neutral = readings["neutral"].blend
    smile = (neutral["mouthSmileLeft"] + neutral["mouthSmileRight"]) / 2
    frown = (neutral["mouthFrownLeft"] + neutral["mouthFrownRight"]) / 2
    assert neutral["browInnerUp"] < 0.3 and smile < 0.3 and frown < 0.3, neutral
    happy = readings["happy"].blend
    # MediaPipe read 0.68 for the face a newcomer found no different from neutral (session
    # 15); the stronger smile reads 0.88
    assert (happy["mouthSmileLeft"] + happy["mouthSmileRight"]) / 2 >= 0.8, happy
    concerned = readings["concerned"].blend
    assert concerned["browInnerUp"] >= neutral["browInnerUp"] + 0.15


def test_irises_are_darker_than_the_sclera(stills) -> None:
    rgb, reading = stills["neutral"]
    lum = rgb.astype(np.float64) @ [0.2126, 0.7152, 0.0722]

    def at(p: np.ndarray) -> float:
        x, y = (round(float(c)) for c in p)
        return float(lum[y - 1 : y + 2, x - 1 : x + 2].mean())

    pts = reading.landmarks
    for iris, corner in ((468, 33), (473, 263)):  # iris centres; outer eye corners
        sclera = at(pts[iris] + 0.6 * (pts[corner] - pts[iris]))
        assert at(pts[iris]) <= 0.85 * sclera


def test_idle_preview_blinks(tmp_path: Path, face_model: FaceModel) -> None:
    frames, rms = read_mp4(_preview(tmp_path / "idle.mp4", seconds=12.0))
    assert len(frames) == 12 * FPS and rms.max() < 1e-3  # a silent track
    readings = face_model.clip(frames)
    assert all(r is not None for r in readings)
    closed = np.array(
        [(r.blend["eyeBlinkLeft"] + r.blend["eyeBlinkRight"]) / 2 > 0.5 for r in readings]
    )
    blinks = int((closed[1:] & ~closed[:-1]).sum())
    assert blinks >= 2


@pytest.mark.parametrize("size", [(512, 512), (432, 768)])
def test_contact_sheet_artifact(artifacts_dir: Path, size: tuple[int, int]) -> None:
    try:
        sheet = contact_sheet(load_configured_avatar(load_config().avatar), *size)
    except EGLUnavailableError as exc:
        pytest.skip(str(exc))
    sheet.save(artifacts_dir / f"avatar_sheet_{size[0]}x{size[1]}.png")
    tile_h = round(size[1] * 200 / size[0])
    assert sheet.width == 8 * 200 and sheet.height > 4 * tile_h
    assert np.asarray(sheet).std() > 30
