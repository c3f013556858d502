"""Reply gestures as head, eye and body motion; their names; and their glTF clips.

A gesture is a function of the time since it started (seconds) returning a
:class:`GestureFrame`: head rotation (yaw, pitch, roll: :class:`avatar.pose.Pose` signs), an eye
gaze offset, additive body bone rotations (VRM humanoid names, (pitch, yaw, roll) about the
avatar's axes), and a smile. Every gesture starts and ends at rest. The timeline plays a model's
own animation clip instead of the skeletal part when the model has one for the gesture
(:data:`CLIP_NAMES`: e.g. the three.js RobotExpressive ``Yes``/``No``/``Wave``), and the
default avatar's build bakes these same motions into glTF clips (:func:`bake_clip`), so head
and body move as bones on any skinned model.

The avatar has no hands in frame, so ``wave``/``greet`` is a friendly small bow-nod with a
smile and ``point_to_screen`` turns head, eyes and chest toward the screen beside the avatar
(the viewer's right). Timings follow conversational head gestures (a nod ~0.4–0.5 s per
cycle: Hadar et al. 1985, Lang. Speech 28(2)); amplitudes are ours, tuned by eye.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from avatar.motion import ease, euler_quaternion

#: Gesture name → duration in seconds.
GESTURES: MappingProxyType = MappingProxyType(
    {"nod": 0.9, "shake": 1.0, "tilt": 1.4, "point_to_screen": 1.8, "greet": 1.2, "bow": 2.0}
)
#: Other names accepted for a gesture (the dialog's vocabulary and common spellings).
GESTURE_ALIASES: MappingProxyType = MappingProxyType(
    {"wave": "greet", "point-to-screen": "point_to_screen", "point": "point_to_screen"}
)
#: Gesture → clip names (case-insensitive) that play it when a model carries such a clip.
CLIP_NAMES: MappingProxyType = MappingProxyType(
    {
        "nod": ("nod", "yes"),
        "shake": ("shake", "no"),
        "tilt": ("tilt",),
        "point_to_screen": ("point_to_screen", "point"),
        "greet": ("greet", "wave"),
        "bow": ("bow",),
    }
)
#: How a head rotation is split over the neck and head bones in baked clips.
NECK_SHARE = 0.4


@dataclass(frozen=True, slots=True)
class GestureFrame:
    """A gesture's contribution at one instant (see the module docstring)."""

    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0
    gaze: tuple[float, float] = (0.0, 0.0)
    bones: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    smile: float = 0.0


REST = GestureFrame()


def _hold(x: float, rise: float, fall: float) -> float:
    """Envelope 0 → 1 over the first ``rise`` of [0, 1], 1 → 0 over the last ``fall``."""
    return ease(x / rise) * ease((1.0 - x) / fall)


def gesture_frame(name: str, t: float) -> GestureFrame:
    """The gesture ``name`` (a key of :data:`GESTURES`) ``t`` seconds after it started.

    Raises:
        KeyError: unknown gesture.
    """
    duration = GESTURES[name]
    if t < 0 or t >= duration:
        return REST
    x = t / duration
    env = math.sin(math.pi * x)
    if name == "nod":
        return GestureFrame(pitch=0.13 * math.sin(2 * math.pi * 2 * x) * env)
    if name == "shake":
        return GestureFrame(yaw=0.12 * math.sin(2 * math.pi * 2 * x) * env)
    if name == "tilt":
        return GestureFrame(roll=0.1 * env, smile=0.1 * env)
    if name == "point_to_screen":
        h = _hold(x, 0.22, 0.3)
        return GestureFrame(
            yaw=0.22 * h,
            pitch=0.05 * h,
            roll=-0.03 * h,
            gaze=(0.25 * ease(x / 0.1) * ease((1 - x) / 0.25), 0.04 * h),
            bones={"upperChest": (0.0, 0.07 * h, 0.0), "leftShoulder": (0.0, 0.0, 0.03 * h)},
        )
    if name == "bow":
        h = _hold(x, 0.3, 0.45)
        return GestureFrame(
            pitch=0.07 * h,
            bones={"spine": (0.07 * h, 0.0, 0.0), "chest": (0.05 * h, 0.0, 0.0)},
            gaze=(0.0, -0.06 * h),  # keep looking at the visitor while bowing
            smile=0.25 * h,
        )
    # greet: a small bow-nod with a smile
    return GestureFrame(
        pitch=0.1 * env * env,
        roll=0.03 * env,
        bones={"upperChest": (0.03 * env * env, 0.0, 0.0)},
        smile=0.5 * env,
    )


def clip_for(name: str, clips: Iterable[str]) -> str | None:
    """The model clip (from names ``clips``) that plays gesture ``name``, or None.

    Names match case-insensitively against :data:`CLIP_NAMES` ``[name]`` in its order (e.g. a
    model's ``Wave`` clip for ``greet``); the clip's own spelling is returned."""
    by_lower = {c.lower(): c for c in clips}
    for candidate in CLIP_NAMES.get(name, ()):
        if candidate in by_lower:
            return by_lower[candidate]
    return None


def skeletal_rotations(frame: GestureFrame) -> dict[str, tuple[float, float, float]]:
    """A frame's head motion split over ``neck``/``head`` plus its body bones (pitch, yaw,
    roll radians per bone)."""
    out = dict(frame.bones)
    n, h = NECK_SHARE, 1.0 - NECK_SHARE
    out["neck"] = (n * frame.pitch, n * frame.yaw, n * frame.roll)
    out["head"] = (h * frame.pitch, h * frame.yaw, h * frame.roll)
    return out


def bake_clip(name: str, fps: float = 30.0) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Sample gesture ``name`` into a glTF clip of joint rotations.

    Returns:
        (times float32 (K,) seconds, {bone: float32 (K, 4) quaternions xyzw}).
    """
    times = np.arange(0.0, GESTURES[name] + 1e-9, 1.0 / fps)
    times[-1] = GESTURES[name]
    frames = [skeletal_rotations(gesture_frame(name, float(t))) for t in times]
    bones = sorted({b for f in frames for b in f})
    rotations = {
        b: np.array([euler_quaternion(*f.get(b, (0.0, 0.0, 0.0))) for f in frames], np.float32)
        for b in bones
    }
    return times.astype(np.float32), rotations


def peak_time(name: str) -> float:
    """Seconds into gesture ``name`` where it moves farthest from rest (a still's instant)."""
    duration = GESTURES[name]

    def size(t: float) -> float:
        f = gesture_frame(name, t)
        body = sum(abs(a) for angles in f.bones.values() for a in angles)
        return abs(f.yaw) + abs(f.pitch) + abs(f.roll) + body + abs(f.gaze[0])

    times = [duration * k / 100 for k in range(100)]
    return max(times, key=size)
