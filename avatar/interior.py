"""Mouth interior (teeth, gums, tongue) skipped while it is known to be hidden (pure numpy).

With the lips closed, a head's surface is closed in front of its teeth and gums: nothing
inside can show from any viewpoint, and rigid head motion keeps it so. The renderer counts
the samples an interior part passes (an occlusion query) whenever it draws it; after a draw
that passed none, it skips the part for as long as the morph targets near the mouth keep
their weights (lips that stay closed), and draws (and tests) it again as soon as one changes.
Interior parts are opaque materials named like ``teeth``, ``tooth``, ``gum``, ``tongue`` or
``mouth``; a model that opens its jaw with a ``jaw`` bone always draws them.
"""

from __future__ import annotations

import re

import numpy as np

from avatar.model import Avatar, Submesh

_INTERIOR = re.compile(r"teeth|tooth|gum|tongue|mouth", re.IGNORECASE)
#: Targets moving a vertex within this distance of the interior parts' box count as "near the
#: mouth" (the lips lie ~1 cm in front of the teeth), metres.
NEAR_M = 0.015
#: A target moves a vertex when it displaces it by more than this, metres (below: the slight
#: spread of scanned expressions, e.g. a blink tugging the cheek).
MOVES_M = 1.5e-3


def interior_submeshes(avatar: Avatar) -> list[Submesh]:
    """The avatar's mouth-interior submeshes (empty when a jaw bone could open the mouth)."""
    if "jaw" in avatar.humanoid:
        return []
    return [
        s
        for s in avatar.submeshes
        if _INTERIOR.search(s.name) and avatar.material_of(s).alpha_mode == "OPAQUE"
    ]


class HiddenInterior:
    """Decides per frame whether the interior parts can be skipped.

    Args:
        avatar: the model.
    """

    def __init__(self, avatar: Avatar) -> None:
        parts = interior_submeshes(avatar)
        self.names = frozenset(s.name for s in parts)
        self._near = np.zeros(len(avatar.target_names), bool)
        if parts and avatar.morph_vertices.size:
            tris = np.concatenate(
                [avatar.indices[s.first_index : s.first_index + s.index_count] for s in parts]
            )
            pos = avatar.positions[tris]
            lo, hi = pos.min(axis=0) - NEAR_M, pos.max(axis=0) + NEAR_M
            moved = avatar.positions[avatar.morph_vertices]
            close = np.all((moved >= lo) & (moved <= hi), axis=1)
            self._near = (
                (np.abs(avatar.morph_deltas[:, close]).max(axis=(1, 2)) > 0)
                if (close.any())
                else self._near
            )
        self._hidden_at: np.ndarray | None = None

    def skip(self, weights: np.ndarray) -> bool:
        """True while the last drawn interior passed no sample and the mouth targets kept
        the weights (float32 (T,)) they had then."""
        return self._hidden_at is not None and np.array_equal(weights[self._near], self._hidden_at)

    def report(self, weights: np.ndarray, samples_passed: bool) -> None:
        """Record the occlusion result of a frame that drew the interior."""
        self._hidden_at = None if samples_passed else weights[self._near].copy()
