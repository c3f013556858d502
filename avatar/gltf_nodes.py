"""The glTF node graph: scene traversal, node transforms, skins and animations → :mod:`skeleton`.

Spec references (glTF 2.0): node transforms §3.5.3 (matrix or TRS; a matrix is decomposed,
which holds for the affine rigid-plus-scale transforms avatars use), scenes §3.5.2 (the
default scene, else the nodes no other node lists as a child), skins §3.7.3 (one palette
entry per skin joint with its inverse bind matrix; identity when the accessor is absent),
animations §3.11 (a ``weights`` channel carries one value per morph target per keyframe).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pygltflib

from avatar.gltf_reader import GltfReader
from avatar.model import AvatarLoadError
from avatar.skeleton import Channel, Clip, quat_from_matrix, trs_matrices, validate_channel


@dataclass(frozen=True, slots=True)
class Instance:
    """One mesh placed by one node of the default scene.

    Attributes:
        node: the node index.
        mesh: the mesh index.
        skin: the node's skin index, or ``None``.
        world: float64 (4, 4) the node's rest world matrix.
    """

    node: int
    mesh: int
    skin: int | None
    world: np.ndarray


def node_trs(node: pygltflib.Node) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A node's rest (translation (3,), rotation xyzw (4,), scale (3,)) as float64."""
    if node.matrix:
        m = np.asarray(node.matrix, np.float64).reshape(4, 4).T  # column-major in glTF
        scale = np.linalg.norm(m[:3, :3], axis=0)
        if np.linalg.det(m[:3, :3]) < 0:
            scale[0] = -scale[0]
        rot = m[:3, :3] / np.where(scale == 0, 1.0, scale)
        return m[:3, 3].copy(), quat_from_matrix(rot), scale
    t = np.asarray(node.translation or (0.0, 0.0, 0.0), np.float64)
    r = np.asarray(node.rotation or (0.0, 0.0, 0.0, 1.0), np.float64)
    s = np.asarray(node.scale or (1.0, 1.0, 1.0), np.float64)
    norm = np.linalg.norm(r)
    return t, (r / norm if norm > 0 else np.array([0.0, 0.0, 0.0, 1.0])), s


def node_matrix(node: pygltflib.Node) -> np.ndarray:
    """A node's rest local matrix (4, 4) float64."""
    if node.matrix:
        return np.asarray(node.matrix, np.float64).reshape(4, 4).T
    t, r, s = node_trs(node)
    return trs_matrices(t[None], r[None], s[None])[0]


def scene_roots(gltf: pygltflib.GLTF2) -> list[int]:
    """The root nodes of the default scene (or of the node forest when there is no scene)."""
    if gltf.scenes:
        return list(gltf.scenes[gltf.scene or 0].nodes or [])
    children = {c for n in gltf.nodes for c in (n.children or [])}
    return [i for i in range(len(gltf.nodes)) if i not in children]


def parents(gltf: pygltflib.GLTF2) -> np.ndarray:
    """int64 (N,) parent of each node (−1 for roots and nodes outside the default scene).

    Raises:
        AvatarLoadError: the node graph is not a forest.
    """
    out = np.full(len(gltf.nodes), -1, np.int64)
    seen: set[int] = set()
    stack = list(scene_roots(gltf))
    for root in stack:
        if root >= len(gltf.nodes):
            raise AvatarLoadError(f"scene names node {root}, which does not exist")
    while stack:
        index = stack.pop()
        if index in seen:
            raise AvatarLoadError(f"node graph is not a forest (node {index})")
        seen.add(index)
        for child in gltf.nodes[index].children or []:
            if child >= len(gltf.nodes) or out[child] >= 0:
                raise AvatarLoadError(f"node graph is not a forest (node {child})")
            out[child] = index
            stack.append(child)
    return out


def mesh_instances(gltf: pygltflib.GLTF2) -> list[Instance]:
    """Each node with a mesh in the default scene, with its rest world matrix, in scene order.

    Raises:
        AvatarLoadError: the node graph is not a forest.
    """
    parents(gltf)  # validates the graph
    out: list[Instance] = []
    stack = [(i, np.eye(4)) for i in reversed(scene_roots(gltf))]
    while stack:
        index, parent = stack.pop()
        node = gltf.nodes[index]
        world = parent @ node_matrix(node)
        if node.mesh is not None:
            out.append(Instance(index, node.mesh, node.skin, world))
        stack.extend((c, world) for c in reversed(node.children or []))
    return out


def inverse_binds(gltf: pygltflib.GLTF2, reader: GltfReader, skin_index: int) -> np.ndarray:
    """float64 (J, 4, 4) inverse bind matrices of a skin (identity when not given)."""
    skin = gltf.skins[skin_index]
    count = len(skin.joints)
    if skin.inverseBindMatrices is None:
        return np.tile(np.eye(4), (count, 1, 1))
    raw = reader.floats(skin.inverseBindMatrices)
    if raw.shape != (count, 16):
        raise AvatarLoadError(f"skin {skin_index}: {raw.shape[0]} inverse binds, {count} joints")
    return raw.reshape(count, 4, 4).transpose(0, 2, 1)  # column-major


def clips(
    gltf: pygltflib.GLTF2,
    reader: GltfReader,
    mesh_targets: dict[int, np.ndarray],
) -> tuple[Clip, ...]:
    """The document's animations as clips.

    Args:
        gltf: the document.
        reader: its decoder.
        mesh_targets: node → int64 global morph target index of each of its mesh's targets
            (for ``weights`` channels).

    Raises:
        AvatarLoadError: a malformed sampler (names the animation and channel).
    """
    out: list[Clip] = []
    for a, anim in enumerate(gltf.animations or []):
        name = anim.name or f"animation_{a}"
        channels: list[Channel] = []
        for c, ch in enumerate(anim.channels or []):
            node, path = ch.target.node, ch.target.path
            if node is None or path not in ("translation", "rotation", "scale", "weights"):
                continue  # no target, or an extension's path (KHR_animation_pointer)
            sampler = anim.samplers[ch.sampler]
            interpolation = sampler.interpolation or "LINEAR"
            times = reader.floats(sampler.input).ravel()
            values = reader.floats(sampler.output)
            width = values.shape[1]
            targets = np.zeros(0, np.int64)
            if path == "weights":
                targets = mesh_targets.get(node, np.zeros(0, np.int64))
                width = max(targets.size, 1)
                values = values.reshape(-1, width)
            if interpolation == "CUBICSPLINE":
                values = values.reshape(-1, 3, width)
            try:
                validate_channel(path, interpolation, times, values)
            except ValueError as exc:
                raise AvatarLoadError(f"animation {name!r} channel {c}: {exc}") from exc
            if path == "weights" and targets.size == 0:
                continue
            channels.append(Channel(node, path, interpolation, times, values, targets))
        duration = max((float(ch.times[-1]) for ch in channels), default=0.0)
        out.append(Clip(name, duration, tuple(channels)))
    return tuple(out)
