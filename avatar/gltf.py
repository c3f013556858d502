"""glTF 2.0 / VRM loader: a ``.glb`` or ``.gltf`` file → :class:`avatar.model.Avatar`.

Reads triangle primitives of every mesh instanced in the default scene (node transforms applied),
``POSITION``/``NORMAL``/``COLOR_0``, materials' ``baseColorFactor`` (a base colour texture, when
present, is sampled at the vertices' ``TEXCOORD_0``), and morph targets from dense or sparse
accessors (glTF 2.0 spec, §3.6.2.3 "Sparse Accessors"). Target names come from
``mesh.extras.targetNames`` (the de-facto convention, glTF issue #1036), else from the first
primitive's ``extras.targetNames`` (VRM 0.x), else ``target_<k>``. VRM 0.x
``blendShapeMaster`` and VRM 1.0 ``VRMC_vrm.expressions`` presets add viseme/blink channels.
Skins are ignored (the bind pose is drawn). Units are the file's (glTF: metres).
"""

from __future__ import annotations

import base64
import io
from collections import defaultdict
from pathlib import Path

import numpy as np
import pygltflib
from PIL import Image

from avatar.mesh import vertex_normals
from avatar.model import Avatar, AvatarLoadError, Submesh
from avatar.names import canonical_channels

_COMPONENT_DTYPES = {
    5120: np.int8,
    5121: np.uint8,
    5122: np.int16,
    5123: np.uint16,
    5125: np.uint32,
    5126: np.float32,
}
_TYPE_WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}
_TRIANGLES, _TRIANGLE_STRIP, _TRIANGLE_FAN = 4, 5, 6
# VRM presets → canonical channels (VRM 0.x spec "blendShapeMaster"; VRM 1.0 "expressions").
_VRM_PRESETS = {
    "a": ("viseme_aa",),
    "aa": ("viseme_aa",),
    "i": ("viseme_I",),
    "ih": ("viseme_I",),
    "u": ("viseme_U",),
    "ou": ("viseme_U",),
    "e": ("viseme_E",),
    "ee": ("viseme_E",),
    "o": ("viseme_O",),
    "oh": ("viseme_O",),
    "blink": ("eyeBlinkLeft", "eyeBlinkRight"),
    "blink_l": ("eyeBlinkLeft",),
    "blinkleft": ("eyeBlinkLeft",),
    "blink_r": ("eyeBlinkRight",),
    "blinkright": ("eyeBlinkRight",),
}


