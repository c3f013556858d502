"""Life-like motion as pure functions of time (sans-IO: seconds are passed in, no clocks).

* :class:`BlinkSchedule`: seeded, deterministic spontaneous blinks every 2–5 s, ~200 ms each
  (adults blink ~15–20 times a minute, a blink lasting 100–400 ms: Bentivoglio et al. 1997,
  Mov. Disord. 12(6); the lid closes faster than it opens: Evinger et al. 1991, IOVS 32(2)).
* :class:`SaccadeSchedule`: fixational gaze jitter — small seeded gaze jumps every 0.6–2.4 s
  (amplitude ≤ ~1°, each a ~40 ms ballistic move; Martinez-Conde et al. 2004, Nat. Rev.
  Neurosci. 5) that keep eye contact from looking frozen.
* :class:`GlanceSchedule`: brief glances away while speaking (every ~3–6 s, ~0.8 s, ≤ ~7°):
  speakers look away around the start of utterances and back to the listener (Kendon 1967,
  Acta Psychol. 26; the "look-away" of TalkingHead's speaking mood), so eye contact does not
  read as a stare.
* :class:`NodSchedule`: the small back-channel nods of a listener (every ~2.5–5 s).
* :func:`idle_head`: slow head sway as sums of incommensurate sines (≤ ~1.5°).
* :func:`idle_body`: breathing (~15 breaths/min: 0.25 Hz) lifting the chest and shoulders, and
  slow weight shifts (hips roll, spine and neck counter-roll so the head stays level), as
  additive bone rotations (:mod:`avatar.pose` conventions).
* :func:`head_share`: how much of a gaze shift the head takes (eye-head coordination: small
  shifts are eyes only, larger ones recruit the head for ~40 % of the amplitude beyond ~8°;
  Freedman 2008, Exp. Brain Res. 190).

The amplitudes are ours, tuned by eye on the default avatar to stay subtle at 512².
"""

from __future__ import annotations

import bisect
import math
import random

from avatar.pose import Quaternion, axis_angle

BLINK_CLOSE_S, BLINK_HOLD_S, BLINK_OPEN_S = 0.06, 0.04, 0.1
BLINK_MIN_GAP_S, BLINK_MAX_GAP_S = 2.0, 5.0
SACCADE_MIN_GAP_S, SACCADE_MAX_GAP_S = 0.6, 2.4
SACCADE_RAD, SACCADE_MOVE_S = 0.018, 0.04
NOD_MIN_GAP_S, NOD_MAX_GAP_S, NOD_S, NOD_RAD = 2.5, 5.0, 0.7, 0.07


def ease(x: float) -> float:
    """Smoothstep on [0, 1] (clamped)."""
    x = min(max(x, 0.0), 1.0)
    return x * x * (3 - 2 * x)


class _Schedule:
    """Seeded event start times (s), extended lazily; pure in the query time."""

    def __init__(self, seed: int, min_gap_s: float, max_gap_s: float, first_s: float = 0.0):
        self._rng = random.Random(seed)
        self._min, self._max = min_gap_s, max_gap_s
        self._starts: list[float] = []
        self._values: list[tuple[float, float]] = []
        self._horizon = first_s

    def _extend(self, t: float) -> None:
        while self._horizon <= t + self._max:
            self._horizon += self._rng.uniform(self._min, self._max)
            self._starts.append(self._horizon)
            self._values.append((self._rng.uniform(-1, 1), self._rng.uniform(-1, 1)))

    def last(self, t: float) -> tuple[float, tuple[float, float]] | None:
        """(start, its two random values in [-1, 1]) of the latest event at or before ``t``."""
        self._extend(t)
        k = bisect.bisect_right(self._starts, t) - 1
        return None if k < 0 else (self._starts[k], self._values[k])

    def starts_until(self, t: float) -> list[float]:
        """Event start times (s) up to ``t``."""
        self._extend(t)
        return [s for s in self._starts if s <= t]


class BlinkSchedule(_Schedule):
    """Deterministic blink times from a seed; :meth:`amount` is pure in ``t``.

    Args:
        seed: the random seed (same seed → same blinks).
    """

    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed, BLINK_MIN_GAP_S, BLINK_MAX_GAP_S)

    def amount(self, t: float) -> float:
        """Eyelid closure in [0, 1] at ``t`` seconds (0 open, 1 closed)."""
        last = self.last(t) if t >= 0 else None
        if last is None:
            return 0.0
        dt = t - last[0]
        if dt < BLINK_CLOSE_S:
            return ease(dt / BLINK_CLOSE_S)
        dt -= BLINK_CLOSE_S
        if dt < BLINK_HOLD_S:
            return 1.0
        dt -= BLINK_HOLD_S
        return 1.0 - ease(dt / BLINK_OPEN_S) if dt < BLINK_OPEN_S else 0.0


class SaccadeSchedule(_Schedule):
    """Fixational gaze jitter: (yaw, pitch) offset in radians at ``t`` (pure in ``t``)."""

    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed + 7919, SACCADE_MIN_GAP_S, SACCADE_MAX_GAP_S)

    def offset(self, t: float) -> tuple[float, float]:
        """Gaze offset (yaw, pitch) radians, each within ±:data:`SACCADE_RAD`."""
        if t < 0:
            return 0.0, 0.0
        self._extend(t)
        k = bisect.bisect_right(self._starts, t) - 1
        if k < 0:
            return 0.0, 0.0
        new = self._values[k]
        old = self._values[k - 1] if k > 0 else (0.0, 0.0)
        f = ease((t - self._starts[k]) / SACCADE_MOVE_S)
        yaw = old[0] + (new[0] - old[0]) * f
        pitch = old[1] + (new[1] - old[1]) * f
        return SACCADE_RAD * yaw, 0.6 * SACCADE_RAD * pitch


