"""glTF materials, textures and samplers → :class:`avatar.model.Material` / :class:`TextureRef`.

Covers the core metallic-roughness model (glTF 2.0 §3.9), samplers (§5.26), and the extensions
avatars use: ``KHR_texture_transform`` (UV offset/rotation/scale, texCoord override),
``KHR_materials_unlit``, ``KHR_materials_emissive_strength``, ``EXT_texture_webp`` (its WebP
source is preferred), and VRM's MToon (0.x ``materialProperties``, 1.0
``VRMC_materials_mtoon``), drawn as a two-tone toon shade. A runtime override replaces a
material's base colour image (e.g. a name badge whose text comes from config).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace

import numpy as np
import pygltflib
from PIL import Image

from avatar.gltf_reader import GltfReader, image_rgba
from avatar.model import AvatarLoadError, Material, TextureRef


def srgb_to_linear(c: np.ndarray | float) -> np.ndarray:
    """The sRGB EOTF (IEC 61966-2-1): encoded [0, 1] → linear [0, 1]."""
    c = np.asarray(c, np.float64)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def texture_transform(ext: Mapping | None) -> tuple[float, ...]:
    """KHR_texture_transform → (a, b, c, d, e, f) with ``u' = a u + b v + c``,
    ``v' = d u + e v + f`` (translation · rotation · scale, the extension's reference GLSL)."""
    if not ext:
        return (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
    ox, oy = (float(v) for v in ext.get("offset", (0.0, 0.0)))
    sx, sy = (float(v) for v in ext.get("scale", (1.0, 1.0)))
    r = float(ext.get("rotation", 0.0))
    c, s = math.cos(r), math.sin(r)
    # Rotation turns UVs counter-clockwise in the image's v-down frame; checked against the
    # extension's example (offset (0, 1), rotation π/2, scale 0.5 → the lower-left quadrant).
    return (c * sx, s * sy, ox, -s * sx, c * sy, oy)


class MaterialBuilder:
    """Builds materials and collects their images (each decoded once).

    Args:
        gltf: the document.
        reader: its binary decoder.
        overrides: material name → Pillow image replacing that material's base colour
            texture (added, reading ``TEXCOORD_0``, when it had none).

    Raises:
        AvatarLoadError: an override names no material of the model.
    """

    def __init__(
        self,
        gltf: pygltflib.GLTF2,
        reader: GltfReader,
        overrides: Mapping[str, Image.Image] | None = None,
    ) -> None:
        self.gltf = gltf
        self.reader = reader
        self.images: list[np.ndarray] = []
        self._image_slot: dict[int, int] = {}
        self._overrides = dict(overrides or {})
        names = {m.name for m in gltf.materials or []}
        unknown = sorted(set(self._overrides) - names)
        if unknown:
            raise AvatarLoadError(
                f"texture override for unknown material(s) {unknown}; the model has "
                f"{sorted(n for n in names if n)}"
            )
        self._mtoon0 = {}
        vrm0 = (gltf.extensions or {}).get("VRM") or {}
        for props in vrm0.get("materialProperties") or []:
            if isinstance(props, dict) and props.get("shader") == "VRM/MToon":
                self._mtoon0[props.get("name")] = props

    def _image(self, image_index: int) -> int:
        if image_index not in self._image_slot:
            self._image_slot[image_index] = len(self.images)
            self.images.append(self.reader.image(image_index))
        return self._image_slot[image_index]

    def _texture(self, info, scale_name: str | None = None) -> TextureRef | None:
        """A ``textureInfo`` (pygltflib object or dict) → TextureRef, or None when absent."""
        if info is None:
            return None
        get = info.get if isinstance(info, dict) else lambda k, d=None: getattr(info, k, d)
        index = get("index")
        if index is None:
            return None
        texture = self.gltf.textures[index]
        source = texture.source
        webp = (texture.extensions or {}).get("EXT_texture_webp")
        if webp and webp.get("source") is not None:
            source = webp["source"]
        if source is None:
            raise AvatarLoadError(
                f"texture {index} has no image this loader can decode (KTX2/Basis only?)"
            )
        ext = (get("extensions") or {}).get("KHR_texture_transform")
        texcoord = int((ext or {}).get("texCoord", get("texCoord") or 0))
        sampler = (
            self.gltf.samplers[texture.sampler]
            if texture.sampler is not None and self.gltf.samplers
            else None
        )
        scale = get(scale_name) if scale_name else None
        return TextureRef(
            image=self._image(source),
            texcoord=texcoord,
            transform=texture_transform(ext),
            wrap_s=int(sampler.wrapS) if sampler and sampler.wrapS else 10497,
            wrap_t=int(sampler.wrapT) if sampler and sampler.wrapT else 10497,
            mag_filter=int(sampler.magFilter) if sampler and sampler.magFilter else None,
            min_filter=int(sampler.minFilter) if sampler and sampler.minFilter else None,
            scale=float(scale) if scale is not None else 1.0,
        )

    def _override(self, name: str, base: TextureRef | None) -> TextureRef:
        self.images.append(image_rgba(self._overrides[name]))
        slot = len(self.images) - 1
        return TextureRef(image=slot) if base is None else replace(base, image=slot)

    def build(self, index: int) -> Material:
        """Material ``index`` of the document.

        Raises:
            AvatarLoadError: a texture without a decodable image.
        """
        m = self.gltf.materials[index]
        name = m.name or f"material_{index}"
        pbr = m.pbrMetallicRoughness or pygltflib.PbrMetallicRoughness()
        ext = m.extensions or {}
        base_tex = self._texture(pbr.baseColorTexture)
        if name in self._overrides:
            base_tex = self._override(name, base_tex)
        emissive = tuple(float(c) for c in (m.emissiveFactor or (0.0, 0.0, 0.0)))
        strength = (ext.get("KHR_materials_emissive_strength") or {}).get("emissiveStrength")
        if strength is not None:
            emissive = tuple(c * float(strength) for c in emissive)
        return Material(
            name=name,
            base_color=_rgba(pbr.baseColorFactor),
            base_color_texture=base_tex,
            metallic=_factor(pbr.metallicFactor, 1.0),
            roughness=_factor(pbr.roughnessFactor, 1.0),
            metallic_roughness_texture=self._texture(pbr.metallicRoughnessTexture),
            normal_texture=self._texture(m.normalTexture, "scale"),
            occlusion_texture=self._texture(m.occlusionTexture, "strength"),
            emissive=emissive,
            emissive_texture=self._texture(m.emissiveTexture),
            alpha_mode=m.alphaMode or "OPAQUE",
            alpha_cutoff=_factor(m.alphaCutoff, 0.5),
            double_sided=bool(m.doubleSided),
            unlit="KHR_materials_unlit" in ext,
            shade_color=self._shade_color(m, ext),
            strands=isinstance(m.extras, dict) and bool(m.extras.get("strands")),
            skin=isinstance(m.extras, dict) and bool(m.extras.get("skin")),
        )

    def _shade_color(self, m, ext: Mapping) -> tuple[float, float, float] | None:
        mtoon1 = ext.get("VRMC_materials_mtoon")
        if isinstance(mtoon1, dict):
            shade = mtoon1.get("shadeColorFactor") or (0.0, 0.0, 0.0)
            return tuple(float(c) for c in shade[:3])
        props = self._mtoon0.get(m.name)
        if props:  # VRM 0.x stores Unity colours gamma-encoded
            shade = (props.get("vectorProperties") or {}).get("_ShadeColor") or (0.0, 0.0, 0.0)
            return tuple(float(c) for c in srgb_to_linear(np.asarray(shade[:3], np.float64)))
        return None


def _rgba(factor) -> tuple[float, float, float, float]:
    if not factor:
        return (1.0, 1.0, 1.0, 1.0)
    return tuple(float(c) for c in factor)  # type: ignore[return-value]


def _factor(value, default: float) -> float:
    return default if value is None else float(value)
