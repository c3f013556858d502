"""What one camera frame shows, as plain data: the models' output, before any decision.

The MediaPipe adapter (:mod:`engine.perception.mediapipe_models`) fills these; the sans-IO
cores (presence, emotion, gestures, speaker check) read them. No pixels are kept: a frame
becomes boxes, blendshape scores and landmarks, then is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: Face box ``(x, y, w, h)`` in pixels of the analysed frame (top-left origin).
Box = tuple[float, float, float, float]


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes (0 when disjoint, 1 when equal)."""
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    ix = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = ix * iy
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


@dataclass(frozen=True, slots=True)
class FaceObservation:
    """One face found by the FaceLandmarker.

    Attributes:
        box: ``(x, y, w, h)`` pixels, the extent of the 478 landmarks.
        blendshapes: the 52 ARKit-named blendshape scores in [0, 1] (``jawOpen`` …).
        lip_gap: inner-lip opening (landmarks 13–14) over face height, dimensionless.
    """

    box: Box
    blendshapes: dict[str, float]
    lip_gap: float = 0.0

    @property
    def centre(self) -> tuple[float, float]:
        """Box centre in pixels."""
        x, y, w, h = self.box
        return x + w / 2.0, y + h / 2.0


@dataclass(frozen=True, slots=True)
class HandObservation:
    """One hand found by the hand landmarker, with the canned classifier's verdict.

    Attributes:
        landmarks: float32 ``(21, 3)``: x, y normalised to frame width/height, z relative
            depth (MediaPipe hand landmark order: 0 wrist, 4 thumb tip, 8 index tip …).
        hand: ``"Left"`` or ``"Right"`` as MediaPipe's handedness reports it.
        gesture: a canned gesture name (``"None"`` when no canned gesture matched).
        score: the classifier's score for ``gesture``, in [0, 1].
    """

    landmarks: np.ndarray
    hand: str
    gesture: str
    score: float

    @property
    def wrist_x(self) -> float:
        """Wrist x, normalised to frame width."""
        return float(self.landmarks[0, 0])

    @property
    def width(self) -> float:
        """Hand extent along x, normalised to frame width."""
        return float(np.ptp(self.landmarks[:, 0]))


@dataclass(frozen=True, slots=True)
class FrameObservation:
    """Everything the models saw in one frame at ``t_ms`` (stream time, milliseconds)."""

    t_ms: int
    width: int
    height: int
    faces: tuple[FaceObservation, ...] = ()
    hands: tuple[HandObservation, ...] = field(default=())
