"""Write meshes with morph targets as a glTF 2.0 binary (``.glb``) with pygltflib.

All primitives share one vertex buffer (POSITION, NORMAL, COLOR_0 as normalised RGBA8) and one
set of morph targets stored as sparse accessors (glTF 2.0 §3.6.2.3), so unmoved vertices cost
nothing; target names go to ``mesh.extras.targetNames``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pygltflib

_FLOAT, _UBYTE, _USHORT, _UINT = 5126, 5121, 5123, 5125
_ARRAY_BUFFER, _ELEMENT_BUFFER = 34962, 34963


@dataclass(frozen=True, slots=True)
class MaterialSpec:
    """One glTF material: name, roughness, linear RGBA factor, sidedness (metallic is 0)."""

    name: str
    roughness: float = 0.6
    base_color: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)
    double_sided: bool = False


class _Blob:
    def __init__(self) -> None:
        self.data = bytearray()
        self.views: list[pygltflib.BufferView] = []
        self.accessors: list[pygltflib.Accessor] = []

    def view(self, array: np.ndarray, target: int | None = None) -> int:
        while len(self.data) % 4:
            self.data.append(0)
        raw = np.ascontiguousarray(array).tobytes()
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
        acc = pygltflib.Accessor(
            bufferView=self.view(array, target),
            componentType=ctype,
            count=len(array),
            type=kind,
            normalized=normalized or None,
        )
        if minmax:
            acc.min = array.min(axis=0).tolist()
            acc.max = array.max(axis=0).tolist()
        self.accessors.append(acc)
        return len(self.accessors) - 1

    def sparse_vec3(self, deltas: np.ndarray, tolerance: float) -> int:
        rows = np.flatnonzero(np.any(np.abs(deltas) > tolerance, axis=1))
        itype, idt = (_USHORT, np.uint16) if len(deltas) < 65536 else (_UINT, np.uint32)
        acc = pygltflib.Accessor(componentType=_FLOAT, count=len(deltas), type="VEC3")
        if rows.size:
            acc.sparse = pygltflib.Sparse(
                count=int(rows.size),
                indices=pygltflib.AccessorSparseIndices(
                    bufferView=self.view(rows.astype(idt)), componentType=itype
                ),
                values=pygltflib.AccessorSparseValues(
                    bufferView=self.view(deltas[rows].astype(np.float32))
                ),
            )
        dense = np.zeros((1, 3), np.float32) if not rows.size else deltas[rows]
        acc.min = np.minimum(dense.min(axis=0), 0).tolist()
        acc.max = np.maximum(dense.max(axis=0), 0).tolist()
        self.accessors.append(acc)
        return len(self.accessors) - 1


def write_glb(
    path: str | Path,
    positions: np.ndarray,
    normals: np.ndarray,
    colors: np.ndarray,
    parts: list[tuple[MaterialSpec, np.ndarray]],
    targets: dict[str, np.ndarray],
    name: str = "avatar",
    tolerance_m: float = 2e-5,
) -> int:
    """Write one mesh with one primitive per material.

    Args:
        path: output ``.glb``.
        positions: float32 (V, 3), metres.
        normals: float32 (V, 3), unit.
        colors: float (V, 4), linear RGBA in [0, 1] (stored as normalised uint8).
        parts: (material, uint32 triangle indices (I,)) per primitive.
        targets: morph target name → float32 (V, 3) position deltas, metres.
        name: mesh and node name.
        tolerance_m: morph deltas with every component at most this (metres) are not stored
            (0.02 mm: far below a pixel at any kiosk framing; the Gaussian tails of the
            authored regions would otherwise store every vertex).

    Returns:
        The file size in bytes.
    """
    blob = _Blob()
    pos = blob.accessor(positions.astype(np.float32), "VEC3", _FLOAT, _ARRAY_BUFFER, minmax=True)
    nrm = blob.accessor(normals.astype(np.float32), "VEC3", _FLOAT, _ARRAY_BUFFER)
    rgba8 = np.clip(np.round(colors * 255), 0, 255).astype(np.uint8)
    col = blob.accessor(rgba8, "VEC4", _UBYTE, _ARRAY_BUFFER, normalized=True)
    target_refs = [
        {"POSITION": blob.sparse_vec3(d.astype(np.float32), tolerance_m)} for d in targets.values()
    ]
    small = len(positions) < 65536
    materials, primitives = [], []
    for k, (spec, indices) in enumerate(parts):
        idx = indices.astype(np.uint16 if small else np.uint32)
        ind = blob.accessor(idx, "SCALAR", _USHORT if small else _UINT, _ELEMENT_BUFFER)
        materials.append(
            pygltflib.Material(
                name=spec.name,
                doubleSided=spec.double_sided,
                pbrMetallicRoughness=pygltflib.PbrMetallicRoughness(
                    baseColorFactor=list(spec.base_color),
                    metallicFactor=0.0,
                    roughnessFactor=spec.roughness,
                ),
            )
        )
        primitives.append(
            pygltflib.Primitive(
                attributes=pygltflib.Attributes(POSITION=pos, NORMAL=nrm, COLOR_0=col),
                indices=ind,
                material=k,
                targets=target_refs or None,
            )
        )
    gltf = pygltflib.GLTF2(
        asset=pygltflib.Asset(version="2.0", generator="digital-human-engine avatar.generate"),
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
        materials=materials,
        accessors=blob.accessors,
        bufferViews=blob.views,
        buffers=[pygltflib.Buffer(byteLength=len(blob.data))],
    )
    gltf.set_binary_blob(bytes(blob.data))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    gltf.save_binary(str(path))
    return Path(path).stat().st_size
