"""Finger states from the 21 hand landmarks: which fingers are straight, whatever the hand's
orientation. Sans-IO.

MediaPipe's canned classifier was trained on upright hands (its Open_Palm is a hand with the
fingers up); a visitor offering an open hand palm-forward with the fingers down reads as
"None" to it. Finger straightness is measured from joint angles in 3-D, so it does not depend
on how the hand is turned. Landmark order: MediaPipe Hands (0 wrist; thumb 1–4; index 5–8;
middle 9–12; ring 13–16; pinky 17–20; Zhang et al., "MediaPipe Hands", 2020).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FINGERS: dict[str, tuple[int, int, int, int]] = {
    "thumb": (1, 2, 3, 4),
    "index": (5, 6, 7, 8),
    "middle": (9, 10, 11, 12),
    "ring": (13, 14, 15, 16),
    "pinky": (17, 18, 19, 20),
}

#: Total bend (degrees, PIP + DIP) below which a finger counts as straight: a deliberately
#: extended finger bends well under this (under 25° on every open hand we measured), a
#: relaxed half-open one 35–55°, a curled one 150° or more.
STRAIGHT_BEND_DEG = 30.0
#: Thumb bend (CMC→MCP→IP→tip, degrees) below which the thumb is out rather than folded
#: across the palm (folded: 90° and more).
THUMB_BEND_DEG = 75.0
#: Thumb tip distance from the pinky knuckle over the palm width (index → pinky knuckle):
#: a thumb folded across the palm ends inside that width (ratio well under 1).
THUMB_OUT_RATIO = 0.85


def _angle_deg(u: np.ndarray, v: np.ndarray) -> float:
    nu, nv = np.linalg.norm(u), np.linalg.norm(v)
    if nu == 0 or nv == 0:
        return 0.0
    return float(np.degrees(np.arccos(np.clip(np.dot(u, v) / (nu * nv), -1.0, 1.0))))


@dataclass(frozen=True, slots=True)
class HandShape:
    """Bend per finger (degrees; 0 = straight) and how far the thumb stands out
    (:data:`THUMB_OUT_RATIO`)."""

    bend_deg: dict[str, float]
    thumb_out: float

    def straight(self, finger: str) -> bool:
        """True when ``finger`` is straight (thumb: out from the palm, not folded across it)."""
        if finger == "thumb":
            return self.bend_deg["thumb"] < THUMB_BEND_DEG and self.thumb_out >= THUMB_OUT_RATIO
        return self.bend_deg[finger] < STRAIGHT_BEND_DEG

    @property
    def open_palm(self) -> bool:
        """All five fingers straight: an open hand, whichever way it points."""
        return all(self.straight(f) for f in FINGERS)


def hand_shape(landmarks: np.ndarray, width: int, height: int) -> HandShape:
    """Finger bends of one hand.

    Args:
        landmarks: float ``(21, 3)``: x, y normalised to the frame, z on x's scale (MediaPipe).
        width, height: frame size in pixels (to undo the normalisation's aspect ratio).
    """
    p = np.asarray(landmarks, dtype=np.float64) * np.array([width, height, width])
    bends = {}
    for name, (a, b, c, d) in FINGERS.items():
        # Fingers: bend at PIP (b→c→…) and DIP; thumb: at MCP and IP (its a is the CMC).
        bends[name] = _angle_deg(p[b] - p[a], p[c] - p[b]) + _angle_deg(p[c] - p[b], p[d] - p[c])
    palm_width = float(np.linalg.norm(p[5] - p[17])) or 1.0
    return HandShape(bend_deg=bends, thumb_out=float(np.linalg.norm(p[4] - p[17])) / palm_width)
