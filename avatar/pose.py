"""The pose the timeline produces and the renderer draws (the contract between the two).

Conventions (glTF axes: +Y up, the avatar faces +Z, its left is +X):

* Angles are radians. ``yaw`` > 0 turns the face toward the avatar's left (the viewer's right),
  ``pitch`` > 0 lowers the chin, ``roll`` > 0 tilts the top of the head toward the avatar's
  right. The same signs hold for ``gaze`` (eye yaw, eye pitch).
* Bone rotations are unit quaternions ``(x, y, z, w)`` (glTF 2.0 §5.25 ``node.rotation``
  order) about the AVATAR's axes (+X its left, +Y up, +Z forward), whatever the rig's own bone
  orientations: the normalised-humanoid convention of VRM 1.0 and three-vrm's
  ``normalizedHumanBones``. A rotation ``q`` on a bone turns that bone (and its children) by
  ``q`` about its joint, on top of the rest pose or the playing clip; rotations on a chain
  compose (``neck`` then ``head``). ``Pose.yaw/pitch/roll`` and ``gaze`` use the same axes:
  a rotation about +Y by + yaw, then +X by + pitch (the Y-X-Z Euler order of the VRM 1.0
  lookAt spec).
* Bone names are VRM humanoid bone names (VRM 1.0 ``VRMC_vrm.humanoid.humanBones`` keys:
  ``hips``, ``spine``, ``chest``, ``upperChest``, ``neck``, ``head``, ``leftEye``,
  ``rightEye``, ``jaw``, ``leftShoulder``, ``leftUpperArm``, ``leftLowerArm``, ``leftHand``,
  ``rightShoulder`` …); the loader maps them to the model's joints (VRM humanoid data, or
  well-known rig names such as Mixamo ``mixamorig:Head`` or RobotExpressive ``Head``). Names a
  model does not map are ignored; :attr:`avatar.model.Avatar.humanoid_bones` lists those it
  maps, :attr:`avatar.model.Avatar.clips` its animation clips.

How the renderer applies each field:

* ``weights``/``expression``/``visemes``: morph targets (ARKit channels, Oculus ``viseme_*``,
  or VRM expressions ``aa ih ou ee oh`` as a fallback for Oculus visemes).
* ``yaw``/``pitch``/``roll``: split over the ``neck`` and ``head`` bones when the model has a
  skeleton; otherwise a band of vertices around the neck follows the head (skeleton-less
  meshes only).
* ``gaze``: ARKit ``eyeLook*`` blendshapes, VRM ``lookAt`` (bone or expression type), or the
  ``leftEye``/``rightEye`` bones, whichever the model has (added to ``weights``' own
  ``eyeLook*`` values).
* ``clip``/``clip_time_s``: a node animation of the model sampled at ``clip_time_s`` (wrapped to
  the clip's duration); ``None`` draws the model's idle clip (:attr:`Avatar.idle_clip`, a clip
  named like "idle") at ``clip_time_s``, or the rest pose when it has none.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

_EMPTY: Mapping[str, float] = MappingProxyType({})
_NO_BONES: Mapping[str, tuple[float, float, float, float]] = MappingProxyType({})

Quaternion = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class Pose:
    """Face, eyes, head and body state at one instant.

    Attributes:
        weights: all blendshape weights by canonical ARKit name, in [0, 1]: expression, blinks
            and the mouth shapes composed from visemes (for avatars with ARKit shapes only).
        expression: the same without the viseme-derived mouth part (for avatars that carry
            Oculus ``viseme_*`` targets or VRM vowels, which then take :attr:`visemes`).
        visemes: Oculus viseme → weight in [0, 1] (crossfaded, summing to at most 1).
        yaw: head rotation about +Y in radians; positive turns the face toward the avatar's left
            (the viewer's right).
        pitch: about +X, radians; positive lowers the chin (a nod down).
        roll: about +Z, radians; positive tilts the top of the head toward the avatar's right.
        gaze: (eye yaw, eye pitch) in radians, relative to the head; + yaw looks toward the
            avatar's left (the viewer's right), + pitch looks down. (0, 0) looks straight
            ahead, at the camera for a head that faces it.
        bones: VRM humanoid bone name → additive rotation, unit quaternion (x, y, z, w) about
            the avatar's axes (see the module docstring), applied on top of the rest pose or
            the playing clip.
        clip: name of a node animation of the model to sample (``None``: the model's idle
            clip if it has one, else the rest pose).
        clip_time_s: time into ``clip`` in seconds; wrapped to the clip's duration.

    Raises:
        ValueError: a bone rotation that is not 4 finite numbers with a non-zero norm, or a
            ``gaze`` that is not two finite numbers.
    """

    weights: Mapping[str, float] = field(default_factory=lambda: _EMPTY)
    expression: Mapping[str, float] = field(default_factory=lambda: _EMPTY)
    visemes: Mapping[str, float] = field(default_factory=lambda: _EMPTY)
    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0
    gaze: tuple[float, float] = (0.0, 0.0)
    bones: Mapping[str, Quaternion] = field(default_factory=lambda: _NO_BONES)
    clip: str | None = None
    clip_time_s: float = 0.0

    def __post_init__(self) -> None:
        for name in ("weights", "expression", "visemes"):
            value = getattr(self, name)
            if not isinstance(value, MappingProxyType):
                object.__setattr__(self, name, MappingProxyType(dict(value)))
        gaze = self.gaze
        if type(gaze) is not tuple or len(gaze) != 2:
            gaze = tuple(float(g) for g in gaze)
            if len(gaze) != 2 or not all(math.isfinite(g) for g in gaze):
                raise ValueError(f"gaze must be (yaw, pitch) in radians, got {self.gaze!r}")
            object.__setattr__(self, "gaze", gaze)
        if self.bones and not isinstance(self.bones, MappingProxyType):
            object.__setattr__(
                self,
                "bones",
                MappingProxyType({k: _quaternion(k, q) for k, q in self.bones.items()}),
            )

    def weight(self, name: str) -> float:
        """One blendshape weight from :attr:`weights` (0.0 when absent)."""
        return float(self.weights.get(name, 0.0))


def _quaternion(bone: str, q: object) -> Quaternion:
    """A bone rotation as a unit (x, y, z, w) tuple of floats (normalised)."""
    try:
        x, y, z, w = (float(c) for c in q)  # type: ignore[union-attr]
    except (TypeError, ValueError) as exc:
        raise ValueError(f"bone {bone!r}: rotation must be 4 numbers (x, y, z, w)") from exc
    norm = math.sqrt(x * x + y * y + z * z + w * w)
    if not math.isfinite(norm) or norm < 1e-6:
        raise ValueError(f"bone {bone!r}: rotation {q!r} is not a usable quaternion")
    return (x / norm, y / norm, z / norm, w / norm)


def axis_angle(axis: tuple[float, float, float], angle: float) -> Quaternion:
    """The unit quaternion (x, y, z, w) rotating ``angle`` radians about ``axis`` (any length).

    Convenience for building :attr:`Pose.bones` (right-hand rule, glTF axes).
    """
    ax, ay, az = axis
    norm = math.sqrt(ax * ax + ay * ay + az * az) or 1.0
    s = math.sin(angle / 2) / norm
    return (ax * s, ay * s, az * s, math.cos(angle / 2))


#: The rest pose: neutral face, eyes open and straight ahead, head straight, no clip.
NEUTRAL_POSE = Pose()
