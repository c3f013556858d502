"""The avatar timeline: speech visemes, emotion, listening, gestures, gaze, blinks and idle life
on one session media clock (samples), evaluated as :class:`~avatar.pose.Pose` at any sample.

Sans-IO and deterministic: no clocks or threads; the same calls give the same poses.

Speech (visemes with coarticulation, a jaw that follows the loudness): :mod:`avatar.speech`.

Emotions blend in over ``emotion_ms``; an emotion set for a reply (speech scheduled within
:data:`REPLY_WINDOW_S` after it) blends back out to neutral ``relax_ms`` after that reply's last
speech, while one set with no speech after it holds (a preview, a pose held between replies).
While a viseme shows, the expression's lip-closing shapes (a mood's press and shrug) give way
to it in proportion (:func:`avatar.expressions.yield_to_speech`): speech wins at the mouth.

Life (``idle``): gaze on the visitor with fixational jitter (and brief glances away while
speaking), breathing and weight shifts as
bone rotations, a slow head sway; listening adds a lean toward the visitor and back-channel
nods; gestures play as a model clip when the model has one (``clips``), else as head and bone
motion (:mod:`avatar.gestures`). :meth:`AvatarTimeline.look_at` steers the gaze.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping

import numpy as np

from avatar.expressions import (
    EMOTIONS,
    LISTENING,
    LISTENING_LEAN,
    Expression,
    yield_to_speech,
)
from avatar.gestures import GESTURE_ALIASES, GESTURES, REST, clip_for, gesture_frame
from avatar.motion import (
    BlinkSchedule,
    GlanceSchedule,
    NodSchedule,
    SaccadeSchedule,
    ease,
    euler_quaternion,
    head_share,
    idle_body,
    idle_head,
)
from avatar.pose import Pose
from avatar.speech import SpeechSchedule
from avatar.visemes import VisemeTrack

__all__ = ["GESTURE_ALIASES", "AvatarTimeline", "UnknownEmotionError", "UnknownGestureError"]

#: Speech starting this soon after ``set_emotion`` makes it that reply's emotion (seconds).
REPLY_WINDOW_S = 3.0
#: Speech segments closer than this belong to one reply (seconds).
REPLY_GAP_S = 1.5
#: Half field of view (rad) that :meth:`AvatarTimeline.look_at` maps the screen edges to:
#: ~30° across, ~18° up and down (a kiosk camera's view of the space in front of it).
LOOK_HALF_FOV_RAD = (0.52, 0.31)
_FAR = 2**62


class UnknownEmotionError(ValueError):
    """``set_emotion`` got a name outside :data:`avatar.expressions.EMOTIONS`."""


class UnknownGestureError(ValueError):
    """``gesture`` got a name outside :data:`avatar.gestures.GESTURES` (or an alias)."""


def _at(entry: tuple) -> int:
    return entry[0]


class _Accumulator:
    """Sums blendshape weights, head angles, gaze and bone Euler angles for one pose."""

    def __init__(self) -> None:
        self.expr: dict[str, float] = {}
        self.yaw = self.pitch = self.roll = 0.0
        self.gaze = [0.0, 0.0]
        self.bones: dict[str, list[float]] = {}

    def expression(self, e: Expression, w: float) -> None:
        if w <= 0:
            return
        for name, v in e.weights.items():
            self.expr[name] = self.expr.get(name, 0.0) + w * v
        self.head(w * e.yaw, w * e.pitch, w * e.roll)

    def head(self, yaw: float, pitch: float, roll: float) -> None:
        self.yaw, self.pitch, self.roll = self.yaw + yaw, self.pitch + pitch, self.roll + roll

    def bone(self, name: str, pitch: float, yaw: float, roll: float, w: float = 1.0) -> None:
        acc = self.bones.setdefault(name, [0.0, 0.0, 0.0])
        acc[0] += w * pitch
        acc[1] += w * yaw
        acc[2] += w * roll

    def add(self, name: str, value: float) -> None:
        self.expr[name] = self.expr.get(name, 0.0) + value


class AvatarTimeline:
    """Schedules what the avatar does and answers :meth:`pose_at`.

    Args:
        sample_rate: Hz of the session media clock (e.g. 48000).
        seed: seed of the blink, gaze-jitter and nod schedules.
        blink: enable spontaneous blinks.
        idle: enable idle life (head sway, breathing, weight shifts, gaze jitter, nods).
        crossfade_ms: width of the viseme crossfade ramps.
        emotion_ms: duration of an emotion change.
        listening_ms: duration of entering/leaving the listening face.
        relax_ms: after a reply's last speech, its emotion relaxes to neutral this much later.
        clips: the model's animation clips, name → duration in seconds
            (:attr:`avatar.model.Avatar.clips`); gestures with a matching clip play it.

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
        relax_ms: float = 1500.0,
        clips: Mapping[str, float] | None = None,
    ) -> None:
        if sample_rate <= 0:
            raise ValueError(f"sample_rate must be positive, got {sample_rate}")
        if min(crossfade_ms, emotion_ms, listening_ms, relax_ms) < 0:
            raise ValueError("durations must be >= 0")
        self.sample_rate = sample_rate
        self._speech = SpeechSchedule(sample_rate, crossfade_ms)
        self._emotion_len = max(1, round(emotion_ms * sample_rate / 1000))
        self._listen_len = max(1, round(listening_ms * sample_rate / 1000))
        self._relax = round(relax_ms * sample_rate / 1000)
        self._blinks = BlinkSchedule(seed) if blink else None
        self._saccades = SaccadeSchedule(seed) if idle else None
        self._nods = NodSchedule(seed) if idle else None
        self._glances = GlanceSchedule(seed) if idle else None
        self._idle = idle
        self._clips = dict(clips or {})
        self._emotions: list[tuple[int, str]] = [(-_FAR, "neutral")]
        self._listening: list[tuple[int, bool]] = [(-_FAR, False)]
        self._gestures: list[tuple[int, str]] = []
        self._looks: list[tuple[int, tuple[float, float]]] = [(-_FAR, (0.0, 0.0))]

    # --- scheduling -------------------------------------------------------------------------

    def add_speech(
        self, track: VisemeTrack, start_sample: int, pcm: np.ndarray | None = None
    ) -> None:
        """Schedule a track's visemes from ``start_sample`` (session clock).

        Args:
            track: cues counted at ``track.sample_rate`` from the start of its audio.
            start_sample: where that audio starts on the session clock.
            pcm: optional int16 (n,) mono audio the track belongs to, at ``track.sample_rate``;
                when given, the jaw follows its loudness (see the module docstring).

        Raises:
            ValueError: a cue names a viseme outside the Oculus 15.
        """
        self._speech.add(track, start_sample, pcm)

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
        """Show (or leave) the attentive listening posture and nods from ``at_sample``."""
        bisect.insort(self._listening, (at_sample, bool(listening)), key=_at)

    def gesture(self, name: str, at_sample: int) -> None:
        """Play a gesture (:data:`~avatar.gestures.GESTURES`, or an alias such as ``wave``)
        from ``at_sample``.

        Raises:
            UnknownGestureError: not a known gesture.
        """
        name = GESTURE_ALIASES.get(name, name)
        if name not in GESTURES:
            known = tuple(GESTURES) + tuple(GESTURE_ALIASES)
            raise UnknownGestureError(f"unknown gesture {name!r}; expected one of {known}")
        bisect.insort(self._gestures, (at_sample, name), key=_at)

    def look_at(self, x: float, y: float, at_sample: int) -> None:
        """Turn the gaze (eyes first, the head following for large shifts) toward a point.

        Args:
            x: horizontal position in [0, 1] across the visitor-facing camera's view as the
                visitor sees the screen: 0 the left edge, 0.5 straight ahead (the camera),
                1 the right edge (the avatar's left). Values outside [0, 1] are clamped.
            y: vertical position in [0, 1]: 0 the top edge, 0.5 level with the camera, 1 the
                bottom edge.
            at_sample: from when (session clock).

        The edges map to :data:`LOOK_HALF_FOV_RAD`; ``look_at(0.5, 0.5, s)`` is eye contact.
        """
        x, y = min(max(float(x), 0.0), 1.0), min(max(float(y), 0.0), 1.0)
        target = ((x - 0.5) * 2 * LOOK_HALF_FOV_RAD[0], (y - 0.5) * 2 * LOOK_HALF_FOV_RAD[1])
        bisect.insort(self._looks, (at_sample, target), key=_at)

    def clear(self, at_sample: int) -> None:
        """Barge-in: drop speech after ``at_sample``; the mouth closes smoothly from there."""
        self._speech.clear(at_sample)

    def forget_before(self, sample: int) -> None:
        """Drop schedule entries that can no longer affect poses at or after ``sample``."""
        linger = self._relax + 2 * self._emotion_len + round(REPLY_GAP_S * self.sample_rate)
        self._speech.forget_before(sample, linger)
        longest = round(max(GESTURES.values(), default=0.0) * self.sample_rate)
        longest = max(longest, round(max(self._clips.values(), default=0.0) * self.sample_rate))
        self._gestures = [g for g in self._gestures if g[0] + longest > sample]
        for changes in (self._emotions, self._listening, self._looks):
            k = bisect.bisect_right(changes, sample, key=_at) - 2  # keep the last two before
            if k > 0:
                del changes[:k]

    # --- evaluation -------------------------------------------------------------------------

    def is_speaking(self, sample: int) -> bool:
        """True while ``sample`` lies inside a scheduled speech segment (after :meth:`clear`)."""
        return self._speech.is_speaking(sample)

    def visemes_at(self, sample: int) -> dict[str, float]:
        """Crossfaded viseme weights at ``sample`` (no ``sil``; the sum is at most 1)."""
        return self._speech.visemes_at(sample)

    def _reply_end(self, at: int) -> int | None:
        """End sample of the speech that follows an emotion change at ``at`` (None: none)."""
        rate = self.sample_rate
        return self._speech.reply_end(at, round(REPLY_WINDOW_S * rate), round(REPLY_GAP_S * rate))

    def _emotion_strength(self, k: int, sample: int) -> float:
        """How much emotion change ``k`` shows at ``sample`` on its own (in 0..1)."""
        at, _ = self._emotions[k]
        strength = ease((sample - at) / self._emotion_len) if at > -_FAR else 1.0
        end = self._reply_end(at) if at > -_FAR else None
        if end is not None:
            strength *= 1.0 - ease((sample - end - self._relax) / (2 * self._emotion_len))
        return strength

    def _emotions_into(self, acc: _Accumulator, sample: int) -> None:
        k = max(bisect.bisect_right(self._emotions, sample, key=_at) - 1, 0)
        at, now = self._emotions[k]
        mix = {now: self._emotion_strength(k, sample)}
        if k > 0:
            before = self._emotions[k - 1][1]
            fading = (1.0 - ease((sample - at) / self._emotion_len)) * self._emotion_strength(
                k - 1, at
            )
            mix[before] = mix.get(before, 0.0) + fading
        mix["neutral"] = mix.get("neutral", 0.0) + max(0.0, 1.0 - sum(mix.values()))
        for name, w in mix.items():
            acc.expression(EMOTIONS[name], w)

    def _listening_into(self, acc: _Accumulator, sample: int, t: float) -> None:
        k = max(bisect.bisect_right(self._listening, sample, key=_at) - 1, 0)
        at, now = self._listening[k]
        before = self._listening[k - 1][1] if k > 0 else now
        f = ease((sample - at) / self._listen_len)
        w = (1 - f) * before + f * now
        acc.expression(LISTENING, w)
        for bone, (p, y, r) in LISTENING_LEAN.items():
            acc.bone(bone, p, y, r, w)
        if now and self._nods is not None:
            acc.head(0.0, self._nods.pitch(t - at / self.sample_rate), 0.0)

    def _gestures_into(self, acc: _Accumulator, sample: int) -> tuple[str | None, float]:
        """Add the gestures playing at ``sample``; returns (model clip, time into it)."""
        clip, clip_t = None, 0.0
        g = bisect.bisect_right(self._gestures, sample, key=_at)
        for at, name in self._gestures[max(0, g - 8) : g]:
            t = (sample - at) / self.sample_rate
            model_clip = clip_for(name, self._clips)
            frame = gesture_frame(name, t)
            if model_clip is not None and t < self._clips[model_clip]:
                clip, clip_t = model_clip, t
            elif frame is not REST:
                acc.head(frame.yaw, frame.pitch, frame.roll)
                for bone, (p, y, r) in frame.bones.items():
                    acc.bone(bone, p, y, r)
            if frame is not REST:
                acc.gaze[0] += frame.gaze[0]
                acc.gaze[1] += frame.gaze[1]
                acc.add("mouthSmileLeft", frame.smile)
                acc.add("mouthSmileRight", frame.smile)
        return clip, clip_t

    def _gaze_into(self, acc: _Accumulator, sample: int, t: float) -> None:
        k = max(bisect.bisect_right(self._looks, sample, key=_at) - 1, 0)
        at, target = self._looks[k]
        before = self._looks[k - 1][1] if k > 0 else target
        dt = (sample - at) / self.sample_rate
        eyes = ease(dt / 0.05)  # a saccade: ~50 ms
        head = ease(dt / 0.4)  # the head follows in ~400 ms
        for axis in (0, 1):
            goal = before[axis] + (target[axis] - before[axis]) * eyes
            head_goal = (
                head_share(before[axis])
                + (head_share(target[axis]) - head_share(before[axis])) * head
            )
            acc.gaze[axis] += goal - head_goal
            if axis == 0:
                acc.head(head_goal, 0.0, 0.0)
            else:
                acc.head(0.0, head_goal, 0.0)
        if self._saccades is not None:
            dy, dp = self._saccades.offset(t)
            acc.gaze[0] += dy
            acc.gaze[1] += dp
        if self._glances is not None and self.is_speaking(sample):
            dy, dp = self._glances.offset(t)
            acc.gaze[0] += dy
            acc.gaze[1] += dp

    def pose_at(self, sample: int) -> Pose:
        """The avatar at ``sample`` (session clock). Pure for a given schedule."""
        t = sample / self.sample_rate
        acc = _Accumulator()
        self._emotions_into(acc, sample)
        self._listening_into(acc, sample, t)
        clip, clip_t = self._gestures_into(acc, sample)
        self._gaze_into(acc, sample, t)
        if self._blinks is not None:
            closed = self._blinks.amount(t)
            if closed > 0:
                acc.add("eyeBlinkLeft", closed)
                acc.add("eyeBlinkRight", closed)
        if self._idle:
            acc.head(*idle_head(t))
            for bone, (p, y, r) in idle_body(t).items():
                acc.bone(bone, p, y, r)
        visemes, mouth = self._speech.mouth_at(sample)
        acc.pitch += 0.04 * mouth.get("jawOpen", 0.0)  # a little head emphasis on open vowels
        yield_to_speech(acc.expr, sum(visemes.values()))  # speech wins at the mouth
        expression = {k: min(max(v, 0.0), 1.0) for k, v in acc.expr.items()}
        combined = dict(acc.expr)
        for name, v in mouth.items():
            combined[name] = combined.get(name, 0.0) + v
        weights = {k: min(max(v, 0.0), 1.0) for k, v in combined.items()}
        bones = {b: euler_quaternion(*angles) for b, angles in acc.bones.items() if any(angles)}
        return Pose(
            weights=weights,
            expression=expression,
            visemes=visemes,
            yaw=acc.yaw,
            pitch=acc.pitch,
            roll=acc.roll,
            gaze=(acc.gaze[0], acc.gaze[1]),
            bones=bones,
            clip=clip,
            clip_time_s=clip_t,
        )
