"""The default avatar's skeleton and skin weights (glTF 2.0 skin, §3.7.3).

Joints carry VRM humanoid bone names (``hips``, ``spine``, ``chest``, ``upperChest``, ``neck``,
``head``, ``leftEye`` …; VRM 1.0 ``VRMC_vrm`` humanoid), so code that drives bones by those names
(:attr:`avatar.pose.Pose.bones`) drives this model. Joint positions follow the same adult
anthropometry as the body (:mod:`avatar.asset.body`): the head joint at the atlanto-occipital
joint behind the ear line, the neck joint at C7 at the base of the neck, the shoulders at the
sterno-clavicular joints, the upper arms at the shoulder sockets. Rest rotations are identity;
each node's translation is its offset from its parent.

Weights (up to four per vertex, summing to 1): the head and everything on it follow ``head``
above a plane under the jaw, blending into ``neck`` and then ``upperChest`` down the neck; the
eyeballs follow their eye joints; the jacket's shoulders and arms blend from the spine chain
into ``left/rightShoulder`` and ``left/rightUpperArm``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from avatar.asset.parts import smoothstep


@dataclass(frozen=True, slots=True)
class Joint:
    """One joint: VRM humanoid name, parent name (or None) and rest position (3,) in metres."""

    name: str
    parent: str | None
    position: tuple[float, float, float]


def joints(eye_left: np.ndarray, eye_right: np.ndarray) -> tuple[Joint, ...]:
    """The skeleton, parents before children. Eye centres (3,) place the eye joints."""
    out = [
        Joint("hips", None, (0.0, -0.6, -0.01)),
        Joint("spine", "hips", (0.0, -0.48, -0.01)),
        Joint("chest", "spine", (0.0, -0.36, -0.01)),
        Joint("upperChest", "chest", (0.0, -0.24, -0.015)),
        Joint("neck", "upperChest", (0.0, -0.125, -0.02)),
        Joint("head", "neck", (0.0, -0.045, -0.012)),
        Joint("leftEye", "head", tuple(float(v) for v in eye_left)),
        Joint("rightEye", "head", tuple(float(v) for v in eye_right)),
    ]
    for side, prefix in ((1, "left"), (-1, "right")):
        out += [
            Joint(f"{prefix}Shoulder", "upperChest", (side * 0.035, -0.15, 0.0)),
            Joint(f"{prefix}UpperArm", f"{prefix}Shoulder", (side * 0.185, -0.2, -0.015)),
        ]
    return tuple(out)


_HEAD_PARTS = {"face", "backhead", "hair", "brow", "lashes", "teeth", "gums"}


def _head_weight(p: np.ndarray) -> np.ndarray:
    """1 above a plane from under the chin to the nape, 0 a couple of centimetres below."""
    a = np.array([0.0, -0.095, 0.06])
    n = np.array([0.0, 0.13, 0.055])
    n /= np.linalg.norm(n)
    return smoothstep(-0.022, 0.004, (p - a) @ n)


def skin_weights(part_name: str, p: np.ndarray, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Joint indices uint8 (V, 4) and weights float32 (V, 4) for one part's positions (V, 3).

    Args:
        part_name: the :class:`~avatar.asset.parts.Part` name (``face``, ``eye_l``, ``jacket`` …).
        p: rest positions, metres.
        names: joint names in skin order (indices refer to this list).
    """
    v = len(p)
    w = {n: np.zeros(v) for n in names}
    x, y = p[:, 0], p[:, 1]
    if part_name in ("eye_l", "eye_r"):
        w["leftEye" if part_name == "eye_l" else "rightEye"][:] = 1.0
    elif part_name in _HEAD_PARTS:
        head = _head_weight(p)
        neck = (1 - head) * smoothstep(-0.15, -0.11, y)
        w["head"], w["neck"], w["upperChest"] = head, neck, 1 - head - neck
    elif part_name == "collar":
        w["neck"][:] = 0.5
        w["upperChest"][:] = 0.5
    else:
        ax = np.abs(x)
        arm = smoothstep(0.165, 0.2, ax) * smoothstep(-0.17, -0.24, y)
        shoulder = (1 - arm) * smoothstep(0.08, 0.17, ax) * smoothstep(-0.34, -0.2, y)
        rest = 1 - arm - shoulder
        upper = rest * smoothstep(-0.3, -0.22, y)
        neck = upper * smoothstep(-0.125, -0.1, y)
        chest = (rest - upper) * smoothstep(-0.44, -0.34, y)
        left = x > 0
        for side_mask, prefix in ((left, "left"), (~left, "right")):
            w[f"{prefix}UpperArm"] += arm * side_mask
            w[f"{prefix}Shoulder"] += shoulder * side_mask
        w["neck"] += neck
        w["upperChest"] += upper - neck
        w["chest"] += chest
        w["spine"] += rest - upper - chest
    stack = np.stack([w[n] for n in names], 1)
    order = np.argsort(-stack, axis=1)[:, :4]
    top = np.take_along_axis(stack, order, axis=1)
    top = np.clip(top, 0, None)
    top /= np.maximum(top.sum(axis=1, keepdims=True), 1e-9)
    order[top == 0] = 0  # unused slots name joint 0 (glTF: no joint index with zero weight)
    return order.astype(np.uint8), top.astype(np.float32)
