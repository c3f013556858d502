"""Small glTF 2.0 / VRM files written by the tests (pygltflib), each built for one check."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pygltflib
from PIL import Image

_COMPONENT = {
    np.dtype(np.float32): 5126,
    np.dtype(np.uint32): 5125,
    np.dtype(np.uint16): 5123,
    np.dtype(np.uint8): 5121,
}
_TYPE = {1: "SCALAR", 2: "VEC2", 3: "VEC3", 4: "VEC4", 16: "MAT4"}


class GltfBuilder:
    """Accumulates one binary buffer and the JSON objects that point into it."""

    def __init__(self) -> None:
        self.blob = bytearray()
        self.gltf = pygltflib.GLTF2(
            scene=0,
            scenes=[pygltflib.Scene(nodes=[])],
            buffers=[pygltflib.Buffer(byteLength=0)],
        )

    def _view(self, data: bytes) -> int:
        while len(self.blob) % 4:
            self.blob += b"\0"
        self.gltf.bufferViews.append(
            pygltflib.BufferView(buffer=0, byteOffset=len(self.blob), byteLength=len(data))
        )
        self.blob += data
        return len(self.gltf.bufferViews) - 1

    def accessor(self, array: np.ndarray, normalized: bool = False) -> int:
        """A tightly packed accessor for an (N,) or (N, C) array."""
        a = np.ascontiguousarray(array)
        width = 1 if a.ndim == 1 else a.shape[1]
        acc = pygltflib.Accessor(
            bufferView=self._view(a.tobytes()),
            componentType=_COMPONENT[a.dtype],
            count=a.shape[0],
            type=_TYPE[width],
            normalized=normalized or None,
        )
        if a.dtype == np.float32 and width == 3:
            acc.min = a.min(axis=0).tolist()
            acc.max = a.max(axis=0).tolist()
        self.gltf.accessors.append(acc)
        return len(self.gltf.accessors) - 1

    def texture(self, rgba: np.ndarray, sampler: pygltflib.Sampler | None = None) -> int:
        """A PNG image + texture (and its sampler) from uint8 (H, W, 4)."""
        png = io.BytesIO()
        Image.fromarray(rgba).save(png, format="PNG")
        self.gltf.images.append(
            pygltflib.Image(bufferView=self._view(png.getvalue()), mimeType="image/png")
        )
        tex = pygltflib.Texture(source=len(self.gltf.images) - 1)
        if sampler is not None:
            self.gltf.samplers.append(sampler)
            tex.sampler = len(self.gltf.samplers) - 1
        self.gltf.textures.append(tex)
        return len(self.gltf.textures) - 1

    def material(self, material: pygltflib.Material) -> int:
        self.gltf.materials.append(material)
        return len(self.gltf.materials) - 1

    def mesh(self, primitives: list[pygltflib.Primitive], **extra) -> int:
        self.gltf.meshes.append(pygltflib.Mesh(primitives=primitives, **extra))
        return len(self.gltf.meshes) - 1

    def node(self, root: bool = True, **fields) -> int:
        self.gltf.nodes.append(pygltflib.Node(**fields))
        index = len(self.gltf.nodes) - 1
        if root:
            self.gltf.scenes[0].nodes.append(index)
        return index

    def save(self, path: Path) -> Path:
        while len(self.blob) % 4:
            self.blob += b"\0"
        self.gltf.buffers[0].byteLength = len(self.blob)
        self.gltf.set_binary_blob(bytes(self.blob))
        self.gltf.save_binary(str(path))
        return path


def quad(
    b: GltfBuilder, material: int | None, size: float = 0.4, z: float = 0.0, uv_scale: float = 1.0
) -> pygltflib.Primitive:
    """A square facing +Z centred on the origin: 4 vertices, 2 triangles, UV (0, 0) top-left."""
    h = size / 2
    pos = np.array([[-h, h, z], [h, h, z], [h, -h, z], [-h, -h, z]], np.float32)
    nrm = np.tile(np.array([0, 0, 1], np.float32), (4, 1))
    uv = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], np.float32) * uv_scale
    idx = np.array([0, 3, 2, 0, 2, 1], np.uint16)  # counter-clockwise seen from +Z
    attrs = pygltflib.Attributes(
        POSITION=b.accessor(pos), NORMAL=b.accessor(nrm), TEXCOORD_0=b.accessor(uv)
    )
    return pygltflib.Primitive(attributes=attrs, indices=b.accessor(idx), material=material)


def checker(cells: int, size: int = 256, alpha: bool = False) -> np.ndarray:
    """A black/white checker (``cells`` per side); with ``alpha`` the black cells are holes."""
    k = np.arange(size) * cells // size
    on = (k[:, None] + k[None, :]) % 2 == 0
    rgba = np.zeros((size, size, 4), np.uint8)
    rgba[on] = 255
    rgba[..., 3] = np.where(on, 255, 0) if alpha else 255
    return rgba


def unlit(base_texture: int | None = None, factor=(1.0, 1.0, 1.0, 1.0), **fields):
    """An unlit (KHR_materials_unlit) material."""
    pbr = pygltflib.PbrMetallicRoughness(baseColorFactor=list(factor))
    if base_texture is not None:
        pbr.baseColorTexture = pygltflib.TextureInfo(index=base_texture)
    return pygltflib.Material(
        pbrMetallicRoughness=pbr, extensions={"KHR_materials_unlit": {}}, **fields
    )


VOWELS = ("aa", "ih", "ou", "ee", "oh")


def vrm_head(path: Path, version: str) -> Path:
    """A tiny skinned VRM: a 9×9 face grid on hips → neck → head, a dark mouth band, a red
    patch on the avatar's left cheek, and one morph target per vowel moving the mouth band.

    VRM 0.x models face −Z (the face grid then points to −Z and the avatar's left is −X);
    VRM 1.0 models face +Z.
    """
    b = GltfBuilder()
    front = -1.0 if version == "0" else 1.0  # the model's forward along Z
    left = front  # the avatar's left along X: +X when it faces +Z, −X when it faces −Z
    row, column = np.divmod(np.arange(81), 9)  # row 0 at the top, column along +X
    pos = np.stack([-0.1 + 0.025 * column, 1.6 - 0.025 * row, np.full(81, 0.05 * front)], 1).astype(
        np.float32
    )
    col = np.tile(np.array([0.8, 0.6, 0.5, 1.0], np.float32), (81, 1))
    mouth = (row == 6) & (column >= 2) & (column <= 6)
    col[mouth] = (0.1, 0.02, 0.02, 1.0)
    cheek = (row >= 2) & (row <= 3) & (np.sign(pos[:, 0] * left) > 0) & (np.abs(pos[:, 0]) > 0.05)
    col[cheek] = (0.9, 0.0, 0.0, 1.0)
    quads = [
        (r * 9 + c, r * 9 + c + 1, (r + 1) * 9 + c + 1, (r + 1) * 9 + c)
        for r in range(8)
        for c in range(8)
    ]
    tris = []
    for a, bb, c, d in quads:  # counter-clockwise seen from the model's front
        tris += [a, d, c, a, c, bb] if front > 0 else [a, bb, c, a, c, d]
    shifts = {
        "aa": (0, -0.04),
        "ih": (0.03, 0.0),
        "ou": (0, 0.02),
        "ee": (-0.03, -0.01),
        "oh": (0, -0.025),
    }
    targets = []
    for vowel in VOWELS:
        dx, dy = shifts[vowel]
        delta = np.zeros((81, 3), np.float32)
        delta[mouth] = (dx * left, dy, 0.0)
        targets.append({"POSITION": b.accessor(delta)})
    joints = np.zeros((81, 4), np.uint16)
    joints[:, 0] = 2  # the head joint
    weights = np.zeros((81, 4), np.float32)
    weights[:, 0] = 1.0
    prim = pygltflib.Primitive(
        attributes=pygltflib.Attributes(
            POSITION=b.accessor(pos),
            COLOR_0=b.accessor(col),
            JOINTS_0=b.accessor(joints),
            WEIGHTS_0=b.accessor(weights),
        ),
        indices=b.accessor(np.asarray(tris, np.uint16)),
        targets=targets,
    )
    mesh = b.mesh([prim], extras={"targetNames": list(VOWELS)})
    head = b.node(root=False, name="Head", translation=[0.0, 0.1, 0.0])
    neck = b.node(root=False, name="Neck", translation=[0.0, 1.35, 0.0], children=[head])
    hips = b.node(name="Hips", translation=[0.0, 0.0, 0.0], children=[neck])
    world = {hips: 0.0, neck: 1.35, head: 1.45}
    ibm = np.stack([np.eye(4) for _ in world])
    for k, y in enumerate(world.values()):
        ibm[k, 1, 3] = -y
    skin = pygltflib.Skin(
        joints=list(world),
        inverseBindMatrices=b.accessor(ibm.transpose(0, 2, 1).reshape(-1, 16).astype(np.float32)),
    )
    b.gltf.skins.append(skin)
    face = b.node(mesh=mesh, skin=0, name="Face")
    bones = {"hips": hips, "neck": neck, "head": head}
    if version == "0":
        b.gltf.extensionsUsed = ["VRM"]
        b.gltf.extensions = {
            "VRM": {
                "specVersion": "0.0",
                "humanoid": {"humanBones": [{"bone": k, "node": v} for k, v in bones.items()]},
                "blendShapeMaster": {
                    "blendShapeGroups": [
                        {"presetName": p, "binds": [{"mesh": mesh, "index": k, "weight": 100}]}
                        for k, p in enumerate(("a", "i", "u", "e", "o"))
                    ]
                },
                "firstPerson": {"lookAtTypeName": "BlendShape"},
            }
        }
    else:
        b.gltf.extensionsUsed = ["VRMC_vrm"]
        b.gltf.extensions = {
            "VRMC_vrm": {
                "specVersion": "1.0",
                "humanoid": {"humanBones": {k: {"node": v} for k, v in bones.items()}},
                "expressions": {
                    "preset": {
                        v: {"morphTargetBinds": [{"node": face, "index": k, "weight": 1.0}]}
                        for k, v in enumerate(VOWELS)
                    }
                },
                "lookAt": {"type": "bone"},
            }
        }
    return b.save(path)
