"""Facial expression tables and behaviours (sans-IO: time in seconds is passed in).

* :data:`VISEME_TO_ARKIT`: each Oculus viseme as ARKit blendshape weights, for avatars without
  ``viseme_*`` targets. Approach: the mouth shapes of the Oculus Lipsync "Viseme Reference"
  (developers.meta.com/horizon/documentation/native/audio-ovrlipsync-viseme-reference) are
  composed from the ARKit shapes Apple documents (ARFaceAnchor.BlendShapeLocation): jaw opening
  per the vowel height (open ``aa`` > ``O``/``E`` > ``I``/``U``), lip rounding through
  ``mouthFunnel``/``mouthPucker`` (``O``, ``U``, ``CH``, ``RR``), spreading through
  ``mouthStretch``/``mouthSmile`` (``E``, ``I``, ``SS``), lip closure through
  ``mouthClose``/``mouthPress`` (``PP``) and the lower lip under the upper teeth through
  ``mouthRollLower`` (``FF``). The numbers are ours, tuned by eye on the ICT-FaceKit head and
  the default avatar; they are in the spirit of the viseme → ARKit tables of open-source lip
  sync projects (e.g. met4citizen/TalkingHead), not copied from one.
* :data:`EMOTIONS`: the reply emotions (neutral, happy, concerned, apologetic) as blendshape
  offsets plus a head-pose offset; :data:`LISTENING` the attentive face.
* :class:`BlinkSchedule`: seeded, deterministic blinks every 2–6 s lasting ~150 ms (human
  spontaneous blinks: ~15–20/min, 100–400 ms; Bentivoglio et al. 1997, Mov. Disord. 12(6)).
* :func:`idle_motion`: slow head sway and breathing as sums of incommensurate sines.
* :func:`gesture_motion`: nod, shake, tilt, point-to-screen and greet as head motions.
"""

from __future__ import annotations

import bisect
import math
import random
from dataclasses import dataclass, field
from types import MappingProxyType


def _sym(**weights: float) -> dict[str, float]:
    """Expand ``mouthSmile=0.3`` into ``mouthSmileLeft``/``mouthSmileRight`` for sided shapes."""
    sided = (
        "mouthSmile",
        "mouthStretch",
        "mouthFrown",
        "mouthPress",
        "mouthUpperUp",
        "mouthLowerDown",
        "mouthDimple",
        "browDown",
        "browOuterUp",
        "cheekSquint",
        "eyeSquint",
        "eyeWide",
        "eyeBlink",
        "noseSneer",
    )
    out: dict[str, float] = {}
    for name, w in weights.items():
        if name in sided:
            out[name + "Left"] = w
            out[name + "Right"] = w
        else:
            out[name] = w
    return out


#: Oculus viseme → ARKit weights (see the module docstring for the approach).
VISEME_TO_ARKIT: MappingProxyType = MappingProxyType(
    {
        "sil": MappingProxyType({}),
        "PP": MappingProxyType(
            _sym(
                jawOpen=0.04,
                mouthClose=0.08,
                mouthPress=0.5,
                mouthRollLower=0.2,
                mouthRollUpper=0.15,
            )
        ),
        "FF": MappingProxyType(
            _sym(jawOpen=0.08, mouthRollLower=0.6, mouthUpperUp=0.3, mouthFunnel=0.08)
        ),
        "TH": MappingProxyType(
            _sym(jawOpen=0.16, mouthUpperUp=0.15, mouthStretch=0.1, tongueOut=0.35)
        ),
        "DD": MappingProxyType(_sym(jawOpen=0.22, mouthStretch=0.2, mouthUpperUp=0.12)),
        "kk": MappingProxyType(_sym(jawOpen=0.26, mouthStretch=0.25, mouthLowerDown=0.1)),
        "CH": MappingProxyType(
            _sym(
                jawOpen=0.16,
                mouthFunnel=0.45,
                mouthPucker=0.2,
                mouthUpperUp=0.2,
                mouthLowerDown=0.2,
            )
        ),
        "SS": MappingProxyType(
            _sym(
                jawOpen=0.08,
                mouthStretch=0.4,
                mouthSmile=0.15,
                mouthUpperUp=0.15,
                mouthLowerDown=0.15,
            )
        ),
        "nn": MappingProxyType(_sym(jawOpen=0.16, mouthStretch=0.15, mouthUpperUp=0.1)),
        "RR": MappingProxyType(_sym(jawOpen=0.16, mouthFunnel=0.3, mouthPucker=0.35)),
        "aa": MappingProxyType(
            _sym(jawOpen=0.62, mouthLowerDown=0.3, mouthUpperUp=0.1, mouthStretch=0.1)
        ),
        "E": MappingProxyType(
            _sym(
                jawOpen=0.36,
                mouthStretch=0.35,
                mouthSmile=0.2,
                mouthUpperUp=0.15,
                mouthLowerDown=0.2,
            )
        ),
        "I": MappingProxyType(
            _sym(jawOpen=0.24, mouthStretch=0.45, mouthSmile=0.3, mouthUpperUp=0.1)
        ),
        "O": MappingProxyType(_sym(jawOpen=0.45, mouthFunnel=0.55, mouthPucker=0.2)),
        "U": MappingProxyType(_sym(jawOpen=0.2, mouthPucker=0.75, mouthFunnel=0.35)),
    }
)


@dataclass(frozen=True, slots=True)
class Expression:
    """Blendshape offsets and a head-pose offset (radians) for a mood or state."""

    weights: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0