class _Reader:
    """Accessor decoding over the file's buffers."""

    def __init__(self, gltf: pygltflib.GLTF2, base_dir: Path) -> None:
        self.gltf = gltf
        self._buffers: dict[int, bytes] = {}
        self._base_dir = base_dir

    def buffer(self, index: int) -> bytes:
        if index not in self._buffers:
            buf = self.gltf.buffers[index]
            if buf.uri is None:
                data = self.gltf.binary_blob()
                if data is None:
                    raise AvatarLoadError(f"buffer {index} has no uri and the file no BIN chunk")
            elif buf.uri.startswith("data:"):
                data = base64.b64decode(buf.uri.split(",", 1)[1])
            else:
                try:
                    data = (self._base_dir / buf.uri).read_bytes()
                except OSError as exc:
                    raise AvatarLoadError(f"cannot read buffer {buf.uri!r}: {exc}") from exc
            self._buffers[index] = bytes(data)
        return self._buffers[index]

    def view_bytes(self, view_index: int) -> tuple[bytes, int, int | None]:
        view = self.gltf.bufferViews[view_index]
        data = self.buffer(view.buffer)
        start = view.byteOffset or 0
        end = start + view.byteLength
        if end > len(data):
            raise AvatarLoadError(f"bufferView {view_index} runs past its buffer")
        return data, start, view.byteStride

    def _strided(self, view_index, offset, count, dtype, width) -> np.ndarray:
        data, start, stride = self.view_bytes(view_index)
        item = np.dtype(dtype).itemsize * width
        stride = stride or item
        begin = start + offset
        need = begin + stride * (count - 1) + item if count else begin
        if need > len(data):
            raise AvatarLoadError(f"accessor data runs past bufferView {view_index}")
        if stride == item:
            flat = np.frombuffer(data, dtype, count * width, begin)
            return flat.reshape(count, width)
        raw = np.frombuffer(data, np.uint8, need - begin, begin)
        rows = np.lib.stride_tricks.as_strided(raw, (count, item), (stride, 1))
        return np.ascontiguousarray(rows).view(dtype).reshape(count, width)

    def accessor(self, index: int) -> np.ndarray:
        """Decode accessor ``index`` → float32 or integer array (count, width)."""
        try:
            acc = self.gltf.accessors[index]
            dtype = _COMPONENT_DTYPES[acc.componentType]
            width = _TYPE_WIDTH[acc.type]
        except (IndexError, KeyError, TypeError) as exc:
            raise AvatarLoadError(f"bad accessor {index}: {exc}") from exc
        if acc.bufferView is None:
            out = np.zeros((acc.count, width), dtype)
        else:
            out = self._strided(acc.bufferView, acc.byteOffset or 0, acc.count, dtype, width)
        if acc.normalized and dtype != np.float32:
            out = np.maximum(out / float(np.iinfo(dtype).max), -1.0).astype(np.float32)
        if acc.sparse is not None and acc.sparse.count:
            sp = acc.sparse
            idx_dtype = _COMPONENT_DTYPES[sp.indices.componentType]
            idx = self._strided(
                sp.indices.bufferView, sp.indices.byteOffset or 0, sp.count, idx_dtype, 1
            ).ravel()
            values = self._strided(
                sp.values.bufferView, sp.values.byteOffset or 0, sp.count, dtype, width
            )
            if acc.normalized and dtype != np.float32:
                values = np.maximum(values / float(np.iinfo(dtype).max), -1.0)
            if idx.size and int(idx.max()) >= acc.count:
                raise AvatarLoadError(f"sparse accessor {index} indexes past its count")
            out = out.astype(np.float32 if acc.normalized else dtype, copy=True)
            out[idx.astype(np.int64)] = values
        return out

    def texture_image(self, texture_index: int) -> np.ndarray | None:
        """The texture's image as float32 (H, W, 4) linear RGBA, or None if unreadable."""
        try:
            image = self.gltf.images[self.gltf.textures[texture_index].source]
            if image.bufferView is not None:
                data, start, _ = self.view_bytes(image.bufferView)
                view = self.gltf.bufferViews[image.bufferView]
                raw = data[start : start + view.byteLength]
            elif image.uri and image.uri.startswith("data:"):
                raw = base64.b64decode(image.uri.split(",", 1)[1])
            else:
                raw = (self._base_dir / image.uri).read_bytes()
            rgba = np.asarray(Image.open(io.BytesIO(raw)).convert("RGBA"), np.float32) / 255.0
        except (OSError, IndexError, TypeError, ValueError, AttributeError):
            return None
        rgba[..., :3] = rgba[..., :3] ** 2.2  # sRGB texture → linear (approximate EOTF)
        return rgba


