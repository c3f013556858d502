"""The MediaPipe Tasks adapter: an RGB frame in, a :class:`FrameObservation` out.

Runs MediaPipe's FaceLandmarker (478 landmarks + 52 blendshapes) and its GestureRecognizer
with the canned 7-gesture head (:mod:`engine.perception.canned`) on CPU. Blocking: callers on
an event loop run it on a worker thread (:mod:`engine.perception.worker`). One instance per
stream: in ``video`` mode MediaPipe tracks between frames and needs rising timestamps.
MediaPipe's native log lines at creation (with a blank warm-up frame) and close go to DEBUG
(:mod:`engine.perception.native_log`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import mediapipe as mp
import numpy as np
from mediapipe.tasks.python import BaseOptions, vision

from engine.perception.canned import BundleError, canned_bundle
from engine.perception.native_log import native_stderr_as_log
from engine.perception.observations import (
    Box,
    FaceObservation,
    FrameObservation,
    HandObservation,
    iou,
)

FACE_MODEL = "mediapipe-face-landmarker"
GESTURE_MODEL = "mediapipe-gesture-recognizer"

Mode = Literal["image", "video"]

#: Overlapping tiles (x, y, w, h as fractions of the frame) searched again in still images:
#: FaceLandmarker's short-range detector sees a 128×128 copy of the frame and misses faces
#: smaller than about a tenth of it (MediaPipe BlazeFace short-range model card: faces within
#: 2 m of a phone camera); a tile makes a small face three times bigger to it.
_TILES: tuple[tuple[float, float, float, float], ...] = tuple(
    (x, y, 0.4, 0.4) for y in (0.0, 0.3, 0.6) for x in (0.0, 0.3, 0.6)
)


#: The graphs' clock runs this far ahead of the caller's stream time (ms), so that the blank
#: warm-up frame at graph time 0 comes before a first frame at stream time 0 (video mode wants
#: rising timestamps); a constant shift changes no interval the tracking sees.
_WARM_UP_SHIFT_MS = 1


class PerceptionModelError(Exception):
    """A model file is missing or unusable (the message names it and the fix)."""


@dataclass(frozen=True, slots=True)
class ModelPaths:
    """The two MediaPipe task files."""

    face: Path
    gesture: Path

    @classmethod
    def from_models_dir(cls, root: Path | None = None) -> ModelPaths:
        """The files ``dhe models perception`` unpacks (``<models dir>/<name>/…``)."""
        from engine.models import models_dir

        base = root or models_dir()
        return cls(
            face=base / FACE_MODEL / "face_landmarker.task",
            gesture=base / GESTURE_MODEL / "gesture_recognizer.task",
        )


def _box_of(points: np.ndarray, width: int, height: int) -> Box:
    """Extent of normalised ``points`` (n, 2), clipped to the frame, in pixels."""
    x0, y0 = np.clip(points.min(axis=0), 0.0, 1.0)
    x1, y1 = np.clip(points.max(axis=0), 0.0, 1.0)
    return (
        float(x0 * width),
        float(y0 * height),
        float((x1 - x0) * width),
        float((y1 - y0) * height),
    )


class MediaPipePerception:
    """FaceLandmarker + canned GestureRecognizer on RGB frames.

    Args:
        paths: the task files (default: the unpacked models).
        mode: ``"video"`` for a stream (tracking; timestamps must rise), ``"image"`` for stills
            (each frame alone; small faces are searched again in tiles).
        max_faces: faces reported per frame. max_hands: hands reported per frame.

    Raises:
        PerceptionModelError: a task file is missing or not a usable MediaPipe bundle.
    """

    def __init__(
        self,
        paths: ModelPaths | None = None,
        *,
        mode: Mode = "video",
        max_faces: int = 4,
        max_hands: int = 2,
    ) -> None:
        paths = paths or ModelPaths.from_models_dir()
        for path in (paths.face, paths.gesture):
            if not path.is_file():
                raise PerceptionModelError(f"{path}: missing (run `dhe models perception`)")
        try:
            gesture_bytes = canned_bundle(paths.gesture)
        except BundleError as exc:
            raise PerceptionModelError(str(exc)) from exc
        self.mode: Mode = mode
        running = vision.RunningMode.VIDEO if mode == "video" else vision.RunningMode.IMAGE
        # MediaPipe's C++ logs ~25 lines to fd 2 per pair of models, some from the graphs'
        # threads while they start and some on their first frame: held to DEBUG until a blank
        # warm-up frame has gone through both graphs (then every calculator has started)
        with native_stderr_as_log():
            self._faces = vision.FaceLandmarker.create_from_options(
                vision.FaceLandmarkerOptions(
                    base_options=BaseOptions(model_asset_path=str(paths.face)),
                    running_mode=running,
                    num_faces=max_faces,
                    output_face_blendshapes=True,
                )
            )
            self._hands = vision.GestureRecognizer.create_from_options(
                vision.GestureRecognizerOptions(
                    base_options=BaseOptions(model_asset_buffer=gesture_bytes),
                    running_mode=running,
                    num_hands=max_hands,
                )
            )
            blank = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.zeros((64, 64, 3), np.uint8))
            self.observe_faces(blank, -_WARM_UP_SHIFT_MS)
            self.observe_hands(blank, -_WARM_UP_SHIFT_MS)

    def close(self) -> None:
        """Release the MediaPipe graphs (idempotent)."""
        with native_stderr_as_log():
            for task in (self._faces, self._hands):
                task.close()

    def __enter__(self) -> MediaPipePerception:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def observe(self, rgb: np.ndarray, t_ms: int = 0) -> FrameObservation:
        """Run both models on one frame.

        Args:
            rgb: uint8 ``(H, W, 3)`` RGB pixels (not kept).
            t_ms: stream time in milliseconds (must rise in ``video`` mode).
        """
        height, width = rgb.shape[:2]
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        faces = self.observe_faces(image, t_ms)
        if self.mode == "image":
            faces = self._add_tiled_faces(rgb, faces)
        return FrameObservation(
            t_ms=t_ms,
            width=width,
            height=height,
            faces=faces,
            hands=self.observe_hands(image, t_ms),
        )

    def observe_faces(self, image: mp.Image, t_ms: int = 0) -> tuple[FaceObservation, ...]:
        """Faces in ``image`` with boxes in its pixels."""
        if self.mode == "video":
            result = self._faces.detect_for_video(image, t_ms + _WARM_UP_SHIFT_MS)
        else:
            result = self._faces.detect(image)
        out = []
        for landmarks, shapes in zip(result.face_landmarks, result.face_blendshapes, strict=True):
            points = np.array([(p.x, p.y) for p in landmarks], dtype=np.float32)
            box = _box_of(points, image.width, image.height)
            gap = float(np.linalg.norm(points[13] - points[14]) * image.height) / max(box[3], 1.0)
            out.append(
                FaceObservation(
                    box=box,
                    blendshapes={c.category_name: float(c.score) for c in shapes},
                    lip_gap=gap,
                )
            )
        return tuple(out)

    def observe_hands(self, image: mp.Image, t_ms: int = 0) -> tuple[HandObservation, ...]:
        """Hands in ``image`` with the canned gesture of each."""
        if self.mode == "video":
            result = self._hands.recognize_for_video(image, t_ms + _WARM_UP_SHIFT_MS)
        else:
            result = self._hands.recognize(image)
        out = []
        for landmarks, handed, gestures in zip(
            result.hand_landmarks, result.handedness, result.gestures, strict=True
        ):
            top = gestures[0] if gestures else None
            out.append(
                HandObservation(
                    landmarks=np.array([(p.x, p.y, p.z) for p in landmarks], dtype=np.float32),
                    hand=handed[0].category_name if handed else "Unknown",
                    gesture=(top.category_name or "None") if top else "None",
                    score=float(top.score) if top else 0.0,
                )
            )
        return tuple(out)

    def _add_tiled_faces(
        self, rgb: np.ndarray, faces: tuple[FaceObservation, ...]
    ) -> tuple[FaceObservation, ...]:
        """Search overlapping tiles for faces too small for the full-frame detector."""
        height, width = rgb.shape[:2]
        found = list(faces)
        for fx, fy, fw, fh in _TILES:
            x0, y0 = int(fx * width), int(fy * height)
            tile = rgb[y0 : y0 + int(fh * height), x0 : x0 + int(fw * width)]
            image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(tile))
            for face in self.observe_faces(image):
                x, y, w, h = face.box
                moved = FaceObservation(
                    box=(x + x0, y + y0, w, h), blendshapes=face.blendshapes, lip_gap=face.lip_gap
                )
                if all(iou(moved.box, f.box) < 0.3 for f in found):
                    found.append(moved)
        return tuple(found)