#: Reply emotions the avatar shows (``Reply.emotion``).
EMOTIONS: MappingProxyType = MappingProxyType(
    {
        "neutral": Expression(MappingProxyType(_sym(mouthSmile=0.06))),
        "happy": Expression(
            MappingProxyType(
                _sym(mouthSmile=0.55, cheekSquint=0.35, eyeSquint=0.15, browInnerUp=0.05)
            ),
            pitch=-0.02,
        ),
        "concerned": Expression(
            MappingProxyType(_sym(browInnerUp=0.55, browDown=0.12, mouthFrown=0.2, mouthPress=0.1)),
            roll=0.04,
        ),
        "apologetic": Expression(
            MappingProxyType(
                _sym(browInnerUp=0.65, mouthFrown=0.12, mouthSmile=0.12, eyeSquint=0.1)
            ),
            pitch=0.06,
            roll=-0.03,
        ),
    }
)

#: The attentive face while the visitor speaks: raised brows, a hint of a smile, a head tilt.
LISTENING = Expression(
    MappingProxyType(_sym(browInnerUp=0.2, browOuterUp=0.15, mouthSmile=0.12, eyeWide=0.1)),
    pitch=-0.03,
    roll=0.06,
)

BLINK_CLOSE_S, BLINK_HOLD_S, BLINK_OPEN_S = 0.05, 0.02, 0.08  # ~150 ms in all
BLINK_MIN_GAP_S, BLINK_MAX_GAP_S = 2.0, 6.0


class BlinkSchedule:
    """Deterministic blink times from a seed; :meth:`amount` is pure in ``t``.

    Args:
        seed: the random seed (same seed → same blinks).
    """

    def __init__(self, seed: int = 0) -> None:
        self._rng = random.Random(seed)
        self._starts: list[float] = []
        self._horizon = 0.0

    def _extend(self, t: float) -> None:
        while self._horizon <= t + BLINK_MAX_GAP_S:
            self._horizon += self._rng.uniform(BLINK_MIN_GAP_S, BLINK_MAX_GAP_S)
            self._starts.append(self._horizon)

    def amount(self, t: float) -> float:
        """Eyelid closure in [0, 1] at ``t`` seconds (0 open, 1 closed)."""
        if t < 0:
            return 0.0
        self._extend(t)
        k = bisect.bisect_right(self._starts, t) - 1
        if k < 0:
            return 0.0
        dt = t - self._starts[k]
        if dt < BLINK_CLOSE_S:
            return _ease(dt / BLINK_CLOSE_S)
        dt -= BLINK_CLOSE_S
        if dt < BLINK_HOLD_S:
            return 1.0
        dt -= BLINK_HOLD_S
        if dt < BLINK_OPEN_S:
            return 1.0 - _ease(dt / BLINK_OPEN_S)
        return 0.0

    def starts_until(self, t: float) -> list[float]:
        """Blink start times (s) up to ``t``."""
        self._extend(t)
        return [s for s in self._starts if s <= t]


def _ease(x: float) -> float:
    """Smoothstep on [0, 1]."""
    x = min(max(x, 0.0), 1.0)
    return x * x * (3 - 2 * x)


def idle_motion(t: float, amount: float = 1.0) -> tuple[float, float, float]:
    """Slow head sway and breathing: (yaw, pitch, roll) radians at ``t`` seconds.

    Periods ~4–11 s (breathing ~15/min gives the 0.25 Hz pitch term); amplitudes ≤ 1.5°.
    """
    yaw = 0.018 * math.sin(2 * math.pi * 0.09 * t + 0.3) + 0.008 * math.sin(
        2 * math.pi * 0.23 * t + 1.7
    )
    pitch = 0.008 * math.sin(2 * math.pi * 0.25 * t) + 0.006 * math.sin(
        2 * math.pi * 0.13 * t + 0.8
    )
    roll = 0.01 * math.sin(2 * math.pi * 0.07 * t + 2.1)
    return yaw * amount, pitch * amount, roll * amount


#: Gesture name → duration in seconds.
GESTURES: MappingProxyType = MappingProxyType(
    {
        "nod": 0.9,
        "shake": 1.0,
        "tilt": 1.4,
        "point_to_screen": 1.8,
        "greet": 1.2,
    }
)


def gesture_motion(name: str, t: float) -> tuple[float, float, float, float]:
    """Head motion of a gesture ``t`` seconds after it started.

    Returns:
        (yaw, pitch, roll, smile): radians, and a smile weight in [0, 1] ("greet").

    Raises:
        KeyError: unknown gesture (see :data:`GESTURES`).
    """
    duration = GESTURES[name]
    if t < 0 or t >= duration:
        return 0.0, 0.0, 0.0, 0.0
    x = t / duration
    env = math.sin(math.pi * x)  # starts and ends at rest
    if name == "nod":
        return 0.0, 0.14 * math.sin(2 * math.pi * 2 * x) * env, 0.0, 0.0
    if name == "shake":
        return 0.12 * math.sin(2 * math.pi * 2 * x) * env, 0.0, 0.0, 0.0
    if name == "tilt":
        return 0.0, 0.0, 0.12 * env, 0.0
    if name == "point_to_screen":  # look toward the screen beside the avatar (viewer's right)
        hold = _ease(min(x / 0.25, 1.0)) * _ease(min((1 - x) / 0.25, 1.0))
        return 0.3 * hold, 0.08 * hold, -0.03 * hold, 0.0
    # greet: a small bow-like nod with a smile
    return 0.0, 0.1 * env * env, 0.03 * env, 0.5 * env
