"""The studio backdrop behind the avatar (pure numpy; computed once per renderer)."""

from __future__ import annotations

import numpy as np


def studio_backdrop(width: int, height: int) -> np.ndarray:
    """A soft blue-grey vertical gradient with a faint glow behind the head.

    Returns:
        uint8 (height, width, 3) sRGB, row 0 at the top.
    """
    y = (np.arange(height, dtype=np.float64) + 0.5) / height  # 0 at the top
    x = (np.arange(width, dtype=np.float64) + 0.5) / width
    top, bottom = np.array([0.80, 0.86, 0.92]), np.array([0.52, 0.60, 0.70])
    rgb = top + (bottom - top) * y[:, None, None]
    aspect = width / height
    d2 = ((x[None, :] - 0.5) * aspect) ** 2 + (y[:, None] - 0.38) ** 2
    rgb = rgb + 0.08 * np.exp(-6.0 * d2)[..., None]
    return np.clip(rgb * 255.0 + 0.5, 0, 255).astype(np.uint8)
