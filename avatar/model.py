"""The plain-data avatar: vertex arrays, materials and textures, morph targets, skeleton, clips.

Everything the renderer needs and nothing about files: :mod:`avatar.gltf` builds it from glTF 2.0
/ VRM. Materials follow the glTF 2.0 metallic-roughness model (spec §3.9); skins and
animations follow spec §3.7 (skins) and §3.11 (animations).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from avatar.names import VISEME_CHANNELS, VRM_VOWEL_CHANNELS
from avatar.skeleton import Clip, Skeleton


class AvatarLoadError(Exception):
    """An avatar file is missing, malformed, or uses a feature the loader does not support."""


#: glTF sampler wrap modes (spec §5.26, the GL enum values).
REPEAT, CLAMP_TO_EDGE, MIRRORED_REPEAT = 10497, 33071, 33648


@dataclass(frozen=True, slots=True)
class TextureRef:
    """One texture slot of a material (glTF ``textureInfo`` + sampler + KHR_texture_transform).

    Attributes:
        image: index into :attr:`Avatar.images`.
        texcoord: which UV set (``TEXCOORD_<n>``) it reads.
        transform: float32 (2, 3) affine UV transform, ``uv' = T @ (u, v, 1)``
            (KHR_texture_transform: translation · rotation · scale; identity when absent).
        wrap_s, wrap_t: :data:`REPEAT`, :data:`CLAMP_TO_EDGE` or :data:`MIRRORED_REPEAT`.
        mag_filter, min_filter: GL filter enums from the sampler, ``None`` = renderer's choice.
        scale: ``normalTexture.scale`` or ``occlusionTexture.strength`` (1.0 otherwise).
    """

    image: int
    texcoord: int = 0
    transform: tuple[float, float, float, float, float, float] = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
    wrap_s: int = REPEAT
    wrap_t: int = REPEAT
    mag_filter: int | None = None
    min_filter: int | None = None
    scale: float = 1.0


@dataclass(frozen=True, slots=True)
class Material:
    """A glTF 2.0 metallic-roughness material (factors linear, colours in linear RGB).

    Attributes:
        name: the material's name (``material_<k>`` when unnamed).
        base_color: linear RGBA ``baseColorFactor``.
        base_color_texture: sRGB-encoded RGBA texture multiplied into it.
        metallic, roughness: ``metallicFactor`` / ``roughnessFactor`` in [0, 1].
        metallic_roughness_texture: linear; roughness in G, metalness in B.
        normal_texture: tangent-space normal map (scale in :attr:`TextureRef.scale`).
        occlusion_texture: ambient occlusion in R (strength in :attr:`TextureRef.scale`).
        emissive: linear RGB ``emissiveFactor``.
        emissive_texture: sRGB-encoded.
        alpha_mode: ``OPAQUE``, ``MASK`` or ``BLEND``.
        alpha_cutoff: MASK threshold (default 0.5).
        double_sided: draw back faces (with flipped normals).
        unlit: ``KHR_materials_unlit`` (or a VRM unlit shader): base colour only, no lighting.
        shade_color: linear RGB of the shaded side for toon materials (VRM MToon
            ``shadeColorFactor``), ``None`` for physically based shading.
        eye: ``""``, or how :mod:`avatar.eyes` treats an untextured eye part (``"eyeball"``).
        strands: hair drawn as strands (the material's ``extras.strands``): TEXCOORD_0 is
            (azimuth across the strands in rad, height along them in m); the renderer adds a
            strand-direction noise to the albedo and an anisotropic highlight
            (:mod:`avatar.gl_programs`).
        skin: skin (the material's ``extras.skin``): light wraps further in red, a mottle in
            TEXCOORD_0 varies the albedo, and the vertex colour's alpha is the gloss (0 matte,
            1 moist), not an opacity (:data:`avatar.gl_shaders.SKIN`).
    """

    name: str
    base_color: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)
    base_color_texture: TextureRef | None = None
    metallic: float = 1.0
    roughness: float = 1.0
    metallic_roughness_texture: TextureRef | None = None
    normal_texture: TextureRef | None = None
    occlusion_texture: TextureRef | None = None
    emissive: tuple[float, float, float] = (0.0, 0.0, 0.0)
    emissive_texture: TextureRef | None = None
    alpha_mode: str = "OPAQUE"
    alpha_cutoff: float = 0.5
    double_sided: bool = False
    unlit: bool = False
    shade_color: tuple[float, float, float] | None = None
    eye: str = ""
    strands: bool = False
    skin: bool = False

    @property
    def textures(self) -> tuple[TextureRef, ...]:
        """The texture slots in use."""
        slots = (
            self.base_color_texture,
            self.metallic_roughness_texture,
            self.normal_texture,
            self.occlusion_texture,
            self.emissive_texture,
        )
        return tuple(t for t in slots if t is not None)

    @property
    def invisible(self) -> bool:
        """Draws nothing, so it is skipped: BLEND with zero alpha and no texture to raise it,
        or eye geometry :mod:`avatar.eyes` hid."""
        return self.eye == "hidden" or (
            self.alpha_mode == "BLEND"
            and self.base_color[3] <= 0.0
            and self.base_color_texture is None
        )


@dataclass(frozen=True, slots=True)
class Submesh:
    """A run of triangles drawn with one material.

    Attributes:
        name: the material name (``"default"`` for primitives without a material).
        first_index: offset into :attr:`Avatar.indices` (indices, not bytes).
        index_count: number of indices (3 per triangle).
        material: index into :attr:`Avatar.materials`.
    """

    name: str
    first_index: int
    index_count: int
    material: int


@dataclass(frozen=True, slots=True)
class Skinning:
    """Per-vertex skinning over the skeleton's joint palette (linear blend skinning).

    Vertices and morph deltas are in bind space; the drawn position is
    ``Σ_k weights[v, k] · palette[joints[v, k]] @ (bind_positions[v] + morphs)`` (glTF 2.0
    §3.7.3.3). Rigid meshes hang on their node's palette entry with weight 1.

    Attributes:
        bind_positions: float32 (V, 3).
        bind_normals: float32 (V, 3).
        joints: uint16 (V, 4) palette indices.
        weights: float32 (V, 4), rows sum to 1.
        morph_deltas: float32 (T, M, 3), bind-space deltas of :attr:`Avatar.morph_vertices`.
    """

    bind_positions: np.ndarray
    bind_normals: np.ndarray
    joints: np.ndarray
    weights: np.ndarray
    morph_deltas: np.ndarray


@dataclass(frozen=True, slots=True)
class LookAt:
    """How gaze reaches the eyes (VRM 1.0 ``lookAt``; VRM 0.x ``firstPerson``).

    Attributes:
        kind: ``"bone"`` (rotate ``leftEye``/``rightEye``) or ``"expression"`` (weights of
            the lookLeft/Right/Up/Down expressions).
        horizontal_inner, horizontal_outer, vertical_down, vertical_up: range maps
            (input max in degrees, output scale: degrees for bones, a weight for expressions);
            output = min(|angle|, input_max) / input_max · output_scale.
    """

    kind: str
    horizontal_inner: tuple[float, float] = (90.0, 10.0)
    horizontal_outer: tuple[float, float] = (90.0, 10.0)
    vertical_down: tuple[float, float] = (90.0, 10.0)
    vertical_up: tuple[float, float] = (90.0, 10.0)


@dataclass(frozen=True, slots=True)
class ExpressionRules:
    """Per-channel VRM expression behaviour (VRM 1.0 expressions.md "Procedural override").

    Attributes:
        binary: channels whose weight snaps to 0 or 1 at 0.5 (``isBinary``).
        overrides: channel → (mouth, blink, lookAt) modes, each ``none``, ``block``, ``blend``.
    """

    binary: frozenset[str] = frozenset()
    overrides: Mapping[str, tuple[str, str, str]] = field(
        default_factory=lambda: MappingProxyType({})
    )


@dataclass(frozen=True, eq=False)
class Eyeball:
    """An eyeball the renderer turns for gaze (meshes whose eyeLook shapes move only the lids).

    Attributes:
        centre: float32 (3,), the rotation centre in the default pose, metres.
        vertices: uint32 (K,), the vertices that turn with it.
    """

    centre: np.ndarray
    vertices: np.ndarray


def _empty_deltas() -> np.ndarray:
    return np.zeros((0, 0, 3), np.float32)


@dataclass(frozen=True, eq=False)
class Avatar:
    """A triangle mesh with materials, morph targets and optionally a skeleton, in metres.

    glTF axes: +Y up, the avatar faces +Z (VRM 0.x models are turned to face +Z at load), its
    left is +X.

    Attributes:
        name: a label (file stem).
        positions: float32 (V, 3), metres, the default pose (idle clip at 0 s, else rest).
        normals: float32 (V, 3), unit length, same pose.
        colors: float32 (V, 4), linear RGBA vertex colours (ones when the model has none).
        indices: uint32 (I,), triangles, I % 3 == 0.
        submeshes: index ranges with their materials.
        materials: the materials :attr:`Submesh.material` points at.
        images: uint8 (H, W, 4) RGBA texture images as stored (colour textures sRGB-encoded).
        texcoords: float32 (V, 2) per UV set (``TEXCOORD_0``, ``TEXCOORD_1`` …).
        target_names: the model's morph target names, (T,).
        morph_vertices: uint32 (M,), the vertices any target moves (sorted, unique).
        morph_deltas: float32 (T, M, 3), position offsets in metres of those vertices (in the
            default pose's frame for models without a skeleton; see :attr:`skinning`).
        channels: canonical channel (ARKit name, ``viseme_*``, ``vrm_*``) → ((target, weight), …).
        skeleton: node hierarchy and joint palette, or ``None`` (static, pre-transformed mesh).
        skinning: bind-space vertices and joint weights (with :attr:`skeleton`), else ``None``.
        animations: node animation clips (glTF ``animations``).
        humanoid: VRM humanoid bone name → skeleton node index.
        look_at: how gaze drives the eyes, ``None`` for ARKit ``eyeLook*`` shapes or nothing.
        vrm_version: ``"0"``, ``"1"`` or ``""`` (not a VRM).
        expression_rules: VRM ``isBinary`` and procedural overrides of the expressions.
        eyes: eyeballs turned by gaze in the vertex shader (models without a skeleton).
    """

    name: str
    positions: np.ndarray
    normals: np.ndarray
    colors: np.ndarray
    indices: np.ndarray
    submeshes: tuple[Submesh, ...]
    materials: tuple[Material, ...] = (Material("default"),)
    images: tuple[np.ndarray, ...] = ()
    texcoords: tuple[np.ndarray, ...] = ()
    target_names: tuple[str, ...] = ()
    morph_vertices: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint32))
    morph_deltas: np.ndarray = field(default_factory=_empty_deltas)
    channels: Mapping[str, tuple[tuple[int, float], ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    skeleton: Skeleton | None = None
    skinning: Skinning | None = None
    animations: tuple[Clip, ...] = ()
    humanoid: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    look_at: LookAt | None = None
    vrm_version: str = ""
    expression_rules: ExpressionRules = field(default_factory=ExpressionRules)
    eyes: tuple[Eyeball, ...] = ()

    def __post_init__(self) -> None:
        v = self.positions.shape[0]
        if self.positions.shape != (v, 3) or self.normals.shape != (v, 3):
            raise AvatarLoadError(f"positions/normals must be (V, 3), got {self.positions.shape}")
        if self.colors.shape != (v, 4):
            raise AvatarLoadError(f"colors must be (V, 4), got {self.colors.shape}")
        if any(uv.shape != (v, 2) for uv in self.texcoords):
            raise AvatarLoadError("texcoords must be (V, 2) per set")
        if self.indices.ndim != 1 or self.indices.size % 3:
            raise AvatarLoadError("indices must be a flat triangle list")
        if self.indices.size and int(self.indices.max()) >= v:
            raise AvatarLoadError("an index points past the last vertex")
        t, m = len(self.target_names), self.morph_vertices.shape[0]
        if self.morph_deltas.shape != (t, m, 3):
            raise AvatarLoadError(
                f"morph_deltas must be (T={t}, M={m}, 3), got {self.morph_deltas.shape}"
            )
        if any(not 0 <= s.material < len(self.materials) for s in self.submeshes):
            raise AvatarLoadError("a submesh names a material that does not exist")
        if (self.skeleton is None) != (self.skinning is None):
            raise AvatarLoadError("skeleton and skinning come together")
        object.__setattr__(self, "channels", MappingProxyType(dict(self.channels)))
        object.__setattr__(self, "humanoid", MappingProxyType(dict(self.humanoid)))

    @property
    def num_triangles(self) -> int:
        """Triangle count."""
        return self.indices.size // 3

    @property
    def has_visemes(self) -> bool:
        """True when the model carries Oculus ``viseme_*`` targets for the speaking visemes."""
        return all(name in self.channels for name in VISEME_CHANNELS[1:])

    @property
    def has_vrm_vowels(self) -> bool:
        """True when the model has the VRM vowel expressions (aa ih ou ee oh) but no ARKit
        mouth shapes: Oculus visemes then fall back to these five (:mod:`avatar.visemes`)."""
        return all(name in self.channels for name in VRM_VOWEL_CHANNELS) and (
            "jawOpen" not in self.channels
        )

    @property
    def clips(self) -> Mapping[str, float]:
        """Animation clip name → duration in seconds (what ``Pose.clip`` may name)."""
        return MappingProxyType({c.name: c.duration_s for c in self.animations})

    @property
    def idle_clip(self) -> str | None:
        """The clip drawn when a pose names none: the first whose name contains "idle"."""
        for clip in self.animations:
            if "idle" in clip.name.lower():
                return clip.name
        return None

    @property
    def humanoid_bones(self) -> frozenset[str]:
        """VRM humanoid bone names this model maps to joints (``Pose.bones`` keys it obeys)."""
        return frozenset(self.humanoid)

    def bone_position(self, bone: str) -> np.ndarray | None:
        """Default-pose world position (3,) of a humanoid bone, metres; ``None`` if unmapped."""
        if self.skeleton is None or bone not in self.humanoid:
            return None
        idle = next((c for c in self.animations if c.name == self.idle_clip), None)
        world, _ = self.skeleton.node_worlds(idle, 0.0)
        return world[self.humanoid[bone], :3, 3].astype(np.float32)

    def material_of(self, sub: Submesh) -> Material:
        """The :class:`Material` of a submesh."""
        return self.materials[sub.material]

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Axis-aligned bounds of the default pose: (min (3,), max (3,)) float32, metres.

        Only vertices that triangles use count (a skin's unused bind vertices do not).
        """
        used = self.positions[self.indices] if self.indices.size else self.positions
        return used.min(axis=0), used.max(axis=0)

    def target_weights(self, channel_weights: Mapping[str, float]) -> np.ndarray:
        """Morph target weights for channel weights; unknown channels are ignored.

        Args:
            channel_weights: canonical channel → weight (typically in [0, 1]).

        Returns:
            float32 (T,), clipped to [0, 1].
        """
        out = np.zeros(len(self.target_names), np.float32)
        for name, w in channel_weights.items():
            for index, scale in self.channels.get(name, ()):
                out[index] += w * scale
        return np.clip(out, 0.0, 1.0, out=out)

    def channel_centroid(self, channel: str) -> np.ndarray:
        """Default-pose centroid of the vertices a channel moves most (≥ half its largest move).

        A cheap landmark: ``jawOpen`` → the lower lip and chin, ``eyeBlinkLeft`` → the left
        upper lid. Returns float32 (3,), metres.

        Raises:
            KeyError: the avatar has no such channel.
        """
        moves = np.zeros(self.morph_vertices.size, np.float32)
        for index, scale in self.channels[channel]:
            moves += scale * np.linalg.norm(self.morph_deltas[index], axis=1)
        chosen = self.morph_vertices[moves >= 0.5 * moves.max()]
        return self.positions[chosen].mean(axis=0)

    def morphed_positions(self, target_weights: np.ndarray) -> np.ndarray:
        """Default-pose positions plus weighted morph deltas: float32 (V, 3), metres.

        Exact for models without a skeleton; for skinned models the deltas are bind-space, so
        this is an approximation (the renderer skins them properly).
        """
        out = self.positions.copy()
        if self.morph_vertices.size:
            flat = self.morph_deltas.reshape(len(self.target_names), -1)
            out[self.morph_vertices] += (target_weights @ flat).reshape(-1, 3)
        return out
