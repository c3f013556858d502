"""The plain-data avatar: one vertex array, triangle ranges per material, morph targets.

Everything the renderer needs and nothing about files: :mod:`avatar.gltf` builds it from glTF 2.0
/ VRM, :mod:`avatar.generate` from code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from avatar.names import VISEME_CHANNELS


class AvatarLoadError(Exception):
    """An avatar file is missing, malformed, or uses a feature the loader does not support."""


@dataclass(frozen=True, slots=True)
class Submesh:
    """A run of triangles drawn with one material.

    Attributes:
        name: material name (or ``"default"``).
        first_index: offset into :attr:`Avatar.indices` (indices, not bytes).
        index_count: number of indices (3 per triangle).
        base_color: linear RGBA in [0, 1] (glTF ``baseColorFactor``); multiplies vertex colours.
        alpha_mode: glTF ``OPAQUE``, ``MASK`` or ``BLEND``.
        double_sided: glTF ``doubleSided``.
        roughness: glTF ``roughnessFactor`` in [0, 1]; drives the specular highlight.
    """

    name: str
    first_index: int
    index_count: int
    base_color: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)
    alpha_mode: str = "OPAQUE"
    double_sided: bool = False
    roughness: float = 0.6


@dataclass(frozen=True, eq=False)
class Avatar:
    """A triangle mesh with morph targets, in metres, glTF axes (+Y up, the face looks along +Z).

    Attributes:
        name: a label (file stem).
        positions: float32 (V, 3), metres, node transforms applied.
        normals: float32 (V, 3), unit length.
        colors: float32 (V, 4), linear RGBA vertex colours (ones when the model has none).
        indices: uint32 (I,), triangles, I % 3 == 0.
        submeshes: index ranges with their materials.
        target_names: the model's morph target names, (T,).
        morph_vertices: uint32 (M,), the vertices any target moves (sorted, unique).
        morph_deltas: float32 (T, M, 3), position offsets in metres of those vertices.
        channels: canonical channel (ARKit name or ``viseme_*``) → ((target index, weight), …).
        clips: the model's node animations (glTF ``animations``), name → duration in seconds;
            a :class:`~avatar.pose.Pose` plays one through ``clip``/``clip_time_s``.
        humanoid_bones: the VRM humanoid bone names (``hips``, ``neck``, ``head`` …) this model
            maps to joints (from VRM humanoid data or well-known rig names); a pose's ``bones``
            entries for other names are ignored. Empty for a model without a skeleton.
    """

    name: str
    positions: np.ndarray
    normals: np.ndarray
    colors: np.ndarray
    indices: np.ndarray
    submeshes: tuple[Submesh, ...]
    target_names: tuple[str, ...] = ()
    morph_vertices: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint32))
    morph_deltas: np.ndarray = field(default_factory=lambda: np.zeros((0, 0, 3), np.float32))
    channels: Mapping[str, tuple[tuple[int, float], ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    clips: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    humanoid_bones: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        v = self.positions.shape[0]
        if self.positions.shape != (v, 3) or self.normals.shape != (v, 3):
            raise AvatarLoadError(f"positions/normals must be (V, 3), got {self.positions.shape}")
        if self.colors.shape != (v, 4):
            raise AvatarLoadError(f"colors must be (V, 4), got {self.colors.shape}")
        if self.indices.ndim != 1 or self.indices.size % 3:
            raise AvatarLoadError("indices must be a flat triangle list")
        if self.indices.size and int(self.indices.max()) >= v:
            raise AvatarLoadError("an index points past the last vertex")
        t, m = len(self.target_names), self.morph_vertices.shape[0]
        if self.morph_deltas.shape != (t, m, 3):
            raise AvatarLoadError(
                f"morph_deltas must be (T={t}, M={m}, 3), got {self.morph_deltas.shape}"
            )
        object.__setattr__(self, "channels", MappingProxyType(dict(self.channels)))
        object.__setattr__(self, "clips", MappingProxyType(dict(self.clips)))
        object.__setattr__(self, "humanoid_bones", frozenset(self.humanoid_bones))

    @property
    def num_triangles(self) -> int:
        """Triangle count."""
        return self.indices.size // 3

    @property
    def has_visemes(self) -> bool:
        """True when the model carries Oculus ``viseme_*`` targets for the speaking visemes."""
        return all(name in self.channels for name in VISEME_CHANNELS[1:])

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Axis-aligned bounds of the rest pose: (min (3,), max (3,)) float32, metres."""
        return self.positions.min(axis=0), self.positions.max(axis=0)

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
        """Rest-pose centroid of the vertices a channel moves most (≥ half its largest move).

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
        """Rest positions plus weighted morph deltas: float32 (V, 3), metres (allocates)."""
        out = self.positions.copy()
        if self.morph_vertices.size:
            flat = self.morph_deltas.reshape(len(self.target_names), -1)
            out[self.morph_vertices] += (target_weights @ flat).reshape(-1, 3)
        return out
