"""Is the voice the microphone hears the visitor's? Mouth movement vs voice activity. Sans-IO.

Speech counts as the visitor's when, over the same window, the voice activity detector hears
speech and the visitor's lips move. Lip movement is the spread (standard deviation) of the
inner-lip gap (FaceMesh landmarks 13–14) over face height: articulation opens and closes the
lips by several percent of face height several times a second (syllable rate 4–5 Hz), while a
still face — closed or resting open — varies by landmark jitter only, a few tenths of a percent.
Audio-visual agreement of this kind is the basis of active-speaker detection (e.g. Chung &
Zisserman, "Out of time: automated lip sync in the wild", 2016); this is its simplest form.
"""

from __future__ import annotations

import statistics
from collections import deque
from dataclasses import dataclass, field

#: Lip-gap standard deviation (fraction of face height) at which the lips count as moving.
MIN_LIP_MOTION = 0.01


@dataclass(frozen=True, slots=True)
class SpeakerDecision:
    """``visitor_speaking`` with a score in [0, 1]: lip motion (relative to
    :data:`MIN_LIP_MOTION`, capped at 1) times the mean speech probability of the window."""

    visitor_speaking: bool
    score: float
    lip_motion: float
    speech_prob: float


@dataclass(slots=True)
class SpeakerChecker:
    """Rolling windows of lip gaps (per video frame) and VAD probabilities (per audio chunk).

    Args:
        window_ms: both signals are judged over this much recent stream time.
        vad_threshold: speech probability (Silero) that counts as speech.
        min_lip_motion: :data:`MIN_LIP_MOTION`.
        min_face_frames: fewer face frames than this in the window → no decision.
    """

    window_ms: int = 1000
    vad_threshold: float = 0.5
    min_lip_motion: float = MIN_LIP_MOTION
    min_face_frames: int = 3
    _lips: deque[tuple[int, float]] = field(default_factory=deque)
    _vad: deque[tuple[int, float]] = field(default_factory=deque)

    def reset(self) -> None:
        """Forget both signals (the visitor changed)."""
        self._lips.clear()
        self._vad.clear()

    def push_face(self, t_ms: int, lip_gap: float) -> None:
        """One video frame's lip gap of the visitor's face (fraction of face height)."""
        self._lips.append((t_ms, lip_gap))

    def push_vad(self, t_ms: int, speech_prob: float) -> None:
        """One audio chunk's speech probability in [0, 1], at its stream time."""
        self._vad.append((t_ms, speech_prob))

    def check(self, t_ms: int) -> SpeakerDecision | None:
        """The decision for the window ending at ``t_ms``; None when the face was not seen in
        enough frames to judge (no camera, or nobody in view: nothing to gate on)."""
        for queue in (self._lips, self._vad):
            while queue and queue[0][0] < t_ms - self.window_ms:
                queue.popleft()
        if len(self._lips) < self.min_face_frames:
            return None
        motion = statistics.pstdev(g for _, g in self._lips)
        probs = [p for _, p in self._vad]
        speech = sum(probs) / len(probs) if probs else 0.0
        heard = any(p >= self.vad_threshold for p in probs)
        moving = motion >= self.min_lip_motion
        score = min(1.0, motion / self.min_lip_motion) * speech
        return SpeakerDecision(
            heard and moving, round(score, 3), round(motion, 4), round(speech, 3)
        )
