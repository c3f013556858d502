"""The ICT-FaceKit head as :class:`~avatar.asset.parts.Part` s, with its ARKit morph targets.

Source: ICT-FaceKit (USC Institute for Creative Technologies, MIT licence), its generic neutral
mesh and 53 expression shapes, as converted to glTF in the project's shared data
(``avatar/ict_facekit_head_arkit53_morphs.glb``: one mesh, 12 primitives by material, sparse
morph targets in centimetres under a node scaled by 0.01).

What the build keeps and changes:
* face, back of the head, teeth, gums/tongue and eyelashes; the eye wetness/occlusion shells
  (``M_LacrimalFluid``, ``M_EyeBlend``, ``M_EyeOcclusion``: transparent overlays) are dropped,
  and so are the ICT eyeballs, whose opaque cornea caps hide the irises: the project's own
  eyes replace them (:mod:`avatar.asset.eyes`).
* molars and gums far behind the lips, which no camera in front of the face sees, are cut.
* the neck below the shirt collar is cut (the collar hides it; :mod:`avatar.asset.body`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pygltflib

from avatar.asset.parts import Part

#: The ICT material names → (part name, material name in the built avatar).
_KEEP = {
    "M_Face": ("face", "skin"),
    "M_BackHead": ("backhead", "skin"),
    "M_GumsTongue": ("gums", "mouth"),
    "M_Teeth": ("teeth", "teeth"),
    "M_EyeLashes": ("lashes", "lashes"),
}
LOWER_LASH_Y = 0.0345  # m; below this the ICT lash cards are the lower lashes
LASH_LENGTH = 0.8  # the ICT upper lash cards, shortened to this fraction (less of a black band)
_SYMMETRIC = ("browInnerUp", "cheekPuff")  # split into _L/_R halves by ICT-FaceKit
_EYES = {"M_ScleraLeft", "M_IrisLeft", "M_ScleraRight", "M_IrisRight"}
_DTYPES = {5121: np.uint8, 5123: np.uint16, 5125: np.uint32, 5126: np.float32}
_WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3}


class IctSourceError(RuntimeError):
    """The ICT head file is missing or not the expected conversion."""


def _accessor(gltf: pygltflib.GLTF2, blob: bytes, index: int) -> np.ndarray:
    acc = gltf.accessors[index]
    dtype, width = _DTYPES[acc.componentType], _WIDTH[acc.type]

    def read(view_index: int, offset: int, count: int, dt, w: int) -> np.ndarray:
        view = gltf.bufferViews[view_index]
        start = (view.byteOffset or 0) + offset
        return np.frombuffer(blob, dt, count * w, start).reshape(count, w)

    out = (
        np.zeros((acc.count, width), dtype)
        if acc.bufferView is None
        else read(acc.bufferView, acc.byteOffset or 0, acc.count, dtype, width).copy()
    )
    if acc.sparse is not None and acc.sparse.count:
        sp = acc.sparse
        idx = read(
            sp.indices.bufferView,
            sp.indices.byteOffset or 0,
            sp.count,
            _DTYPES[sp.indices.componentType],
            1,
        ).ravel()
        out[idx.astype(np.int64)] = read(
            sp.values.bufferView, sp.values.byteOffset or 0, sp.count, dtype, width
        )
    return out


class IctHead:
    """The ICT head read from its glTF conversion, in metres.

    Attributes:
        positions: float64 (V, 3).
        normals: float64 (V, 3), smooth normals of the neutral mesh.
        uvs: float64 (V, 2) (ICT's UDIM-like layout: one unit tile per material).
        triangles: material name → int64 (T, 3) into :attr:`positions`.
        morphs: ICT target name (``eyeBlink_L`` …) → float64 (V, 3) deltas, metres; the ICT
            halves of ARKit's symmetric ``browInnerUp`` and ``cheekPuff`` are summed into one.

    Raises:
        IctSourceError: the file is missing or lacks the expected primitives.
    """

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise IctSourceError(
                f"ICT-FaceKit head not found at {path} (the build reads it from the shared data "
                "folder; the built avatar ships in assets/avatar/)"
            )
        gltf = pygltflib.GLTF2().load(str(path))
        blob = gltf.binary_blob()
        mesh = gltf.meshes[0]
        scale = np.asarray(gltf.nodes[0].scale or [1.0, 1.0, 1.0], np.float64)
        first = mesh.primitives[0]
        self.positions = _accessor(gltf, blob, first.attributes.POSITION) * scale
        self.uvs = _accessor(gltf, blob, first.attributes.TEXCOORD_0).astype(np.float64)
        self.normals = _accessor(gltf, blob, first.attributes.NORMAL).astype(np.float64)
        self.triangles: dict[str, np.ndarray] = {}
        for prim in mesh.primitives:
            name = gltf.materials[prim.material].name
            self.triangles[name] = (
                _accessor(gltf, blob, prim.indices).astype(np.int64).reshape(-1, 3)
            )
        names = mesh.extras["targetNames"]
        self.morphs = {
            name: _accessor(gltf, blob, target["POSITION"]) * scale
            for name, target in zip(names, first.targets, strict=True)
        }
        for stem in _SYMMETRIC:  # ARKit has one browInnerUp and one cheekPuff: the halves' sum
            if f"{stem}_L" in self.morphs:
                self.morphs[stem] = self.morphs.pop(f"{stem}_L") + self.morphs.pop(f"{stem}_R")
        missing = (set(_KEEP) | _EYES) - set(self.triangles)
        if missing or len(self.morphs) != 51:
            raise IctSourceError(f"{path}: not the ICT-FaceKit conversion (missing {missing})")

    def part(self, material: str) -> Part:
        """One ICT material as a :class:`Part` (its vertices, UVs and morph deltas)."""
        name, new_material = _KEEP[material]
        tris = self.triangles[material]
        used, inverse = np.unique(tris, return_inverse=True)
        morphs = {k: d[used].astype(np.float64) for k, d in self.morphs.items()}
        morphs = {k: d for k, d in morphs.items() if np.abs(d).max() > 1e-6}
        return Part(
            name,
            new_material,
            self.positions[used],
            inverse.reshape(-1, 3),
            uvs=self.uvs[used],
            morphs=morphs,
            normals=self.normals[used],
        )

    def eye_vertices(self, side: int) -> np.ndarray:
        """Positions (N, 3) of one ICT eyeball (sclera and iris); ``side`` +1 left, −1 right."""
        names = ("M_ScleraLeft", "M_IrisLeft") if side > 0 else ("M_ScleraRight", "M_IrisRight")
        used = np.unique(np.concatenate([self.triangles[n].ravel() for n in names]))
        return self.positions[used]


def head_parts(head: IctHead, collar_y: np.ndarray | None = None) -> list[Part]:
    """The kept ICT parts, with hidden geometry cut (see the module docstring).

    Args:
        head: the source.
        collar_y: optional function-free cut: vertices of the neck below this height (m) at
            their position are removed, given as a callable ``(positions) -> keep mask``.
    """
    parts = [head.part(m) for m in _KEEP]
    out = []
    for part in parts:
        c = part.positions[part.triangles].mean(axis=1)
        keep = np.ones(len(part.triangles), bool)
        if part.name in ("teeth", "gums"):
            keep &= c[:, 2] > (0.072 if part.name == "teeth" else 0.066)  # never in view
        if part.name == "lashes":
            keep &= c[:, 1] > LOWER_LASH_Y  # lower lashes read as dark bags at 512²
        if collar_y is not None and part.name in ("face", "backhead"):
            keep &= collar_y(c)
        out.append(part.subset(keep) if not keep.all() else part)
    face = next(p for p in out if p.name == "face")
    lashes = next(p for p in out if p.name == "lashes")
    _shorten(lashes, face, LASH_LENGTH)
    return out


def _nearest(points: np.ndarray, cloud: np.ndarray) -> np.ndarray:
    """Index into ``cloud`` (N, 3) of the nearest point to each of ``points`` (M, 3)."""
    out = np.empty(len(points), np.int64)
    for start in range(0, len(points), 256):
        chunk = points[start : start + 256]
        d = ((chunk[:, None, :] - cloud[None, :, :]) ** 2).sum(axis=2)
        out[start : start + 256] = d.argmin(axis=1)
    return out


def _shorten(lashes: Part, face: Part, factor: float) -> None:
    """Pull each lash vertex toward its nearest eyelid vertex (rest and morphs alike)."""
    near_eyes = np.flatnonzero(
        (np.abs(face.positions[:, 0]) < 0.07) & (face.positions[:, 1] > 0.015)
    )
    anchor = near_eyes[_nearest(lashes.positions, face.positions[near_eyes])]
    lashes.positions = face.positions[anchor] + factor * (lashes.positions - face.positions[anchor])
    for name, delta in lashes.morphs.items():
        root = face.morphs.get(name, np.zeros_like(face.positions))[anchor]
        lashes.morphs[name] = root + factor * (delta - root)