GLANCE_MIN_GAP_S, GLANCE_MAX_GAP_S, GLANCE_S = 3.0, 6.0, 0.8
GLANCE_RAD = (0.12, 0.05)


class GlanceSchedule(_Schedule):
    """Glances away from the listener: (yaw, pitch) offset in radians at ``t`` (pure in ``t``)."""

    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed + 15485863, GLANCE_MIN_GAP_S, GLANCE_MAX_GAP_S)

    def offset(self, t: float) -> tuple[float, float]:
        """Gaze offset (yaw, pitch) radians; (0, 0) between glances."""
        last = self.last(t) if t >= 0 else None
        if last is None or t - last[0] >= GLANCE_S:
            return 0.0, 0.0
        dt = t - last[0]
        amount = ease(dt / SACCADE_MOVE_S) * ease((GLANCE_S - dt) / SACCADE_MOVE_S)
        (a, b) = last[1]
        yaw = GLANCE_RAD[0] * (0.5 + 0.5 * abs(a)) * (1 if a >= 0 else -1)
        return amount * yaw, amount * GLANCE_RAD[1] * b


class NodSchedule(_Schedule):
    """Back-channel nods of a listener, counted from the start of listening."""

    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed + 104729, NOD_MIN_GAP_S, NOD_MAX_GAP_S, first_s=-1.0)

    def pitch(self, t: float) -> float:
        """Head pitch (rad, + = chin down) ``t`` seconds into listening (0 before it)."""
        last = self.last(t) if t >= 0 else None
        if last is None or t - last[0] >= NOD_S:
            return 0.0
        x = (t - last[0]) / NOD_S
        size = NOD_RAD * (0.75 + 0.25 * last[1][0])
        return size * math.sin(math.pi * x) ** 2 * (1.0 if x < 0.6 else 0.8)


def idle_head(t: float, amount: float = 1.0) -> tuple[float, float, float]:
    """Slow head sway: (yaw, pitch, roll) radians at ``t`` seconds; periods ~4–14 s."""
    yaw = 0.018 * math.sin(2 * math.pi * 0.09 * t + 0.3) + 0.008 * math.sin(
        2 * math.pi * 0.23 * t + 1.7
    )
    pitch = 0.006 * math.sin(2 * math.pi * 0.13 * t + 0.8) + 0.004 * math.sin(
        2 * math.pi * 0.31 * t + 2.0
    )
    roll = 0.01 * math.sin(2 * math.pi * 0.07 * t + 2.1)
    return yaw * amount, pitch * amount, roll * amount


def breath(t: float) -> float:
    """Breathing phase in [0, 1] (1 = full inhale) at ``t`` seconds, ~15 breaths/min."""
    cycle = 2 * math.pi * 0.25 * t + 0.4 * math.sin(2 * math.pi * 0.05 * t)
    return 0.5 - 0.5 * math.cos(cycle)


def idle_body(t: float, amount: float = 1.0) -> dict[str, tuple[float, float, float]]:
    """Breathing and weight shifts: bone → (pitch, yaw, roll) radians about the avatar's axes."""
    b = breath(t) * amount
    shift = amount * (
        0.011 * math.sin(2 * math.pi * t / 11.0 + 0.7) + 0.004 * math.sin(2 * math.pi * t / 4.7)
    )
    turn = amount * 0.01 * math.sin(2 * math.pi * t / 17.0 + 1.3)
    return {
        "hips": (0.0, turn, shift),
        "spine": (0.0, -0.5 * turn, -0.6 * shift),
        "chest": (-0.006 * b, 0.0, 0.0),  # the chest rises and opens on the inhale
        "upperChest": (-0.008 * b, 0.0, -0.2 * shift),
        "neck": (0.014 * b, 0.0, -0.2 * shift),  # keep the head level
        "leftShoulder": (0.0, 0.0, 0.018 * b),  # shoulders lift on the inhale
        "rightShoulder": (0.0, 0.0, -0.018 * b),
    }


def euler_quaternion(pitch: float, yaw: float, roll: float) -> Quaternion:
    """Unit quaternion (x, y, z, w) of a rotation about +Y by ``yaw``, then +X by ``pitch``,
    then +Z by ``roll`` (the Y-X-Z order of :class:`avatar.pose.Pose`)."""
    q = (0.0, 0.0, 0.0, 1.0)
    for axis, angle in (((0.0, 1.0, 0.0), yaw), ((1.0, 0.0, 0.0), pitch), ((0.0, 0.0, 1.0), roll)):
        if angle:
            q = _mul(q, axis_angle(axis, angle))
    return q


def _mul(a: Quaternion, b: Quaternion) -> Quaternion:
    ax, ay, az, aw = a
    bx, by, bz, bw = b
    return (
        aw * bx + ax * bw + ay * bz - az * by,
        aw * by - ax * bz + ay * bw + az * bx,
        aw * bz + ax * by - ay * bx + az * bw,
        aw * bw - ax * bx - ay * by - az * bz,
    )


def head_share(angle: float, threshold: float = 0.14, share: float = 0.4) -> float:
    """The part of a gaze shift ``angle`` (rad) the head takes; the eyes take the rest."""
    excess = abs(angle) - threshold
    return math.copysign(share * excess, angle) if excess > 0 else 0.0
