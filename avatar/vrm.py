"""VRM 0.x (``extensions.VRM``) and VRM 1.0 (``extensions.VRMC_vrm``) avatar data.

Sources: vrm-c/vrm-specification (VRM 0.x ``humanoid``, ``blendShapeMaster``, ``firstPerson``;
VRM 1.0 ``humanoid.md``, ``expressions.md``, ``lookAt.md``) and pixiv/three-vrm's loader for
the parts the specs leave open: VRM 0.x models face −Z and are turned 180° about +Y to face the
viewer (three-vrm ``VRMUtils.rotateVRM0``); lookAt defaults (input 90°, output 10° for bones,
1.0 for expressions; 0.x ``curve`` taken as linear).

Expressions bind morph targets (material colour and texture-transform binds are not drawn);
``overrideMouth``/``overrideBlink``/``overrideLookAt`` and ``isBinary`` are kept for the
renderer to apply (:mod:`avatar.posing`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pygltflib

from avatar.model import ExpressionRules, LookAt
from avatar.names import VRM_PRESET_CHANNELS, humanoid_bone

#: VRM 0.x → face +Z: a half turn about +Y.
TURN_Y_180 = np.diag([-1.0, 1.0, -1.0, 1.0])


@dataclass(frozen=True, slots=True)
class VrmInfo:
    """What a VRM file adds to its glTF.

    Attributes:
        version: ``"0"``, ``"1"`` or ``""`` (not a VRM).
        humanoid: VRM humanoid bone name → node index.
        look_at: gaze mapping, or ``None``.
        root: float64 (4, 4) transform above the scene (the 0.x turn), identity otherwise.
    """

    version: str
    humanoid: dict[str, int]
    look_at: LookAt | None
    root: np.ndarray


def read_vrm(gltf: pygltflib.GLTF2) -> VrmInfo:
    """The VRM parts of a document (an empty :class:`VrmInfo` for plain glTF)."""
    ext = gltf.extensions or {}
    v1, v0 = ext.get("VRMC_vrm"), ext.get("VRM")
    n_nodes = len(gltf.nodes or [])
    if isinstance(v1, dict):
        bones = (v1.get("humanoid") or {}).get("humanBones") or {}
        humanoid = {
            name: int(b["node"])
            for name, b in bones.items()
            if isinstance(b, dict) and 0 <= int(b.get("node", -1)) < n_nodes
        }
        return VrmInfo("1", humanoid, _look_at(v1.get("lookAt"), "1"), np.eye(4))
    if isinstance(v0, dict):
        bones = (v0.get("humanoid") or {}).get("humanBones") or []
        humanoid = {
            str(b["bone"]): int(b["node"])
            for b in bones
            if isinstance(b, dict) and "bone" in b and 0 <= int(b.get("node", -1)) < n_nodes
        }
        return VrmInfo("0", humanoid, _look_at(v0.get("firstPerson"), "0"), TURN_Y_180.copy())
    return VrmInfo("", {}, None, np.eye(4))


def _range(raw: object, default_out: float, keys: tuple[str, str]) -> tuple[float, float]:
    raw = raw if isinstance(raw, dict) else {}
    input_max = float(raw.get(keys[0], 90.0) or 90.0)
    return (max(input_max, 1e-3), float(raw.get(keys[1], default_out)))


#: Where each version keeps lookAt: (type key, expression type value, range map names,
#: (input max key, output scale key)).
_LOOK_AT_FIELDS = {
    "1": (
        "type",
        "expression",
        (
            "rangeMapHorizontalInner",
            "rangeMapHorizontalOuter",
            "rangeMapVerticalDown",
            "rangeMapVerticalUp",
        ),
        ("inputMaxValue", "outputScale"),
    ),
    "0": (
        "lookAtTypeName",
        "BlendShape",
        (
            "lookAtHorizontalInner",
            "lookAtHorizontalOuter",
            "lookAtVerticalDown",
            "lookAtVerticalUp",
        ),
        ("xRange", "yRange"),
    ),
}


def _look_at(raw: object, version: str) -> LookAt | None:
    """VRM 1.0 ``lookAt`` or VRM 0.x ``firstPerson`` → :class:`LookAt` (None when absent)."""
    if not isinstance(raw, dict):
        return None
    type_key, expression, maps, keys = _LOOK_AT_FIELDS[version]
    kind = "expression" if raw.get(type_key) == expression else "bone"
    out = 1.0 if kind == "expression" else 10.0
    return LookAt(kind, *(_range(raw.get(name), out, keys) for name in maps))


def rig_humanoid(gltf: pygltflib.GLTF2) -> dict[str, int]:
    """Humanoid bones found by joint name (Mixamo, RobotExpressive …) for non-VRM models.

    When several nodes map to one bone, a node without a mesh (a joint, not a mesh holder)
    wins, then the first in node order.
    """
    out: dict[str, int] = {}
    for index, node in enumerate(gltf.nodes or []):
        bone = humanoid_bone(node.name or "")
        if bone is None:
            continue
        if bone not in out or (gltf.nodes[out[bone]].mesh is not None and node.mesh is None):
            out[bone] = index
    return out


def expression_channels(
    gltf: pygltflib.GLTF2, target_index: dict[tuple[int, int], int]
) -> tuple[dict[str, list[tuple[int, float]]], ExpressionRules]:
    """VRM preset expressions → ({channel: [(global target, weight)]}, their rules).

    Args:
        gltf: the document.
        target_index: (mesh index, local target) → global morph target index.
    """
    out: dict[str, list[tuple[int, float]]] = defaultdict(list)
    binary: set[str] = set()
    overrides: dict[str, tuple[str, str, str]] = {}
    ext = gltf.extensions or {}
    master = (ext.get("VRM") or {}).get("blendShapeMaster") or {}
    for group in master.get("blendShapeGroups") or []:  # VRM 0.x: binds use mesh index, 0–100
        channels = VRM_PRESET_CHANNELS.get(str(group.get("presetName", "")).lower(), ())
        for channel in channels:
            if group.get("isBinary"):
                binary.add(channel)
            for bind in group.get("binds") or []:
                key = (int(bind.get("mesh", -1)), int(bind.get("index", -1)))
                if key in target_index:
                    out[channel].append((target_index[key], float(bind.get("weight", 100)) / 100))
    presets = ((ext.get("VRMC_vrm") or {}).get("expressions") or {}).get("preset") or {}
    for preset, expr in presets.items():  # VRM 1.0: binds use node index, weight 0–1
        for channel in VRM_PRESET_CHANNELS.get(preset.lower(), ()):
            if expr.get("isBinary"):
                binary.add(channel)
            modes = tuple(
                str(expr.get(k, "none"))
                for k in ("overrideMouth", "overrideBlink", "overrideLookAt")
            )
            if modes != ("none", "none", "none"):
                overrides[channel] = modes  # type: ignore[assignment]
            for bind in expr.get("morphTargetBinds") or []:
                node = int(bind.get("node", -1))
                mesh = gltf.nodes[node].mesh if 0 <= node < len(gltf.nodes) else None
                key = (-1 if mesh is None else mesh, int(bind.get("index", -1)))
                if key in target_index:
                    out[channel].append((target_index[key], float(bind.get("weight", 1.0))))
    return dict(out), ExpressionRules(frozenset(binary), overrides)
