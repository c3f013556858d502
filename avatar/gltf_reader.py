"""Decoding a glTF 2.0 file's binary data: buffers, accessors (dense and sparse), images.

Accessors follow spec §3.6.2 (strided buffer views, normalised integers map to [0, 1] or
[−1, 1] per §3.11 "normalized", sparse substitution per §3.6.2.3). Images decode with Pillow
(PNG, JPEG, and WebP for ``EXT_texture_webp``); KTX2/Basis images are refused by the loader
before they get here.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
import pygltflib
from PIL import Image

from avatar.model import AvatarLoadError

_COMPONENT_DTYPES = {
    5120: np.int8,
    5121: np.uint8,
    5122: np.int16,
    5123: np.uint16,
    5125: np.uint32,
    5126: np.float32,
}
_TYPE_WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}
#: Texture images larger than this (pixels per side) are downscaled at load: more detail than a
#: 1080p frame can show, and llvmpipe samples big textures slowly.
MAX_TEXTURE_SIZE = 2048


class GltfReader:
    """Accessor and image decoding over one file's buffers.

    Args:
        gltf: the parsed document.
        base_dir: the folder external ``uri`` buffers and images are relative to.
    """

    def __init__(self, gltf: pygltflib.GLTF2, base_dir: Path) -> None:
        self.gltf = gltf
        self._buffers: dict[int, bytes] = {}
        self._base_dir = base_dir

    def _uri_bytes(self, uri: str) -> bytes:
        if uri.startswith("data:"):
            return base64.b64decode(uri.split(",", 1)[1])
        try:
            return (self._base_dir / uri).read_bytes()
        except OSError as exc:
            raise AvatarLoadError(f"cannot read {uri!r}: {exc}") from exc

    def buffer(self, index: int) -> bytes:
        """The bytes of buffer ``index`` (the GLB's BIN chunk when it has no ``uri``)."""
        if index not in self._buffers:
            buf = self.gltf.buffers[index]
            if buf.uri is None:
                data = self.gltf.binary_blob()
                if data is None:
                    raise AvatarLoadError(f"buffer {index} has no uri and the file no BIN chunk")
            else:
                data = self._uri_bytes(buf.uri)
            self._buffers[index] = bytes(data)
        return self._buffers[index]

    def view_bytes(self, view_index: int) -> tuple[bytes, int, int | None]:
        """(buffer bytes, start offset, byteStride or None) of a buffer view."""
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

    @staticmethod
    def _normalize(values: np.ndarray, dtype) -> np.ndarray:
        return np.maximum(values / float(np.iinfo(dtype).max), -1.0).astype(np.float32)

    def accessor(self, index: int) -> np.ndarray:
        """Decode accessor ``index`` → array (count, width): float32 for floats and normalised
        integers, else the stored integer type.

        Raises:
            AvatarLoadError: a bad accessor, or data running past its buffer.
        """
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
        normalized = bool(acc.normalized) and dtype != np.float32
        if normalized:
            out = self._normalize(out, dtype)
        if acc.sparse is not None and acc.sparse.count:
            sp = acc.sparse
            idx_dtype = _COMPONENT_DTYPES[sp.indices.componentType]
            idx = self._strided(
                sp.indices.bufferView, sp.indices.byteOffset or 0, sp.count, idx_dtype, 1
            ).ravel()
            values = self._strided(
                sp.values.bufferView, sp.values.byteOffset or 0, sp.count, dtype, width
            )
            if normalized:
                values = self._normalize(values, dtype)
            if idx.size and int(idx.max()) >= acc.count:
                raise AvatarLoadError(f"sparse accessor {index} indexes past its count")
            out = out.copy()
            out[idx.astype(np.int64)] = values
        return out

    def floats(self, index: int) -> np.ndarray:
        """Accessor ``index`` as float64 (count, width) (integer data converted as stored)."""
        return self.accessor(index).astype(np.float64)

    def image(self, image_index: int) -> np.ndarray:
        """Image ``image_index`` as uint8 (H, W, 4) RGBA as stored (no colour conversion),
        downscaled to at most :data:`MAX_TEXTURE_SIZE` per side.

        Raises:
            AvatarLoadError: missing or undecodable image data (names the image).
        """
        try:
            image = self.gltf.images[image_index]
            if image.bufferView is not None:
                data, start, _ = self.view_bytes(image.bufferView)
                raw = data[start : start + self.gltf.bufferViews[image.bufferView].byteLength]
            elif image.uri:
                raw = self._uri_bytes(image.uri)
            else:
                raise AvatarLoadError("it has neither bufferView nor uri")
            with Image.open(io.BytesIO(raw)) as pil:
                return image_rgba(pil)
        except (OSError, IndexError, ValueError, Image.DecompressionBombError) as exc:
            raise AvatarLoadError(f"cannot decode image {image_index}: {exc}") from exc


def image_rgba(pil: Image.Image) -> np.ndarray:
    """A Pillow image → uint8 (H, W, 4) RGBA, downscaled to :data:`MAX_TEXTURE_SIZE`."""
    rgba = pil.convert("RGBA")
    if max(rgba.size) > MAX_TEXTURE_SIZE:
        scale = MAX_TEXTURE_SIZE / max(rgba.size)
        size = (max(1, round(rgba.width * scale)), max(1, round(rgba.height * scale)))
        rgba = rgba.resize(size, Image.Resampling.LANCZOS)
    return np.array(rgba, np.uint8)
