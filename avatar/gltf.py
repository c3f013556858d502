"""glTF 2.0 / VRM loader: a ``.glb``, ``.gltf`` or ``.vrm`` file → :class:`avatar.model.Avatar`.

Reads the triangle primitives of every mesh instanced in the default scene: ``POSITION``,
``NORMAL`` (computed when absent), ``COLOR_0``, ``TEXCOORD_0/1``, ``JOINTS_0/1`` +
``WEIGHTS_0/1`` (the four strongest influences kept, renormalised; the geometry in
:mod:`avatar.gltf_geometry`), materials and textures
(:mod:`avatar.gltf_materials`), morph targets from dense or sparse accessors (spec §3.6.2.3),
skins and animations (:mod:`avatar.gltf_nodes`), and VRM 0.x / 1.0 humanoid, expressions and
lookAt (:mod:`avatar.vrm`). Target names come from ``mesh.extras.targetNames`` (the de-facto
convention, glTF issue #1036), else from the first primitive's ``extras.targetNames`` (VRM 0.x),
else ``target_<k>``.

Models with skins, animations or a humanoid head are kept in bind space with a joint palette
(:class:`avatar.model.Skinning`); the rest are pre-transformed to world space. Required
extensions this loader cannot honour (Draco, meshopt, KTX2/Basis textures …) are an
:class:`AvatarLoadError` naming the extension, never a silently empty mesh.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pygltflib
from PIL import Image

from avatar.eyes import dress_eyes, find_eyeballs
from avatar.gltf_extensions import check_extensions
from avatar.gltf_geometry import default_pose, strongest_four, triangle_list
from avatar.gltf_materials import MaterialBuilder
from avatar.gltf_nodes import Instance, clips, inverse_binds, mesh_instances, node_trs, parents
from avatar.gltf_reader import GltfReader
from avatar.mesh import vertex_normals
from avatar.model import Avatar, AvatarLoadError, Material, Skinning, Submesh
from avatar.names import canonical_channels
from avatar.skeleton import Skeleton
from avatar.vrm import expression_channels, read_vrm, rig_humanoid


def load_avatar(path: str | Path, textures: Mapping[str, Image.Image] | None = None) -> Avatar:
    """Load a glTF 2.0 (``.glb``/``.gltf``) or VRM (``.vrm``) avatar.

    Args:
        path: the file.
        textures: material name → image replacing that material's base colour texture
            (e.g. a name badge rendered from config); the image is sRGB like any colour
            texture.

    Returns:
        The :class:`Avatar`, in metres, facing +Z.

    Raises:
        AvatarLoadError: missing/unreadable/malformed file, no triangles, bad accessors, an
            unsupported required extension (named), or a texture override for a material the
            model does not have.
    """
    path = Path(path)
    if not path.is_file():
        raise AvatarLoadError(f"avatar file not found: {path}")
    try:
        with path.open("rb") as fh:
            binary = fh.read(4) == b"glTF"  # GLB container (.glb, .vrm) whatever the suffix
        loader = pygltflib.GLTF2().load_binary if binary else pygltflib.GLTF2().load_json
        gltf = loader(str(path))
    except Exception as exc:  # pygltflib raises bare Exceptions/JSON errors for bad files
        raise AvatarLoadError(f"{_NOT_GLTF}: {path}: {_load_reason(exc)}") from exc
    if gltf is None or not gltf.meshes:
        raise AvatarLoadError(f"no meshes in {path}")
    check_extensions(gltf, path)
    try:
        return _Builder(gltf, GltfReader(gltf, path.parent), path.stem, textures).build()
    except (IndexError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise AvatarLoadError(f"malformed glTF {path}: {exc!r}") from exc


_NOT_GLTF = "not a glTF 2.0 / VRM file (expected .glb, .gltf or .vrm)"


def _load_reason(exc: Exception) -> str:
    """Why pygltflib could not parse a file, in words (not a codec's byte offsets)."""
    if isinstance(exc, UnicodeDecodeError):  # no GLB magic and not UTF-8: an image, audio, …
        return "neither a GLB container nor JSON text"
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON at line {exc.lineno} column {exc.colno}"
    if isinstance(exc, AttributeError | TypeError):  # JSON text that is not an object
        return "JSON, but not a glTF 2.0 document (no 'asset' object at its top)"
    return str(exc) or type(exc).__name__


def _target_names(mesh: pygltflib.Mesh, count: int) -> list[str]:
    for extras in (mesh.extras, mesh.primitives[0].extras if mesh.primitives else None):
        names = (extras or {}).get("targetNames") if isinstance(extras, dict) else None
        if isinstance(names, list) and len(names) == count:
            return [str(n) for n in names]
    return [f"target_{k}" for k in range(count)]


class _Builder:
    """Walks the default scene once, collecting vertex arrays per primitive."""

    def __init__(self, gltf, reader: GltfReader, name: str, textures) -> None:
        self.gltf, self.reader, self.name = gltf, reader, name
        self.materials = MaterialBuilder(gltf, reader, textures)
        self.vrm = read_vrm(gltf)
        self.humanoid = self.vrm.humanoid or rig_humanoid(gltf)
        self.instances = mesh_instances(gltf)
        self.skeletal = bool(
            gltf.skins
            or gltf.animations
            or self.vrm.version
            or {"head", "neck"} & self.humanoid.keys()
        )
        self.palette: list[tuple[int, np.ndarray]] = []  # (node, offset matrix)
        self._palette_slot: dict[tuple[int, int], int] = {}  # (node or skin, joint) → entry
        self.parts: dict[str, list[np.ndarray]] = defaultdict(list)
        self.deltas: dict[int, list[tuple[int, np.ndarray]]] = defaultdict(list)
        self.target_names: list[str] = []
        self.target_index: dict[tuple[int, int], int] = {}
        self.tri_lists: list[tuple[np.ndarray, int | None]] = []
        self.uv_sets = max(
            (
                sum(1 for k in range(4) if getattr(p.attributes, f"TEXCOORD_{k}", None) is not None)
                for m in gltf.meshes
                for p in m.primitives
            ),
            default=0,
        )
        self.count = 0

    # --- palette ------------------------------------------------------------------------------

    def _rigid_entry(self, node: int) -> int:
        key = (-1 - node, 0)
        if key not in self._palette_slot:
            self._palette_slot[key] = len(self.palette)
            self.palette.append((node, np.eye(4)))
        return self._palette_slot[key]

    def _skin_entries(self, skin: int) -> np.ndarray:
        ibm = inverse_binds(self.gltf, self.reader, skin)
        slots = []
        for j, node in enumerate(self.gltf.skins[skin].joints):
            key = (skin, j)
            if key not in self._palette_slot:
                self._palette_slot[key] = len(self.palette)
                self.palette.append((int(node), ibm[j]))
            slots.append(self._palette_slot[key])
        return np.asarray(slots, np.int64)

    # --- primitives ---------------------------------------------------------------------------

    def _register_targets(self, inst: Instance) -> None:
        mesh = self.gltf.meshes[inst.mesh]
        n_targets = max((len(p.targets or []) for p in mesh.primitives), default=0)
        for k, target_name in enumerate(_target_names(mesh, n_targets)):
            if (inst.mesh, k) in self.target_index:
                continue
            if target_name not in self.target_names:
                self.target_names.append(target_name)
            self.target_index[(inst.mesh, k)] = self.target_names.index(target_name)

    def _skin_attributes(self, inst: Instance, attrs, count: int):
        joints_acc = [getattr(attrs, f"JOINTS_{k}", None) for k in (0, 1)]
        weights_acc = [getattr(attrs, f"WEIGHTS_{k}", None) for k in (0, 1)]
        if inst.skin is None or joints_acc[0] is None or weights_acc[0] is None:
            entry = self._rigid_entry(inst.node)
            joints = np.zeros((count, 4), np.int64)
            joints[:, 0] = entry
            weights = np.zeros((count, 4), np.float32)
            weights[:, 0] = 1.0
            return joints, weights
        slots = self._skin_entries(inst.skin)
        pairs = [(j, w) for j, w in zip(joints_acc, weights_acc, strict=True) if j is not None]
        joints = np.concatenate([self.reader.accessor(j).astype(np.int64) for j, _ in pairs], 1)
        weights = np.concatenate([self.reader.floats(w) for _, w in pairs], 1)
        if joints.max(initial=0) >= slots.size:
            raise AvatarLoadError(
                f"a vertex names joint {joints.max()} of a {slots.size}-joint skin"
            )
        joints, weights = strongest_four(joints, weights)
        return slots[joints], weights

    def _primitive(self, inst: Instance, prim, shared: dict) -> None:
        attrs = prim.attributes
        if attrs.POSITION is None:
            return
        key = (
            attrs.POSITION,
            attrs.NORMAL,
            attrs.COLOR_0,
            attrs.TEXCOORD_0,
            attrs.TEXCOORD_1,
            attrs.JOINTS_0,
            tuple(tuple(sorted(t.items())) for t in prim.targets or []),
        )
        pos = self.reader.floats(attrs.POSITION)
        idx = triangle_list(prim.mode, self._indices(prim, len(pos)))
        if key in shared:
            base = shared[key]
        else:
            base = shared[key] = self.count
            self._vertices(inst, prim, pos, idx)
        if self._mirrored(inst):
            idx = idx.reshape(-1, 3)[:, ::-1].ravel()
        self.tri_lists.append((idx.astype(np.uint32) + np.uint32(base), prim.material))

    def _mirrored(self, inst: Instance) -> bool:
        return (not self.skeletal or inst.skin is None) and np.linalg.det(inst.world[:3, :3]) < 0

    def _vertices(self, inst: Instance, prim, pos: np.ndarray, idx: np.ndarray) -> None:
        attrs, n = prim.attributes, len(pos)
        linear = np.eye(3) if self.skeletal else inst.world[:3, :3]
        offset = np.zeros(3) if self.skeletal else inst.world[:3, 3]
        world_pos = pos @ linear.T + offset
        if attrs.NORMAL is not None:
            nrm = self.reader.floats(attrs.NORMAL) @ np.linalg.inv(linear)
        else:
            nrm = vertex_normals(world_pos.astype(np.float32), idx).astype(np.float64)
        nrm /= np.maximum(np.linalg.norm(nrm, axis=1, keepdims=True), 1e-12)
        self.parts["positions"].append(world_pos.astype(np.float32))
        self.parts["normals"].append(nrm.astype(np.float32))
        rgba = np.ones((n, 4), np.float32)
        if attrs.COLOR_0 is not None:
            c = self.reader.accessor(attrs.COLOR_0).astype(np.float32)
            rgba[:, : c.shape[1]] = c[:, :4]
        self.parts["colors"].append(rgba)
        for k in range(self.uv_sets):
            acc = getattr(attrs, f"TEXCOORD_{k}", None)
            uv = self.reader.floats(acc)[:, :2] if acc is not None else np.zeros((n, 2))
            self.parts[f"uv{k}"].append(uv.astype(np.float32))
        if self.skeletal:
            joints, weights = self._skin_attributes(inst, attrs, n)
            self.parts["joints"].append(joints.astype(np.uint16))
            self.parts["weights"].append(weights)
        for k, target in enumerate(prim.targets or []):
            if target.get("POSITION") is not None:
                d = self.reader.floats(target["POSITION"]) @ linear.T
                self.deltas[self.target_index[(inst.mesh, k)]].append((self.count, d))
        self.count += n

    def _indices(self, prim, count: int) -> np.ndarray:
        if prim.indices is None:
            return np.arange(count, dtype=np.uint32)
        idx = self.reader.accessor(prim.indices).ravel().astype(np.uint32)
        if idx.size and int(idx.max()) >= count:
            raise AvatarLoadError("a primitive index points past its vertices")
        return idx

    # --- assembly -----------------------------------------------------------------------------

    def build(self) -> Avatar:
        for inst in self.instances:
            self._register_targets(inst)
            shared: dict = {}
            for prim in self.gltf.meshes[inst.mesh].primitives:
                self._primitive(inst, prim, shared)
        if not self.tri_lists or self.count == 0:
            raise AvatarLoadError("no triangle primitives with POSITION in the default scene")
        materials = [self.materials.build(k) for k in range(len(self.gltf.materials or []))]
        materials.append(Material("default", metallic=0.0, roughness=0.6))
        indices, submeshes = self._submeshes(materials)
        morph_vertices, deltas = self._morphs()
        channels = self._channels()
        cat = {k: np.concatenate(v) for k, v in self.parts.items()}
        texcoords = tuple(cat[f"uv{k}"] for k in range(self.uv_sets))
        skeleton = skinning = None
        animations: tuple = ()
        positions, normals, world_deltas = cat["positions"], cat["normals"], deltas
        if self.skeletal:
            skeleton, animations = self._skeleton()
            skinning = Skinning(positions, normals, cat["joints"], cat["weights"], deltas)
            positions, normals, world_deltas = default_pose(
                skeleton, skinning, animations, morph_vertices
            )
        images = list(self.materials.images)
        colors = cat["colors"]
        materials = dress_eyes(materials, images, submeshes, positions, indices, texcoords, colors)
        eyes: tuple = ()
        if skeleton is None:
            look_moved = np.zeros(self.count, bool)
            for channel, binds in channels[0].items():
                if channel.startswith("eyeLook"):
                    for t, _ in binds:
                        moving = np.linalg.norm(deltas[t], axis=1) > 1e-6
                        look_moved[morph_vertices[moving]] = True
            eyes = find_eyeballs(materials, submeshes, positions, indices, look_moved)
        return Avatar(
            name=self.name,
            positions=positions,
            normals=normals,
            colors=colors,
            indices=indices,
            submeshes=tuple(submeshes),
            materials=tuple(materials),
            images=tuple(images),
            texcoords=texcoords,
            target_names=tuple(self.target_names),
            morph_vertices=morph_vertices,
            morph_deltas=world_deltas,
            channels=channels[0],
            skeleton=skeleton,
            skinning=skinning,
            animations=animations,
            humanoid=self.humanoid if skeleton is not None else {},
            look_at=self.vrm.look_at,
            vrm_version=self.vrm.version,
            expression_rules=channels[1],
            eyes=eyes,
        )

    def _submeshes(self, materials: list[Material]) -> tuple[np.ndarray, list[Submesh]]:
        by_material: dict[int, list[np.ndarray]] = defaultdict(list)
        default = len(materials) - 1
        for tris, material in self.tri_lists:
            by_material[default if material is None else material].append(tris)
        indices, submeshes, first = [], [], 0
        for material, parts in by_material.items():
            tris = np.concatenate(parts)
            indices.append(tris)
            submeshes.append(Submesh(materials[material].name, first, tris.size, material))
            first += tris.size
        return np.concatenate(indices).astype(np.uint32), submeshes

    def _morphs(self) -> tuple[np.ndarray, np.ndarray]:
        moved = np.zeros(self.count, bool)
        for parts in self.deltas.values():
            for base, d in parts:
                moved[base : base + len(d)] |= np.any(d != 0.0, axis=1)
        morph_vertices = np.flatnonzero(moved).astype(np.uint32)
        slot = np.full(self.count, -1, np.int64)
        slot[morph_vertices] = np.arange(morph_vertices.size)
        dense = np.zeros((len(self.target_names), morph_vertices.size, 3), np.float32)
        for t, parts in self.deltas.items():
            for base, d in parts:
                rows = slot[base : base + len(d)]
                keep = rows >= 0
                dense[t, rows[keep]] = d[keep]
        return morph_vertices, dense

    def _channels(self):
        channels: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for t, target_name in enumerate(self.target_names):
            for channel in canonical_channels(target_name):
                channels[channel].append((t, 1.0))
        vrm_channels, rules = expression_channels(self.gltf, self.target_index)
        for channel, binds in vrm_channels.items():
            channels.setdefault(channel, binds)
        return {k: tuple(v) for k, v in channels.items()}, rules

    def _skeleton(self) -> tuple[Skeleton, tuple]:
        nodes = self.gltf.nodes
        trs = [node_trs(n) for n in nodes]
        mesh_targets = {}
        for inst in self.instances:
            n_targets = max(
                (len(p.targets or []) for p in self.gltf.meshes[inst.mesh].primitives), default=0
            )
            mesh_targets[inst.node] = np.asarray(
                [self.target_index[(inst.mesh, k)] for k in range(n_targets)], np.int64
            )
        skeleton = Skeleton(
            names=tuple(n.name or f"node_{i}" for i, n in enumerate(nodes)),
            parents=parents(self.gltf),
            rest_translation=np.stack([t for t, _, _ in trs]),
            rest_rotation=np.stack([r for _, r, _ in trs]),
            rest_scale=np.stack([s for _, _, s in trs]),
            palette_nodes=np.asarray([p[0] for p in self.palette], np.int64),
            palette_offsets=np.stack([p[1] for p in self.palette]),
            root=self.vrm.root,
        )
        return skeleton, clips(self.gltf, self.reader, mesh_targets)
