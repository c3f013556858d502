"""The avatar timeline: speech visemes, emotion, listening, gestures, blinks and idle motion on
one session media clock (samples), evaluated as :class:`~avatar.pose.Pose` at any sample.

Sans-IO and deterministic: no clocks or threads; the same calls give the same poses.

Coarticulation: each viseme cue is a trapezoid envelope whose edges are smoothstep ramps
``crossfade_ms`` wide centred on the cue boundaries, so neighbouring visemes crossfade (their
envelopes sum to 1 across a shared boundary) and cues shorter than the ramp never reach full
weight (short phonemes are under-articulated). This is the dominance-blending idea of Cohen &
Massaro (1993, "Modeling coarticulation in synthetic visual speech") reduced to fixed-width
linear-phase ramps, like the crossfades of Oculus Lipsync's smoothing; 60 ms sits in the
40–80 ms range of visible lip transitions. Silence (``sil``) contributes no mouth shape, so the
mouth relaxes to closed (``jawOpen`` 0) between phrases.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from avatar.expressions import (
    EMOTIONS,
    GESTURES,
    LISTENING,
    VISEME_TO_ARKIT,
    BlinkSchedule,
    Expression,
    gesture_motion,
    idle_motion,
)
from avatar.pose import Pose
from avatar.visemes import OCULUS_VISEMES, VisemeTrack


class UnknownEmotionError(ValueError):
    """``set_emotion`` got a name outside :data:`avatar.expressions.EMOTIONS`."""


#: Dialog gesture names → the head gestures that play them.
GESTURE_ALIASES: dict[str, str] = {"wave": "greet", "point-to-screen": "point_to_screen"}


class UnknownGestureError(ValueError):
    """``gesture`` got a name outside :data:`avatar.expressions.GESTURES`."""


@dataclass(frozen=True, slots=True)
class _Cue:
    start: int  # session samples
    end: int
    viseme: str


def _at(entry: tuple) -> int:
    return entry[0]


def _smooth(x: float) -> float:
    x = min(max(x, 0.0), 1.0)
    return x * x * (3 - 2 * x)


class AvatarTimeline:
    """Schedules what the face does and answers :meth:`pose_at`.

    Args:
        sample_rate: Hz of the session media clock (e.g. 48000).
        seed: blink schedule seed.
        blink: enable spontaneous blinks.
        idle: enable idle head sway / breathing.
        crossfade_ms: width of the viseme crossfade ramps.
        emotion_ms: duration of an emotion change.
        listening_ms: duration of entering/leaving the listening face.

    Raises:
        ValueError: a non-positive sample rate or negative durations.
    """

    def __init__(
        self,
        sample_rate: int,
        *,
        seed: int = 0,
        blink: bool = True,
        idle: bool = True,
        crossfade_ms: float = 60.0,
        emotion_ms: float = 300.0,
        listening_ms: float = 250.0,
    ) -> None:
        if sample_rate <= 0:
            raise ValueError(f"sample_rate must be positive, got {sample_rate}")
        if min(crossfade_ms, emotion_ms, listening_ms) < 0:
            raise ValueError("durations must be >= 0")
        self.sample_rate = sample_rate
        self._half = max(1, round(crossfade_ms * sample_rate / 2000))
        self._emotion_len = max(1, round(emotion_ms * sample_rate / 1000))
        self._listen_len = max(1, round(listening_ms * sample_rate / 1000))
        self._blinks = BlinkSchedule(seed) if blink else None
        self._idle = idle
        self._cues: list[_Cue] = []
        self._starts: list[int] = []
        self._max_cue = 0
        self._segments: list[tuple[int, int]] = []
        self._emotions: list[tuple[int, str]] = [(-(2**62), "neutral")]
        self._listening: list[tuple[int, bool]] = [(-(2**62), False)]
        self._gestures: list[tuple[int, str]] = []

    # --- scheduling -------------------------------------------------------------------------

    def add_speech(self, track: VisemeTrack, start_sample: int) -> None:
        """Schedule a track's visemes from ``start_sample`` (session clock).

        Args:
            track: cues counted at ``track.sample_rate`` from the start of its audio.
            start_sample: where that audio starts on the session clock.

        Raises:
            ValueError: a cue names a viseme outside the Oculus 15.
        """
        rate, src = self.sample_rate, track.sample_rate
        for cue in track.cues:
            if cue.viseme not in VISEME_TO_ARKIT:
                raise ValueError(f"unknown viseme {cue.viseme!r}; expected one of {OCULUS_VISEMES}")
            start = start_sample + (cue.start_sample * rate + src // 2) // src
            end = start_sample + (cue.end_sample * rate + src // 2) // src
            if end <= start:
                continue
            k = bisect.bisect_right(self._starts, start)
            self._starts.insert(k, start)
            self._cues.insert(k, _Cue(start, end, cue.viseme))
            self._max_cue = max(self._max_cue, end - start)
        if track.cues:
            end = start_sample + (track.num_samples * rate + src // 2) // src
            bisect.insort(self._segments, (start_sample, end))

    def set_emotion(self, emotion: str, at_sample: int) -> None:
        """Blend to ``emotion`` (one of :data:`~avatar.expressions.EMOTIONS`) from ``at_sample``.

        Raises:
            UnknownEmotionError: not a known emotion.
        """
        if emotion not in EMOTIONS:
            raise UnknownEmotionError(
                f"unknown emotion {emotion!r}; expected one of {tuple(EMOTIONS)}"
            )
        bisect.insort(self._emotions, (at_sample, emotion), key=_at)

    def set_listening(self, listening: bool, at_sample: int) -> None:
        """Show (or leave) the attentive listening face from ``at_sample``."""
        bisect.insort(self._listening, (at_sample, bool(listening)), key=_at)

    def gesture(self, name: str, at_sample: int) -> None:
        """Play a head gesture (:data:`~avatar.expressions.GESTURES`) from ``at_sample``.

        ``wave`` and ``point-to-screen`` (the dialog's names) are accepted as aliases: the head
        avatar has no arms, so a wave is played as ``greet``.

        Raises:
            UnknownGestureError: not a known gesture.
        """
        name = GESTURE_ALIASES.get(name, name)
        if name not in GESTURES:
            raise UnknownGestureError(
                f"unknown gesture {name!r}; expected one of {tuple(GESTURES)}"
            )
        bisect.insort(self._gestures, (at_sample, name), key=_at)

    def clear(self, at_sample: int) -> None:
        """Barge-in: drop speech after ``at_sample``; the mouth closes smoothly from there."""
        kept: list[_Cue] = []
        for cue in self._cues:
            if cue.start >= at_sample:
                continue
            if cue.end > at_sample:  # the falling ramp starts at at_sample
                cue = _Cue(cue.start, at_sample + self._half, cue.viseme)
            kept.append(cue)
        self._cues = kept
        self._starts = [c.start for c in kept]
        self._segments = [(s, min(e, at_sample)) for s, e in self._segments if s < at_sample]

    def forget_before(self, sample: int) -> None:
        """Drop schedule entries that can no longer affect poses at or after ``sample``."""
        horizon = sample - self._half
        keep = [c for c in self._cues if c.end > horizon]
        self._cues, self._starts = keep, [c.start for c in keep]
        self._segments = [seg for seg in self._segments if seg[1] > sample]
        longest = round(max(GESTURES.values()) * self.sample_rate)
        self._gestures = [g for g in self._gestures if g[0] + longest > sample]
        for changes in (self._emotions, self._listening):
            k = bisect.bisect_right(changes, sample, key=_at) - 2  # keep the last two before
            if k > 0:
                del changes[:k]

    # --- evaluation -------------------------------------------------------------------------

    def is_speaking(self, sample: int) -> bool:
        """True while ``sample`` lies inside a scheduled speech segment (after :meth:`clear`)."""
        k = bisect.bisect_right(self._segments, (sample, 2**62))
        return any(s <= sample < e for s, e in self._segments[max(0, k - 8) : k])

    def visemes_at(self, sample: int) -> dict[str, float]:
        """Crossfaded viseme weights at ``sample`` (no ``sil``; the sum is at most 1)."""
        half = self._half
        k = bisect.bisect_left(self._starts, sample + half)
        out: dict[str, float] = {}
        j = k - 1
        while j >= 0 and self._cues[j].start > sample - half - self._max_cue - half:
            cue = self._cues[j]
            j -= 1
            if cue.viseme == "sil" or cue.end + half <= sample:
                continue
            rise = _smooth((sample - (cue.start - half)) / (2 * half))
            fall = _smooth(((cue.end + half) - sample) / (2 * half))
            w = min(rise, fall)
            if w > 0:
                out[cue.viseme] = out.get(cue.viseme, 0.0) + w
        total = sum(out.values())
        if total > 1.0:
            out = {k: v / total for k, v in out.items()}
        return out

    @staticmethod
    def _state(changes, sample: int, length: int):
        """(previous value, current value, blend 0→1) of a change list at ``sample``."""
        k = max(bisect.bisect_right(changes, sample, key=_at) - 1, 0)
        current = changes[k]
        previous = changes[k - 1] if k > 0 else current
        return previous[1], current[1], _smooth((sample - current[0]) / length)

    def pose_at(self, sample: int) -> Pose:
        """The face and head at ``sample`` (session clock). Pure for a given schedule."""
        t = sample / self.sample_rate
        expr: dict[str, float] = {}
        yaw = pitch = roll = 0.0

        def add(e: Expression, w: float) -> None:
            nonlocal yaw, pitch, roll
            if w <= 0:
                return
            for name, v in e.weights.items():
                expr[name] = expr.get(name, 0.0) + w * v
            yaw, pitch, roll = yaw + w * e.yaw, pitch + w * e.pitch, roll + w * e.roll

        before, now, f = self._state(self._emotions, sample, self._emotion_len)
        add(EMOTIONS[before], 1 - f)
        add(EMOTIONS[now], f)
        lb, ln, lf = self._state(self._listening, sample, self._listen_len)
        add(LISTENING, (1 - lf) * lb + lf * ln)
        longest = round(max(GESTURES.values()) * self.sample_rate)
        g = bisect.bisect_right(self._gestures, sample, key=_at)
        for at, name in self._gestures[max(0, g - 8) : g]:
            if at + longest > sample:
                gy, gp, gr, smile = gesture_motion(name, (sample - at) / self.sample_rate)
                yaw, pitch, roll = yaw + gy, pitch + gp, roll + gr
                for side in ("mouthSmileLeft", "mouthSmileRight"):
                    expr[side] = expr.get(side, 0.0) + smile
        if self._blinks is not None:
            closed = self._blinks.amount(t)
            if closed > 0:
                for side in ("eyeBlinkLeft", "eyeBlinkRight"):
                    expr[side] = expr.get(side, 0.0) + closed
        if self._idle:
            iy, ip, ir = idle_motion(t)
            yaw, pitch, roll = yaw + iy, pitch + ip, roll + ir
        visemes = self.visemes_at(sample)
        mouth: dict[str, float] = {}
        for viseme, w in visemes.items():
            for name, v in VISEME_TO_ARKIT[viseme].items():
                mouth[name] = mouth.get(name, 0.0) + w * v
        pitch += 0.04 * mouth.get("jawOpen", 0.0)  # a little head emphasis with open vowels
        expression = {k: min(max(v, 0.0), 1.0) for k, v in expr.items()}
        combined = dict(expr)
        for name, v in mouth.items():
            combined[name] = combined.get(name, 0.0) + v
        weights = {k: min(max(v, 0.0), 1.0) for k, v in combined.items()}
        return Pose(
            weights=weights, expression=expression, visemes=visemes, yaw=yaw, pitch=pitch, roll=roll
        )
