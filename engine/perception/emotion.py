"""Facial expression → one of five emotions, from MediaPipe's ARKit-named blendshapes.

A rule, not a trained classifier. Each emotion is scored from the facial action units (AUs)
of its prototype in the Facial Action Coding System (Ekman, Friesen & Hager, *FACS Manual*,
2002; EMFACS prototypes as listed by Matsumoto & Ekman), each AU read from the ARKit
blendshape that moves the same muscles (Apple ARKit ``ARFaceAnchor.BlendShapeLocation``
descriptions; the same pairing the ICT FaceKit and MetaHuman rigs use):

========  =====================================  =================================================
emotion   FACS prototype                         score (blendshapes in [0, 1])
========  =====================================  =================================================
happy     AU6 + AU12 (cheek raiser, lip corner   AU12 · (1 − AU1) · (1 − AU43): a lip-corner pull
          puller)                                that is neither a "miserable smile" (with the
                                                 grief brow AU1, Ekman) nor made with the eyes
                                                 shut (crying and laughing look alike then)
surprised AU1 + AU2 + AU5 + AU26                 max(AU1, AU2) · max(AU5, AU26): raised brows
                                                 with widened eyes or a dropped jaw
sad       AU1 + AU4 + AU15 (+AU17)               max(AU1 · (1 − AU2) · (1 − AU26), AU15): the
                                                 inner brow raised without the outer brow and
                                                 without a jaw drop (those two mark surprise),
                                                 or the lip corners pulled down
angry     AU4 + AU5 + AU7 + AU23/24 (anger);     AU4 · max(AU7, AU9, AU10, AU23/24): lowered brows
          AU9 / AU10 (disgust)                   with tightened lids, a wrinkled nose or pressed
                                                 lips; frustration and disgust count as angry
neutral   no AU                                  1 − the largest of the four scores above
========  =====================================  =================================================

AU ↔ blendshape: AU1 browInnerUp, AU2 browOuterUp{Left,Right}, AU4 browDown*, AU5 eyeWide*,
AU6 cheekSquint*, AU7 eyeSquint*, AU9 noseSneer*, AU10 mouthUpperUp*, AU12 mouthSmile*,
AU15 mouthFrown*, AU23/24 mouthPress*, AU26 jawOpen, AU43 eyeBlink* (left/right averaged).

Products read as "both AUs present" (a probabilistic AND); an emotion is shown when its score
reaches :data:`SHOW_THRESHOLD`, two AUs at FACS intensity "marked" (C, about 0.45) each.
Live and in video the scores are averaged over a window and a change must hold before it is
reported (:class:`EmotionSmoother`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field

EMOTIONS: tuple[str, ...] = ("neutral", "happy", "surprised", "sad", "angry")

#: Score an emotion must reach to be shown rather than ``neutral`` (see module docstring).
SHOW_THRESHOLD = 0.2


def _au(shapes: Mapping[str, float], *names: str) -> float:
    """Mean score of the named blendshapes (0 when absent)."""
    return sum(float(shapes.get(n, 0.0)) for n in names) / len(names)


def action_units(shapes: Mapping[str, float]) -> dict[str, float]:
    """FACS action-unit intensities in [0, 1] read from ARKit blendshape scores."""
    return {
        "AU1": _au(shapes, "browInnerUp"),
        "AU2": _au(shapes, "browOuterUpLeft", "browOuterUpRight"),
        "AU4": _au(shapes, "browDownLeft", "browDownRight"),
        "AU5": _au(shapes, "eyeWideLeft", "eyeWideRight"),
        "AU7": _au(shapes, "eyeSquintLeft", "eyeSquintRight"),
        "AU9": _au(shapes, "noseSneerLeft", "noseSneerRight"),
        "AU10": _au(shapes, "mouthUpperUpLeft", "mouthUpperUpRight"),
        "AU12": _au(shapes, "mouthSmileLeft", "mouthSmileRight"),
        "AU15": _au(shapes, "mouthFrownLeft", "mouthFrownRight"),
        "AU24": _au(shapes, "mouthPressLeft", "mouthPressRight"),
        "AU26": _au(shapes, "jawOpen"),
        "AU43": _au(shapes, "eyeBlinkLeft", "eyeBlinkRight"),
    }


def emotion_scores(shapes: Mapping[str, float]) -> dict[str, float]:
    """Per-emotion scores in [0, 1] for one face (keys: :data:`EMOTIONS`)."""
    au = action_units(shapes)
    scores = {
        "happy": au["AU12"] * (1.0 - au["AU1"]) * (1.0 - au["AU43"]),
        "surprised": max(au["AU1"], au["AU2"]) * max(au["AU5"], au["AU26"]),
        "sad": max(au["AU1"] * (1.0 - au["AU2"]) * (1.0 - au["AU26"]), au["AU15"]),
        "angry": au["AU4"] * max(au["AU7"], au["AU9"], au["AU10"], au["AU24"]),
    }
    scores["neutral"] = 1.0 - max(scores.values())
    return {name: round(scores[name], 4) for name in EMOTIONS}


def decide(scores: Mapping[str, float], threshold: float = SHOW_THRESHOLD) -> tuple[str, float]:
    """The shown emotion and its score: the strongest non-neutral one at ``threshold`` or more,
    else ``neutral``."""
    name = max(EMOTIONS[1:], key=lambda e: scores[e])
    if scores[name] >= threshold:
        return name, float(scores[name])
    return "neutral", float(scores["neutral"])


@dataclass(slots=True)
class EmotionSmoother:
    """Scores averaged over a sliding window; a new emotion is reported once it has led the
    average for ``hold_ms``. Sans-IO: times are the frames' stream times.

    Args:
        window_ms: averaging window (default 1000 ms: expressions last 0.5–4 s, Ekman 2003).
        hold_ms: how long a new leader must lead before it is reported.
        threshold: :data:`SHOW_THRESHOLD`.
    """

    window_ms: int = 1000
    hold_ms: int = 500
    threshold: float = SHOW_THRESHOLD
    _frames: deque[tuple[int, dict[str, float]]] = field(default_factory=deque)
    _current: str | None = None
    _candidate: str | None = None
    _since_ms: int = 0

    @property
    def current(self) -> str | None:
        """The last reported emotion (None before the first)."""
        return self._current

    def reset(self) -> None:
        """Forget everything (the visitor changed or left)."""
        self._frames.clear()
        self._current = self._candidate = None

    def push(
        self, t_ms: int, scores: Mapping[str, float], *, report: bool = True
    ) -> tuple[str, float] | None:
        """Add one frame's scores; returns ``(emotion, score)`` when the reported emotion
        changes, else None. With ``report=False`` the frame only fills the window (the face is
        seen but the visitor does not count as present yet)."""
        self._frames.append((t_ms, dict(scores)))
        while self._frames and self._frames[0][0] <= t_ms - self.window_ms:
            self._frames.popleft()
        mean = {e: sum(s[e] for _, s in self._frames) / len(self._frames) for e in EMOTIONS}
        leader, score = decide(mean, self.threshold)
        if leader == self._current:
            self._candidate = None
            return None
        if leader != self._candidate:
            self._candidate, self._since_ms = leader, t_ms
        if report and t_ms - self._since_ms >= self.hold_ms:
            self._current, self._candidate = leader, None
            return leader, round(score, 3)
        return None
