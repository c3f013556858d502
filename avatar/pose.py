"""The pose the timeline produces and the renderer draws."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

_EMPTY: Mapping[str, float] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Pose:
    """Face and head state at one instant.

    Attributes:
        weights: all blendshape weights by canonical ARKit name, in [0, 1]: expression, blinks
            and the mouth shapes composed from visemes (for avatars with ARKit shapes only).
        expression: the same without the viseme-derived mouth part (for avatars that carry
            Oculus ``viseme_*`` targets, which then take :attr:`visemes` instead).
        visemes: Oculus viseme → weight in [0, 1] (crossfaded, summing to at most 1).
        yaw: head rotation about +Y in radians; positive turns the face toward the avatar's left
            (the viewer's right).
        pitch: about +X, radians; positive lowers the chin (a nod down).
        roll: about +Z, radians; positive tilts the top of the head toward the avatar's right.
    """

    weights: Mapping[str, float] = field(default_factory=lambda: _EMPTY)
    expression: Mapping[str, float] = field(default_factory=lambda: _EMPTY)
    visemes: Mapping[str, float] = field(default_factory=lambda: _EMPTY)
    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0

    def __post_init__(self) -> None:
        for name in ("weights", "expression", "visemes"):
            value = getattr(self, name)
            if not isinstance(value, MappingProxyType):
                object.__setattr__(self, name, MappingProxyType(dict(value)))

    def weight(self, name: str) -> float:
        """One blendshape weight from :attr:`weights` (0.0 when absent)."""
        return float(self.weights.get(name, 0.0))


#: The rest pose: neutral face, eyes open, head straight.
NEUTRAL_POSE = Pose()
