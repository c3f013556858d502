"""GL texture objects for an avatar's images, one per (image, colour space, sampler) in use.

Colour textures (base colour, emissive) are ``SRGB8_ALPHA8`` so sampling decodes them to linear
light (glTF 2.0 §3.9.2: colour textures are sRGB-encoded); data textures (metal-roughness,
normal, occlusion) are ``RGBA8``. Every texture gets mipmaps. A sampler without filters gets
trilinear-free ``LINEAR_MIPMAP_NEAREST`` minification (cheaper on llvmpipe, no aliasing) and
``LINEAR`` magnification (glTF leaves the choice to the viewer when they are undefined).
"""

from __future__ import annotations

import numpy as np
from OpenGL import GL

from avatar.model import TextureRef

_MIPMAP_FILTERS = {
    GL.GL_NEAREST_MIPMAP_NEAREST,
    GL.GL_LINEAR_MIPMAP_NEAREST,
    GL.GL_NEAREST_MIPMAP_LINEAR,
    GL.GL_LINEAR_MIPMAP_LINEAR,
}


class TextureCache:
    """Creates textures on demand (GL thread only).

    Args:
        images: uint8 (H, W, 4) RGBA images, row 0 = UV v 0 (the image's top).
    """

    def __init__(self, images: tuple[np.ndarray, ...]) -> None:
        self._images = images
        self._textures: dict[tuple, int] = {}
        self._swapped: list[np.ndarray] = []  # images given to :meth:`get_image` (ids stay unique)

    def get(self, ref: TextureRef, srgb: bool) -> int:
        """The GL texture name for ``ref`` sampled as sRGB (colour) or linear (data)."""
        key = (ref.image, srgb, ref.wrap_s, ref.wrap_t, ref.min_filter, ref.mag_filter)
        if key not in self._textures:
            self._textures[key] = self._create(self._images[ref.image], ref, srgb)
        return self._textures[key]

    def get_image(self, image: np.ndarray, ref: TextureRef, srgb: bool) -> int:
        """The GL texture name for ``image`` (uint8 (H, W, 4) RGBA) with ``ref``'s sampler,
        uploaded on first use and kept: an image swapped in again (a session's language back
        to one it had) is bound, not uploaded again. The cache holds the image, so its ``id``
        names it for as long as this scene lives."""
        key = ("image", id(image), srgb, ref.wrap_s, ref.wrap_t, ref.min_filter, ref.mag_filter)
        if key not in self._textures:
            self._swapped.append(image)
            self._textures[key] = self._create(image, ref, srgb)
        return self._textures[key]

    def _create(self, pixels: np.ndarray, ref: TextureRef, srgb: bool) -> int:
        image = np.ascontiguousarray(pixels, np.uint8)
        h, w = image.shape[:2]
        tex = GL.glGenTextures(1)
        GL.glBindTexture(GL.GL_TEXTURE_2D, tex)
        GL.glPixelStorei(GL.GL_UNPACK_ALIGNMENT, 1)
        fmt = GL.GL_SRGB8_ALPHA8 if srgb else GL.GL_RGBA8
        GL.glTexImage2D(GL.GL_TEXTURE_2D, 0, fmt, w, h, 0, GL.GL_RGBA, GL.GL_UNSIGNED_BYTE, image)
        GL.glGenerateMipmap(GL.GL_TEXTURE_2D)
        min_filter = ref.min_filter or GL.GL_LINEAR_MIPMAP_NEAREST
        mag_filter = ref.mag_filter or GL.GL_LINEAR
        for param, value in (
            (GL.GL_TEXTURE_MIN_FILTER, min_filter),
            (GL.GL_TEXTURE_MAG_FILTER, mag_filter),
            (GL.GL_TEXTURE_WRAP_S, ref.wrap_s),
            (GL.GL_TEXTURE_WRAP_T, ref.wrap_t),
        ):
            GL.glTexParameteri(GL.GL_TEXTURE_2D, param, int(value))
        if min_filter not in _MIPMAP_FILTERS:
            GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_MAX_LEVEL, 0)
        return tex
