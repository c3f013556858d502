"""Who the visitor is, and whether one is at the screen. Sans-IO: stream times passed in.

* :func:`choose_visitor` attends to one face: the one already followed while it stays in view
  (so two people are never mixed), else the nearest and most central one.
* :class:`PresenceTracker` is the arrive/leave state machine: a face large enough for
  ``present_after_ms`` → present; no such face for ``absent_after_ms`` → absent.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from engine.perception.observations import Box, FaceObservation, iou


def attention_score(face: FaceObservation, width: int, height: int) -> float:
    """Nearness × centrality in [0, 1]: face height over frame height (a nearer face is
    bigger), times 1 − the distance of its centre from the frame centre over the half
    diagonal."""
    cx, cy = face.centre
    off = math.hypot(cx - width / 2.0, cy - height / 2.0) / math.hypot(width / 2.0, height / 2.0)
    return (face.box[3] / height) * max(0.0, 1.0 - off)


def choose_visitor(
    faces: Sequence[FaceObservation],
    width: int,
    height: int,
    *,
    previous: Box | None = None,
    min_face_frac: float = 0.0,
    same_face_iou: float = 0.3,
) -> tuple[FaceObservation | None, bool]:
    """The face to attend to, and whether it is the one followed before.

    Args:
        faces: the frame's faces (boxes in pixels).
        width, height: frame size in pixels.
        previous: the followed face's last box, or None.
        min_face_frac: faces shorter than this fraction of the frame height are ignored.
        same_face_iou: box overlap (IoU) above which a face is the followed one.

    Returns:
        ``(face, same)``: the chosen face (None when no face qualifies) and True when it
        continues ``previous``.
    """
    near = [f for f in faces if f.box[3] >= min_face_frac * height]
    if not near:
        return None, False
    if previous is not None:
        overlap = max(near, key=lambda f: iou(f.box, previous))
        if iou(overlap.box, previous) >= same_face_iou:
            return overlap, True
    return max(near, key=lambda f: attention_score(f, width, height)), False


@dataclass(slots=True)
class PresenceTracker:
    """Visitor arrival/departure with dwell times (milliseconds of stream time).

    Args:
        present_after_ms: a face must stay this long before the visitor counts as present.
        absent_after_ms: no face this long and a present visitor counts as gone.
        gap_ms: a face missing for less than this does not restart the arrival dwell
            (a blink of the detector at 5 fps is one or two frames). Missing means analysed
            frames without it: a long interval between analysed frames (a busy CPU slows the
            analysis) is not a gap.
    """

    present_after_ms: int = 1000
    absent_after_ms: int = 5000
    gap_ms: int = 500
    present: bool = False
    _arrived_ms: int | None = None
    _last_seen_ms: int | None = None
    _gap: bool = False  # frames without a face for more than gap_ms since it was last seen

    def update(self, t_ms: int, face_seen: bool) -> bool | None:
        """Feed one frame; returns the new presence when it changes, else None."""
        if face_seen:
            gone = self._last_seen_ms is None or self._gap
            self._gap = False
            if gone and not self.present:
                self._arrived_ms = t_ms
            self._last_seen_ms = t_ms
            arrived = t_ms if self._arrived_ms is None else self._arrived_ms
            if not self.present and t_ms - arrived >= self.present_after_ms:
                self.present = True
                return True
            return None
        last = t_ms if self._last_seen_ms is None else self._last_seen_ms
        self._gap = self._gap or t_ms - last > self.gap_ms
        if self.present and t_ms - last >= self.absent_after_ms:
            self.present = False
            self._arrived_ms = None
            return False
        return None
