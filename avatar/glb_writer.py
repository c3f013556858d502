"""Write one skinned mesh with morph targets, textures and clips as glTF 2.0 binary (``.glb``).

All primitives share one vertex buffer (POSITION, NORMAL, COLOR_0 as normalised RGBA16,
TEXCOORD_0, and JOINTS_0/WEIGHTS_0 when skinned) and one set of morph targets stored as sparse
accessors (glTF 2.0 §3.6.2.3), so unmoved vertices cost nothing; target names go to
``mesh.extras.targetNames``. Materials may carry an embedded base-colour image (PNG or JPEG
bytes, §3.8.4). A skin (§3.7.3) is a joint node hierarchy with identity rest rotations and
inverse bind matrices; clips are glTF animations of joint rotations (LINEAR quaternions, §3.11).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pygltflib

_FLOAT, _UBYTE, _USHORT, _UINT = 5126, 5121, 5123, 5125
_ARRAY_BUFFER, _ELEMENT_BUFFER = 34962, 34963


@dataclass(frozen=True, slots=True)
class MaterialSpec:
    """One glTF material (metallic 0).

    Attributes:
        name: material name (the renderer's texture override key).
        roughness: glTF ``roughnessFactor``.
        base_color: linear RGBA ``baseColorFactor``.
        double_sided: glTF ``doubleSided``.
        alpha_mode: ``OPAQUE``, ``MASK`` or ``BLEND``.
        texture: encoded PNG/JPEG bytes of the base-colour image (sRGB), or None.
        texture_mime: ``image/png`` or ``image/jpeg``.
        strands: hair shaded as strands (written as ``extras.strands``; see
            :attr:`avatar.model.Material.strands`).
        skin: shaded as skin, the vertex alpha its gloss (written as ``extras.skin``; see
            :attr:`avatar.model.Material.skin`).
    """

    name: str
    roughness: float = 0.6
    base_color: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)
    double_sided: bool = False
    alpha_mode: str = "OPAQUE"
    texture: bytes | None = None
    texture_mime: str = "image/png"
    strands: bool = False
    skin: bool = False


@dataclass(frozen=True, slots=True)
class SkinSpec:
    """A skeleton and the vertices' bindings.

    Attributes:
        names: joint node names (J,), parents before children.
        parents: parent index per joint (J,), −1 for the root.
        positions: float (J, 3) rest positions in the model's space, metres.
        joints: uint8 (V, 4) joint indices per vertex.
        weights: float (V, 4) weights per vertex (rows sum to 1).
    """

    names: tuple[str, ...]
    parents: tuple[int, ...]
    positions: np.ndarray
    joints: np.ndarray
    weights: np.ndarray


@dataclass(frozen=True, slots=True)
class ClipSpec:
    """One animation: key times (K,) in seconds and joint name → unit quaternions (K, 4) xyzw
    (local rotations; the rest rotation is identity)."""

    name: str
    times_s: np.ndarray
    rotations: dict[str, np.ndarray] = field(default_factory=dict)


class _Blob:
    def __init__(self) -> None:
        self.data = bytearray()
        self.views: list[pygltflib.BufferView] = []
        self.accessors: list[pygltflib.Accessor] = []

    def view(self, raw: bytes, target: int | None = None) -> int:
        while len(self.data) % 4:
            self.data.append(0)
        self.views.append(
            pygltflib.BufferView(
                buffer=0, byteOffset=len(self.data), byteLength=len(raw), target=target
            )
        )
        self.data += raw
        return len(self.views) - 1

    def accessor(
        self, array: np.ndarray, kind: str, ctype: int, target=None, normalized=False, minmax=False
    ) -> int:
        array = np.ascontiguousarray(array)
        acc = pygltflib.Accessor(
            bufferView=self.view(array.tobytes(), target),
            componentType=ctype,
            count=len(array),
            type=kind,
            normalized=normalized or None,
        )
        if minmax:
            acc.min = np.atleast_1d(array.min(axis=0)).tolist()
            acc.max = np.atleast_1d(array.max(axis=0)).tolist()
        self.accessors.append(acc)
        return len(self.accessors) - 1

    def sparse_vec3(self, deltas: np.ndarray, tolerance: float) -> int:
        rows = np.flatnonzero(np.any(np.abs(deltas) > tolerance, axis=1))
        itype, idt = (_USHORT, np.uint16) if len(deltas) < 65536 else (_UINT, np.uint32)
        acc = pygltflib.Accessor(
            componentType=_FLOAT, count=len(deltas), type="VEC3", byteOffset=None
        )
        if rows.size:
            acc.sparse = pygltflib.Sparse(
                count=int(rows.size),
                indices=pygltflib.AccessorSparseIndices(
                    bufferView=self.view(rows.astype(idt).tobytes()), componentType=itype
                ),
                values=pygltflib.AccessorSparseValues(
                    bufferView=self.view(deltas[rows].astype(np.float32).tobytes())
                ),
            )
        dense = np.zeros((1, 3), np.float32) if not rows.size else deltas[rows]
        acc.min = np.minimum(dense.min(axis=0), 0).tolist()
        acc.max = np.maximum(dense.max(axis=0), 0).tolist()
        self.accessors.append(acc)
        return len(self.accessors) - 1


def _materials(gltf: pygltflib.GLTF2, blob: _Blob, specs: list[MaterialSpec]) -> None:
    for spec in specs:
        pbr = pygltflib.PbrMetallicRoughness(
            baseColorFactor=list(spec.base_color),
            metallicFactor=0.0,
            roughnessFactor=spec.roughness,
        )
        if spec.texture is not None:
            gltf.images.append(
                pygltflib.Image(
                    bufferView=blob.view(spec.texture), mimeType=spec.texture_mime, name=spec.name
                )
            )
            gltf.textures.append(pygltflib.Texture(source=len(gltf.images) - 1, sampler=0))
            pbr.baseColorTexture = pygltflib.TextureInfo(index=len(gltf.textures) - 1)
        gltf.materials.append(
            pygltflib.Material(
                name=spec.name,
                doubleSided=spec.double_sided,
                alphaMode=spec.alpha_mode,
                pbrMetallicRoughness=pbr,
                extras=({"strands": True} if spec.strands else {})
                | ({"skin": True} if spec.skin else {}),
            )
        )
    if gltf.textures:  # linear filtering with mipmaps, clamped at the edges
        gltf.samplers.append(
            pygltflib.Sampler(magFilter=9729, minFilter=9987, wrapS=33071, wrapT=33071)
        )


def _skin(gltf: pygltflib.GLTF2, blob: _Blob, skin: SkinSpec) -> list[int]:
    """Add joint nodes (after the mesh node, index 0) and the skin; return the root nodes."""
    first = len(gltf.nodes)
    pos = np.asarray(skin.positions, np.float64)
    for k, (name, parent) in enumerate(zip(skin.names, skin.parents, strict=True)):
        local = pos[k] - (pos[parent] if parent >= 0 else 0.0)
        gltf.nodes.append(pygltflib.Node(name=name, translation=[float(v) for v in local]))
    for k, parent in enumerate(skin.parents):
        if parent >= 0:
            node = gltf.nodes[first + parent]
            node.children = [*(node.children or []), first + k]
    inverse = np.tile(np.eye(4, dtype=np.float32), (len(skin.names), 1, 1))
    inverse[:, :3, 3] = -pos
    ibm = blob.accessor(inverse.transpose(0, 2, 1).reshape(-1, 16), "MAT4", _FLOAT)  # col-major
    roots = [first + k for k, parent in enumerate(skin.parents) if parent < 0]
    gltf.skins.append(
        pygltflib.Skin(
            joints=[first + k for k in range(len(skin.names))],
            inverseBindMatrices=ibm,
            skeleton=roots[0],
        )
    )
    return roots


def _clips(gltf: pygltflib.GLTF2, blob: _Blob, clips: list[ClipSpec], joint_nodes: dict) -> None:
    for clip in clips:
        times = blob.accessor(
            np.asarray(clip.times_s, np.float32).reshape(-1, 1), "SCALAR", _FLOAT, minmax=True
        )
        samplers, channels = [], []
        for joint, quats in clip.rotations.items():
            out = blob.accessor(np.asarray(quats, np.float32), "VEC4", _FLOAT)
            samplers.append(
                pygltflib.AnimationSampler(input=times, output=out, interpolation="LINEAR")
            )
            channels.append(
                pygltflib.AnimationChannel(
                    sampler=len(samplers) - 1,
                    target=pygltflib.AnimationChannelTarget(
                        node=joint_nodes[joint], path="rotation"
                    ),
                )
            )
        gltf.animations.append(
            pygltflib.Animation(name=clip.name, samplers=samplers, channels=channels)
        )


def quantize_weights(weights: np.ndarray) -> np.ndarray:
    """Skin weights (V, 4) as uint16 (V, 4) of 65535ths that sum to exactly 65535 per vertex.

    glTF 2.0 lets ``WEIGHTS_0`` be normalised unsigned shorts, 8 bytes a vertex instead of 16
    (the default avatar's file stays under the repo's 5 MiB for assets); each row is rounded
    down, then the units left go to the largest remainders, so no vertex's weights drift from
    a sum of one (the spec's requirement) by more than float rounding.

    Args:
        weights: float (V, 4), non-negative, each row summing to 1 (rows are renormalised).

    Returns:
        uint16 (V, 4).
    """
    w = np.asarray(weights, np.float64)
    w = w / np.maximum(w.sum(axis=1, keepdims=True), 1e-12) * 65535
    q = np.floor(w)
    short = (65535 - q.sum(axis=1)).astype(np.int64)  # 0..3 units per row
    order = np.argsort(-(w - q), axis=1, kind="stable")
    for k in range(4):
        rows = short > k
        q[np.flatnonzero(rows), order[rows, k]] += 1
    return q.astype(np.uint16)


def write_glb(
    path: str | Path,
    positions: np.ndarray,
    normals: np.ndarray,
    colors: np.ndarray,
    parts: list[tuple[MaterialSpec, np.ndarray]],
    targets: dict[str, np.ndarray],
    name: str = "avatar",
    tolerance_m: float = 2e-5,
    *,
    uvs: np.ndarray | None = None,
    skin: SkinSpec | None = None,
    clips: list[ClipSpec] | tuple[ClipSpec, ...] = (),
    extras: dict | None = None,
) -> int:
    """Write one mesh with one primitive per material.

    Args:
        path: output ``.glb``.
        positions: float32 (V, 3), metres.
        normals: float32 (V, 3), unit.
        colors: float (V, 4), linear RGBA in [0, 1] (stored as normalised uint16).
        parts: (material, uint32 triangle indices (I,)) per primitive.
        targets: morph target name → float32 (V, 3) position deltas, metres.
        name: mesh and node name.
        tolerance_m: morph deltas with every component at most this (metres) are not stored
            (0.02 mm: far below a pixel at any kiosk framing).
        uvs: float (V, 2) texture coordinates (TEXCOORD_0), or None.
        skin: joints and vertex bindings, or None for a rigid mesh.
        clips: animations of the skin's joints.
        extras: JSON-able ``asset.extras`` (e.g. licence notes).

    Returns:
        The file size in bytes.
    """
    blob = _Blob()
    attrs = pygltflib.Attributes(
        POSITION=blob.accessor(
            positions.astype(np.float32), "VEC3", _FLOAT, _ARRAY_BUFFER, minmax=True
        ),
        NORMAL=blob.accessor(normals.astype(np.float32), "VEC3", _FLOAT, _ARRAY_BUFFER),
        COLOR_0=blob.accessor(  # 16 bits: linear darks (a navy suit) band at 8
            np.clip(np.round(colors * 65535), 0, 65535).astype(np.uint16),
            "VEC4",
            _USHORT,
            _ARRAY_BUFFER,
            normalized=True,
        ),
    )
    if uvs is not None:
        attrs.TEXCOORD_0 = blob.accessor(uvs.astype(np.float32), "VEC2", _FLOAT, _ARRAY_BUFFER)
    if skin is not None:
        attrs.JOINTS_0 = blob.accessor(skin.joints.astype(np.uint8), "VEC4", _UBYTE, _ARRAY_BUFFER)
        attrs.WEIGHTS_0 = blob.accessor(  # 16 bits normalised (glTF 2.0 §3.7.3.1)
            quantize_weights(skin.weights), "VEC4", _USHORT, _ARRAY_BUFFER, normalized=True
        )
    target_refs = [
        {"POSITION": blob.sparse_vec3(d.astype(np.float32), tolerance_m)} for d in targets.values()
    ]
    small = len(positions) < 65536
    primitives = []
    for k, (_, indices) in enumerate(parts):
        idx = indices.astype(np.uint16 if small else np.uint32)
        ind = blob.accessor(idx, "SCALAR", _USHORT if small else _UINT, _ELEMENT_BUFFER)
        primitives.append(
            pygltflib.Primitive(
                attributes=attrs, indices=ind, material=k, targets=target_refs or None
            )
        )
    gltf = pygltflib.GLTF2(
        asset=pygltflib.Asset(
            version="2.0", generator="digital-human-engine avatar.generate", extras=extras
        ),
        scene=0,
        scenes=[pygltflib.Scene(nodes=[0])],
        nodes=[pygltflib.Node(mesh=0, name=name)],
        meshes=[
            pygltflib.Mesh(
                name=name,
                primitives=primitives,
                weights=[0.0] * len(targets) or None,
                extras={"targetNames": list(targets)},
            )
        ],
    )
    _materials(gltf, blob, [spec for spec, _ in parts])
    if skin is not None:
        gltf.nodes[0].skin = 0
        gltf.scenes[0].nodes += _skin(gltf, blob, skin)
        joint_nodes = {n: 1 + k for k, n in enumerate(skin.names)}
        _clips(gltf, blob, list(clips), joint_nodes)
    gltf.accessors, gltf.bufferViews = blob.accessors, blob.views
    gltf.buffers = [pygltflib.Buffer(byteLength=len(blob.data))]
    gltf.set_binary_blob(bytes(blob.data))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    gltf.save_binary(str(path))
    return Path(path).stat().st_size
