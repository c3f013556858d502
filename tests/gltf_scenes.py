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
