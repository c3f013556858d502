"""From a :class:`~avatar.pose.Pose` to what the GPU needs for one avatar (sans-IO numpy).

:class:`PoseDriver` turns a pose into morph target weights, the joint palette (models with a
skeleton) or the head/eye rotations (models without), following :mod:`avatar.pose`:

* Mouth: ARKit avatars take ``weights``; avatars with Oculus ``viseme_*`` targets take
  ``expression`` + ``visemes``; VRM avatars with only the five vowels take ``expression`` +
  the visemes mapped by :data:`avatar.names.VISEME_TO_VRM`.
* VRM emotions (happy, sad, angry, surprised) come from the pose's ARKit expression (the mean
  of the two sides of mouthSmile, mouthFrown, browDown, eyeWide) for VRM avatars without
  ARKit shapes; VRM ``isBinary`` and ``override*`` rules then apply (VRM 1.0 expressions.md).
* Head: ``yaw/pitch/roll`` are shared 40 % / 60 % by the ``neck`` and ``head`` bones (all on
  ``head`` without a neck), composed with ``Pose.bones``; without a skeleton the renderer
  turns a band of vertices (:meth:`head_rotation`).
* Gaze: VRM lookAt (bone or expression type, with its range maps), else ``leftEye``/
  ``rightEye`` bones, else ARKit ``eyeLook*`` weights (1.0 at :data:`EYE_LOOK_FULL_RAD`), plus
  eyeball rotation for meshes whose eyeballs those shapes do not move (:attr:`Avatar.eyes`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from avatar.camera import head_rotation
from avatar.model import Avatar, LookAt
from avatar.names import VISEME_TO_VRM, VRM_EMOTION_CHANNELS
from avatar.pose import Pose
from avatar.skeleton import quat_from_matrix, quat_mul, quat_pow

#: Gaze angle at which an ARKit ``eyeLook*`` shape reaches 1.0, radians (≈ 30°, the usual
#: comfortable range of human eye rotation; ARKit does not publish the angle).
EYE_LOOK_FULL_RAD = math.radians(30.0)
#: Share of the head rotation the neck takes when both bones exist.
NECK_SHARE = 0.4
_MOUTH = ("vrm_aa", "vrm_ih", "vrm_ou", "vrm_ee", "vrm_oh")
_BLINK = ("eyeBlinkLeft", "eyeBlinkRight")
_LOOK = ("vrm_lookLeft", "vrm_lookRight", "vrm_lookUp", "vrm_lookDown")
_VRM_FROM_ARKIT = {
    "vrm_happy": ("mouthSmileLeft", "mouthSmileRight"),
    "vrm_sad": ("mouthFrownLeft", "mouthFrownRight"),
    "vrm_angry": ("browDownLeft", "browDownRight"),
    "vrm_surprised": ("eyeWideLeft", "eyeWideRight"),
}


def _quat(matrix: np.ndarray) -> np.ndarray:
    return quat_from_matrix(np.asarray(matrix, np.float64))


def _range_map(angle_deg: float, rng: tuple[float, float]) -> float:
    """VRM lookAt range map: min(|angle|, input max) / input max · output scale."""
    input_max, output = rng
    return min(abs(angle_deg), input_max) / input_max * output


class PoseDriver:
    """Evaluates poses for one avatar (not thread-safe; one per renderer).

    Args:
        avatar: the model.
    """

    def __init__(self, avatar: Avatar) -> None:
        self.avatar = avatar
        ch = avatar.channels
        self._arkit_mouth = "jawOpen" in ch
        self._vrm_mouth = avatar.has_vrm_vowels
        vrm_only = "mouthSmileLeft" not in ch
        self._vrm_emotions = [c for c in VRM_EMOTION_CHANNELS if c in ch] if vrm_only else []
        self._bone = {name: node for name, node in avatar.humanoid.items()}
        self._eye_bones = (
            avatar.skeleton is not None and "leftEye" in self._bone and "rightEye" in self._bone
        )
        look = avatar.look_at
        self._look_expr = look is not None and look.kind == "expression"
        self._look_bone = look if look is not None and look.kind == "bone" else None
        self._arkit_gaze = not self._look_expr and not self._eye_bones

    # --- morph weights ------------------------------------------------------------------------

    def channel_weights(self, pose: Pose) -> dict[str, float]:
        """Canonical channel → weight for ``pose`` (before the clip's own morph weights)."""
        a = self.avatar
        if a.has_visemes:
            out = dict(pose.expression)
            out.update({f"viseme_{k}": v for k, v in pose.visemes.items()})
        elif self._vrm_mouth and not self._arkit_mouth:
            out = dict(pose.expression)
            for viseme, w in pose.visemes.items():
                for channel, v in VISEME_TO_VRM.get(viseme, {}).items():
                    out[channel] = out.get(channel, 0.0) + w * v
        else:
            out = dict(pose.weights)
        for channel in self._vrm_emotions:
            sides = _VRM_FROM_ARKIT.get(channel)
            if sides and channel not in out:
                out[channel] = sum(pose.expression.get(s, 0.0) for s in sides) / 2
        self._gaze_weights(pose, out)
        if a.expression_rules.binary or a.expression_rules.overrides:
            self._apply_rules(out)
        return out

    def _gaze_weights(self, pose: Pose, out: dict[str, float]) -> None:
        yaw, pitch = pose.gaze
        if yaw == 0.0 and pitch == 0.0:
            return
        if self._look_expr:
            look: LookAt = self.avatar.look_at  # type: ignore[assignment]
            y, p = math.degrees(yaw), math.degrees(pitch)
            side = "vrm_lookLeft" if y > 0 else "vrm_lookRight"
            out[side] = out.get(side, 0.0) + _range_map(y, look.horizontal_outer)
            vertical, rng = (
                ("vrm_lookDown", look.vertical_down) if p > 0 else ("vrm_lookUp", look.vertical_up)
            )
            out[vertical] = out.get(vertical, 0.0) + _range_map(p, rng)
        elif self._arkit_gaze:
            h, v = yaw / EYE_LOOK_FULL_RAD, pitch / EYE_LOOK_FULL_RAD
            names = (
                ("eyeLookOutLeft", "eyeLookInRight")
                if h > 0
                else ("eyeLookInLeft", "eyeLookOutRight")
            )
            names += (
                ("eyeLookDownLeft", "eyeLookDownRight")
                if v > 0
                else (
                    "eyeLookUpLeft",
                    "eyeLookUpRight",
                )
            )
            for k, name in enumerate(names):
                out[name] = out.get(name, 0.0) + abs(h if k < 2 else v)

    def _apply_rules(self, out: dict[str, float]) -> None:
        rules = self.avatar.expression_rules
        for channel in rules.binary:
            if channel in out:
                out[channel] = 1.0 if out[channel] > 0.5 else 0.0
        blocked = [0.0, 0.0, 0.0]  # mouth, blink, look
        for channel, modes in rules.overrides.items():
            w = min(max(out.get(channel, 0.0), 0.0), 1.0)
            for k, mode in enumerate(modes):
                if mode == "block" and w > 0:
                    blocked[k] = 1.0
                elif mode == "blend":
                    blocked[k] = min(1.0, blocked[k] + w)
        for k, group in enumerate((_MOUTH, _BLINK, _LOOK)):
            if blocked[k] > 0:
                for channel in group:
                    if channel in out:
                        out[channel] *= 1.0 - blocked[k]

    # --- rotations ----------------------------------------------------------------------------

    def head_rotation(self, pose: Pose) -> np.ndarray:
        """float32 (3, 3) head rotation for meshes without a skeleton (identity otherwise)."""
        if self.avatar.skeleton is not None and ("head" in self._bone or "neck" in self._bone):
            return np.eye(3, dtype=np.float32)
        return head_rotation(pose.yaw, pose.pitch, pose.roll)

    def eye_rotation(self, pose: Pose) -> np.ndarray:
        """float32 (3, 3) eyeball rotation for :attr:`Avatar.eyes` (gaze, Y then X)."""
        return head_rotation(pose.gaze[0], pose.gaze[1], 0.0)

    def bone_rotations(self, pose: Pose) -> dict[int, np.ndarray]:
        """Skeleton node → quaternion about the avatar's axes (head, gaze, ``Pose.bones``)."""
        bone = self._bone
        out: dict[int, np.ndarray] = {}
        for name, q in pose.bones.items():
            if name in bone:
                out[bone[name]] = np.asarray(q, np.float64)
        if pose.yaw or pose.pitch or pose.roll:
            q = _quat(head_rotation(pose.yaw, pose.pitch, pose.roll))
            parts = (
                (("neck", NECK_SHARE), ("head", 1 - NECK_SHARE))
                if "neck" in bone and "head" in bone
                else (("head", 1.0),)
                if "head" in bone
                else (("neck", 1.0),)
            )
            for name, share in parts:
                if name in bone:
                    node = bone[name]
                    part = quat_pow(q, share)
                    out[node] = quat_mul(part, out[node]) if node in out else part
        if self._eye_bones and pose.gaze != (0.0, 0.0):
            for name, q in self._eye_quats(pose).items():
                node = bone[name]
                out[node] = quat_mul(q, out[node]) if node in out else q
        return out

    def _eye_quats(self, pose: Pose) -> dict[str, np.ndarray]:
        yaw, pitch = math.degrees(pose.gaze[0]), math.degrees(pose.gaze[1])
        look = self._look_bone
        out = {}
        for eye in ("leftEye", "rightEye"):
            if look is None:
                y, p = yaw, pitch
            else:  # + yaw turns the left eye outward and the right eye inward (lookAt.md)
                outward = (yaw > 0) == (eye == "leftEye")
                rng = look.horizontal_outer if outward else look.horizontal_inner
                y = math.copysign(_range_map(yaw, rng), yaw)
                vrng = look.vertical_down if pitch > 0 else look.vertical_up
                p = math.copysign(_range_map(pitch, vrng), pitch)
            out[eye] = _quat(head_rotation(math.radians(y), math.radians(p), 0.0))
        return out

    def skeleton_pose(self, pose: Pose) -> tuple[np.ndarray, Mapping[int, float]]:
        """(palette float32 (P, 4, 4), clip morph weights) for a model with a skeleton.

        Raises:
            ValueError: the avatar has no skeleton.
        """
        skel = self.avatar.skeleton
        if skel is None:
            raise ValueError("the avatar has no skeleton")
        name = pose.clip if pose.clip is not None else self.avatar.idle_clip
        clip = next((c for c in self.avatar.animations if c.name == name), None)
        return skel.pose(clip, pose.clip_time_s, self.bone_rotations(pose))

    def target_weights(
        self, pose: Pose, clip_weights: Mapping[int, float] | None = None
    ) -> np.ndarray:
        """float32 (T,) morph target weights in [0, 1] (channels plus the clip's weights).

        Args:
            pose: the pose whose channels (expression, visemes, blinks) drive the targets.
            clip_weights: target index → weight an animation clip adds at this time (the
                sum is clipped to [0, 1]); ``None`` or empty: none.
        """
        weights = self.avatar.target_weights(self.channel_weights(pose))
        for target, w in (clip_weights or {}).items():
            weights[target] = min(max(weights[target] + w, 0.0), 1.0)
        return weights
