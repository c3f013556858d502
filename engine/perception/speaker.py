"""Is the voice the microphone hears the visitor's? Mouth movement vs voice activity. Sans-IO.

Speech counts as the visitor's when, over the same window, the voice activity detector hears
speech and the visitor's lips move. Lip movement is the spread (standard deviation) of the
inner-lip gap (FaceMesh landmarks 13–14) over face height: articulation opens and closes the
lips by several percent of face height several times a second (syllable rate 4–5 Hz), while a
still face — closed or resting open — varies by landmark jitter only, a few tenths of a percent.
Audio-visual agreement of this kind is the basis of active-speaker detection (e.g. Chung &
Zisserman, "Out of time: automated lip sync in the wild", 2016); this is its simplest form.

:class:`SpeakerChecker` judges a rolling window (VAD probabilities and lip gaps);
:class:`SpeakerGate` judges one speech onset the VAD confirmed — the live session asks it
before a turn starts, so a passer-by talking behind the visitor does not start one.
"""

from __future__ import annotations

import statistics
from collections import deque
from dataclasses import dataclass, field
from typing import Literal

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


Verdict = Literal["admit", "refuse", "wait"]


@dataclass(frozen=True, slots=True)
class GateDecision:
    """What :meth:`SpeakerGate.judge` says about one speech onset.

    Attributes:
        verdict: ``admit`` (the visitor's speech: start the turn), ``refuse`` (someone
            else's: drop it) or ``wait`` (the video analysed so far does not cover the onset
            yet: ask again after the next frame).
        reason: why, in words for logs and tests (``no camera``, ``lips move`` …).
        score: lip motion relative to :data:`MIN_LIP_MOTION`, capped at 1 (1.0 when the gate
            does not judge lips: no camera, face not seen).
    """

    verdict: Verdict
    reason: str
    score: float = 1.0


@dataclass(slots=True)
class SpeakerGate:
    """Whether a speech onset the VAD confirmed is the visitor's. Sans-IO: times are seconds
    on one clock shared by the audio and the video (the event loop's, at arrival).

    The camera's view decides only while it is watching (frames analysed within ``stale_s``):

    * nobody at the screen (presence not established) → refuse: speech counts as the
      visitor's only while a visitor is there;
    * the visitor's face seen in at least ``min_face_frames`` frames around the onset → admit
      when the inner-lip gap varies by :data:`MIN_LIP_MOTION` or more (their lips move with
      the voice, :class:`SpeakerChecker`'s measure), else refuse;
    * the visitor present but their face not seen (turned away) → admit: nothing to judge by.

    Video is analysed a few frames per second and arrives late by its analysis time, so the
    frames that show the first syllable exist only some time after the VAD confirmed the
    onset: until a frame from ``cover_s`` after the onset has been analysed, and the window
    holds ``min_face_frames`` frames showing the face (fewer frames are analysed per second on
    a busy CPU, and the detector misses a face now and then), the answer is ``wait`` — at most
    :meth:`wait_limit_s` after the onset (``max_wait_s``, longer while frames are analysed
    slowly); then the frames there decide.

    Args:
        before_s: lip frames from this long before the onset are part of the window (the
            mouth opens just before the voice starts).
        cover_s: the window reaches this long past the onset: one syllable cycle (≈ 250 ms at
            the 4–5 Hz syllable rate of speech) plus one frame interval at the slowest
            analysis rate (200 ms at 5 fps), so the lips are seen opening and closing.
        max_wait_s: the wait for video after the onset at a normal analysis rate (a stalled
            camera must not hold a turn).
        max_wait_cap_s: the longest wait on a busy CPU (:meth:`wait_limit_s`).
        stale_s: no frame analysed for this long (under 0.5 fps): the camera is not watching,
            every onset is admitted.
        min_face_frames: fewer face frames than this in the window → the face is not judged.
        min_lip_motion: :data:`MIN_LIP_MOTION`.
    """

    before_s: float = 0.3
    cover_s: float = 0.45
    max_wait_s: float = 1.2
    max_wait_cap_s: float = 3.0
    stale_s: float = 2.0
    min_face_frames: int = 3
    min_lip_motion: float = MIN_LIP_MOTION
    present: bool = False
    _frames: deque[tuple[float, float | None]] = field(default_factory=deque)

    def reset(self) -> None:
        """Forget the video (consent withdrawn, camera gone): onsets are admitted again."""
        self._frames.clear()
        self.present = False

    def frame(self, t_s: float, lip_gap: float | None) -> None:
        """One analysed frame that arrived at ``t_s``: the visitor's inner-lip gap (fraction of
        face height), or None when the visitor's face is not in it."""
        self._frames.append((t_s, lip_gap))
        while self._frames and self._frames[0][0] < t_s - 10.0:
            self._frames.popleft()

    def wait_limit_s(self) -> float:
        """How long (s) an onset may wait for video: long enough for ``min_face_frames``
        frames past ``cover_s`` at the recent analysis interval (mean of the last 5 intervals),
        at least ``max_wait_s`` and at most ``max_wait_cap_s``. On a busy CPU (2 fps) the fixed
        wait would end before three frames exist and every onset would pass unjudged."""
        times = [t for t, _ in self._frames][-6:]
        if len(times) < 2:
            return self.max_wait_s
        interval = (times[-1] - times[0]) / (len(times) - 1)
        wanted = self.min_face_frames * interval + self.cover_s
        return min(self.max_wait_cap_s, max(self.max_wait_s, wanted))

    @property
    def newest_s(self) -> float | None:
        """Arrival time of the newest analysed frame (None before the first)."""
        return self._frames[-1][0] if self._frames else None

    def judge(self, onset_s: float, now_s: float, *, final: bool = False) -> GateDecision:
        """The decision for speech that began at ``onset_s``, asked at ``now_s``.

        Args:
            onset_s: when the speech began (arrival time of its first sample).
            now_s: now.
            final: the speech already ended: decide with the frames there are (never wait).
        """
        newest = self.newest_s
        if newest is None or now_s - newest > self.stale_s:
            return GateDecision("admit", "no camera")
        if not self.present:
            return GateDecision("refuse", "nobody at the screen", 0.0)
        window = [g for t, g in self._frames if t >= onset_s - self.before_s]
        gaps = [g for g in window if g is not None]
        covered = newest >= onset_s + self.cover_s and len(gaps) >= self.min_face_frames
        if not (covered or final or now_s - onset_s >= self.wait_limit_s()):
            return GateDecision("wait", "video behind the audio")
        if len(gaps) < self.min_face_frames:
            return GateDecision("admit", f"face not seen ({len(gaps)} of {len(window)} frames)")
        motion = statistics.pstdev(gaps)
        score = round(min(1.0, motion / self.min_lip_motion), 3)
        if motion >= self.min_lip_motion:
            return GateDecision("admit", "lips move", score)
        return GateDecision("refuse", "lips still", score)