def _node_matrix(node: pygltflib.Node) -> np.ndarray:
    if node.matrix:
        return np.asarray(node.matrix, np.float64).reshape(4, 4).T  # column-major in glTF
    t = np.eye(4)
    if node.translation:
        t[:3, 3] = node.translation
    r = np.eye(4)
    if node.rotation:
        x, y, z, w = node.rotation
        r[:3, :3] = [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    s = np.eye(4)
    if node.scale:
        s[0, 0], s[1, 1], s[2, 2] = node.scale
    return t @ r @ s


def _mesh_instances(gltf: pygltflib.GLTF2) -> list[tuple[int, np.ndarray]]:
    """(mesh index, world matrix) for each node with a mesh in the default scene."""
    if gltf.scenes:
        roots = gltf.scenes[gltf.scene or 0].nodes or []
    else:
        children = {c for n in gltf.nodes for c in (n.children or [])}
        roots = [i for i in range(len(gltf.nodes)) if i not in children]
    out: list[tuple[int, np.ndarray]] = []
    stack = [(i, np.eye(4)) for i in roots]
    seen: set[int] = set()
    while stack:
        index, parent = stack.pop()
        if index in seen or index >= len(gltf.nodes):
            raise AvatarLoadError(f"node graph is not a forest (node {index})")
        seen.add(index)
        node = gltf.nodes[index]
        world = parent @ _node_matrix(node)
        if node.mesh is not None:
            out.append((node.mesh, world))
        stack.extend((c, world) for c in (node.children or []))
    return out


def _triangles(mode: int | None, indices: np.ndarray) -> np.ndarray:
    mode = _TRIANGLES if mode is None else mode
    if mode == _TRIANGLES:
        return indices[: indices.size - indices.size % 3]
    if mode == _TRIANGLE_STRIP and indices.size >= 3:
        k = np.arange(indices.size - 2)
        a, b = np.where(k % 2 == 0, k, k + 1), np.where(k % 2 == 0, k + 1, k)
        return np.stack([indices[a], indices[b], indices[k + 2]], 1).ravel()
    if mode == _TRIANGLE_FAN and indices.size >= 3:
        k = np.arange(1, indices.size - 1)
        return indices[np.stack([np.zeros_like(k), k, k + 1], 1).ravel()]
    return indices[:0]  # points and lines are not drawn


def _target_names(mesh: pygltflib.Mesh, count: int) -> list[str]:
    for extras in (mesh.extras, mesh.primitives[0].extras if mesh.primitives else None):
        names = (extras or {}).get("targetNames") if isinstance(extras, dict) else None
        if isinstance(names, list) and len(names) == count:
            return [str(n) for n in names]
    return [f"target_{k}" for k in range(count)]


def _vrm_channels(gltf: pygltflib.GLTF2, target_index: dict[tuple[int, int], int]):
    """VRM preset expressions → {channel: [(global target, weight)]}."""
    out: dict[str, list[tuple[int, float]]] = defaultdict(list)
    ext = gltf.extensions or {}
    groups = ((ext.get("VRM") or {}).get("blendShapeMaster") or {}).get("blendShapeGroups") or []
    for group in groups:  # VRM 0.x: binds use mesh index, weight 0..100
        for channel in _VRM_PRESETS.get(str(group.get("presetName", "")).lower(), ()):
            for bind in group.get("binds") or []:
                key = (int(bind.get("mesh", -1)), int(bind.get("index", -1)))
                if key in target_index:
                    out[channel].append((target_index[key], float(bind.get("weight", 100)) / 100))
    presets = ((ext.get("VRMC_vrm") or {}).get("expressions") or {}).get("preset") or {}
    for preset, expr in presets.items():  # VRM 1.0: binds use node index, weight 0..1
        for channel in _VRM_PRESETS.get(preset.lower(), ()):
            for bind in expr.get("morphTargetBinds") or []:
                node = int(bind.get("node", -1))
                mesh = gltf.nodes[node].mesh if 0 <= node < len(gltf.nodes) else None
                key = (-1 if mesh is None else mesh, int(bind.get("index", -1)))
                if key in target_index:
                    out[channel].append((target_index[key], float(bind.get("weight", 1.0))))
    return out


def load_avatar(path: str | Path) -> Avatar:
    """Load a glTF 2.0 (``.glb``/``.gltf``) or VRM (``.vrm``) avatar.

    Args:
        path: the file.

    Returns:
        The :class:`Avatar`, positions in the file's world units (metres per glTF).

    Raises:
        AvatarLoadError: missing/unreadable/malformed file, no triangles, or bad accessors.
    """
    path = Path(path)
    if not path.is_file():
        raise AvatarLoadError(f"avatar file not found: {path}")
    try:
        gltf = pygltflib.GLTF2().load(str(path))
    except Exception as exc:  # pygltflib raises bare Exceptions/JSON errors for bad files
        raise AvatarLoadError(f"not a glTF 2.0 file: {path}: {exc}") from exc
    if gltf is None or not gltf.meshes:
        raise AvatarLoadError(f"no meshes in {path}")
    reader = _Reader(gltf, path.parent)
    try:
        return _build(gltf, reader, path.stem)
    except (IndexError, KeyError, TypeError, ValueError) as exc:
        raise AvatarLoadError(f"malformed glTF {path}: {exc}") from exc


def _build(gltf: pygltflib.GLTF2, reader: _Reader, name: str) -> Avatar:
    positions, normals, colors, tri_lists = [], [], [], []
    deltas: dict[int, list[tuple[int, np.ndarray]]] = defaultdict(list)  # target → (base, d)
    names: list[str] = []
    target_index: dict[tuple[int, int], int] = {}
    name_index: dict[str, int] = {}
    vertex_count = 0
    for mesh_id, world in _mesh_instances(gltf):
        mesh = gltf.meshes[mesh_id]
        n_targets = max((len(p.targets or []) for p in mesh.primitives), default=0)
        local_names = _target_names(mesh, n_targets)
        for k, target_name in enumerate(local_names):
            if target_name not in name_index:
                name_index[target_name] = len(names)
                names.append(target_name)
            target_index[(mesh_id, k)] = name_index[target_name]
        linear = world[:3, :3]
        normal_matrix = np.linalg.inv(linear).T
        shared: dict[tuple, int] = {}  # primitives sharing attribute accessors share vertices
        for prim in mesh.primitives:
            attrs = prim.attributes
            if attrs.POSITION is None:
                continue
            key = (
                attrs.POSITION,
                attrs.NORMAL,
                attrs.COLOR_0,
                attrs.TEXCOORD_0,
                prim.material if _textured(gltf, prim) else None,
                tuple(tuple(sorted(t.items())) for t in prim.targets or []),
            )
            pos = reader.accessor(attrs.POSITION).astype(np.float64)
            if key in shared:
                base = shared[key]
            else:
                base = vertex_count
                shared[key] = base
                world_pos = pos @ linear.T + world[:3, 3]
                positions.append(world_pos.astype(np.float32))
                if attrs.NORMAL is not None:
                    nrm = reader.accessor(attrs.NORMAL).astype(np.float64) @ normal_matrix.T
                else:
                    raw_idx = _triangles(prim.mode, _prim_indices(reader, prim, len(pos)))
                    nrm = vertex_normals(world_pos.astype(np.float32), raw_idx)
                nrm /= np.maximum(np.linalg.norm(nrm, axis=1, keepdims=True), 1e-12)
                normals.append(nrm.astype(np.float32))
                colors.append(_vertex_colors(reader, gltf, prim, len(pos)))
                for k, target in enumerate(prim.targets or []):
                    if target.get("POSITION") is None:
                        continue
                    d = reader.accessor(target["POSITION"]).astype(np.float64) @ linear.T
                    deltas[target_index[(mesh_id, k)]].append((base, d.astype(np.float32)))
                vertex_count += len(pos)
            idx = _prim_indices(reader, prim, len(pos))
            tris = _triangles(prim.mode, idx)
            if np.linalg.det(linear) < 0:  # mirrored node: keep counter-clockwise winding
                tris = tris.reshape(-1, 3)[:, ::-1].ravel()
            tri_lists.append((tris.astype(np.uint32) + np.uint32(base), prim.material))
    if not tri_lists or vertex_count == 0:
        raise AvatarLoadError("no triangle primitives with POSITION in the default scene")
    return _assemble(
        gltf,
        name,
        positions,
        normals,
        colors,
        tri_lists,
        names,
        deltas,
        vertex_count,
        _vrm_channels(gltf, target_index),
    )


def _textured(gltf, prim) -> bool:
    if prim.material is None or prim.attributes.TEXCOORD_0 is None:
        return False
    pbr = gltf.materials[prim.material].pbrMetallicRoughness
    return bool(pbr and pbr.baseColorTexture is not None)


def _prim_indices(reader: _Reader, prim, count: int) -> np.ndarray:
    if prim.indices is None:
        return np.arange(count, dtype=np.uint32)
    idx = reader.accessor(prim.indices).ravel().astype(np.uint32)
    if idx.size and int(idx.max()) >= count:
        raise AvatarLoadError("a primitive index points past its vertices")
    return idx


def _vertex_colors(reader: _Reader, gltf, prim, count: int) -> np.ndarray:
    attrs = prim.attributes
    rgba = np.ones((count, 4), np.float32)
    if attrs.COLOR_0 is not None:
        c = reader.accessor(attrs.COLOR_0).astype(np.float32)
        rgba[:, : c.shape[1]] = c[:, :4]
    material = gltf.materials[prim.material] if prim.material is not None else None
    pbr = material.pbrMetallicRoughness if material else None
    if pbr and pbr.baseColorTexture is not None and attrs.TEXCOORD_0 is not None:
        image = reader.texture_image(pbr.baseColorTexture.index)
        if image is not None:
            uv = reader.accessor(attrs.TEXCOORD_0).astype(np.float32)
            h, w = image.shape[:2]
            x = (np.mod(uv[:, 0], 1.0) * (w - 1)).round().astype(np.int64)
            y = (np.mod(uv[:, 1], 1.0) * (h - 1)).round().astype(np.int64)
            rgba *= image[y, x]
    return rgba


def _assemble(
    gltf, name, positions, normals, colors, tri_lists, names, deltas, vertex_count, vrm_channels
) -> Avatar:
    indices, submeshes, first = [], [], 0
    by_material: dict[object, list[np.ndarray]] = defaultdict(list)
    for tris, material in tri_lists:
        by_material[material].append(tris)
    for material, parts in by_material.items():
        tris = np.concatenate(parts)
        indices.append(tris)
        submeshes.append(_submesh(gltf, material, first, tris.size))
        first += tris.size
    moved = np.zeros(vertex_count, bool)
    for parts in deltas.values():
        for base, d in parts:
            moved[base : base + len(d)] |= np.any(d != 0.0, axis=1)
    morph_vertices = np.flatnonzero(moved).astype(np.uint32)
    slot = np.full(vertex_count, -1, np.int64)
    slot[morph_vertices] = np.arange(morph_vertices.size)
    dense = np.zeros((len(names), morph_vertices.size, 3), np.float32)
    for t, parts in deltas.items():
        for base, d in parts:
            rows = slot[base : base + len(d)]
            keep = rows >= 0
            dense[t, rows[keep]] = d[keep]
    channels: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for t, target_name in enumerate(names):
        for channel in canonical_channels(target_name):
            channels[channel].append((t, 1.0))
    for channel, binds in vrm_channels.items():
        channels.setdefault(channel, binds)
    return Avatar(
        name=name,
        positions=np.concatenate(positions),
        normals=np.concatenate(normals),
        colors=np.concatenate(colors),
        indices=np.concatenate(indices).astype(np.uint32),
        submeshes=tuple(submeshes),
        target_names=tuple(names),
        morph_vertices=morph_vertices,
        morph_deltas=dense,
        channels={k: tuple(v) for k, v in channels.items()},
    )


def _submesh(gltf, material_index, first: int, count: int) -> Submesh:
    if material_index is None:
        return Submesh("default", first, count)
    material = gltf.materials[material_index]
    pbr = material.pbrMetallicRoughness
    color = tuple(pbr.baseColorFactor) if pbr and pbr.baseColorFactor else (1.0, 1.0, 1.0, 1.0)
    rough = pbr.roughnessFactor if pbr and pbr.roughnessFactor is not None else 1.0
    return Submesh(
        name=material.name or f"material_{material_index}",
        first_index=first,
        index_count=count,
        base_color=tuple(float(c) for c in color),
        alpha_mode=material.alphaMode or "OPAQUE",
        double_sided=bool(material.doubleSided),
        roughness=float(rough),
    )
