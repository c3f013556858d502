"""The "AI-generated" corner mark burnt into every rendered frame.

Synthetic faces must be labelled as AI-generated in the content itself (e.g. China's
"Measures for Labeling AI-Generated Synthetic Content", 2025, explicit labels on video; EU AI
Act Art. 50(4) for deep fakes). The mark is drawn once with Pillow into an RGBA tile and
alpha-blended onto each frame with numpy (no per-frame text rendering).
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont


class CornerLabel:
    """A small translucent badge in the bottom-right corner.

    Args:
        text: the label (``"AI"``, ``"AI-generated"``); empty disables the mark.
        frame_width, frame_height: frame size in pixels.
        scale: badge text height as a fraction of the frame height.
    """

    def __init__(self, text: str, frame_width: int, frame_height: int, scale: float = 0.04) -> None:
        self.text = text.strip()
        self._tile: np.ndarray | None = None
        self._alpha: np.ndarray | None = None
        if not self.text:
            return
        size = max(10, int(frame_height * scale))
        font = ImageFont.load_default(size=size)
        left, top, right, bottom = font.getbbox(self.text)
        pad = max(3, size // 3)
        w, h = right - left + 2 * pad, bottom - top + 2 * pad
        tile = Image.new("RGBA", (w, h), (0, 0, 0, 0))
        draw = ImageDraw.Draw(tile)
        draw.rounded_rectangle((0, 0, w - 1, h - 1), radius=pad, fill=(20, 24, 32, 150))
        draw.text((pad - left, pad - top), self.text, font=font, fill=(255, 255, 255, 235))
        rgba = np.asarray(tile, dtype=np.float32) / 255.0
        margin = max(4, frame_height // 64)
        self._y = frame_height - h - margin
        self._x = frame_width - w - margin
        if self._x < 0 or self._y < 0:
            return  # frame too small for a legible badge
        self._tile = rgba[:, :, :3] * 255.0
        self._alpha = rgba[:, :, 3:4]

    def apply(self, frame: np.ndarray) -> np.ndarray:
        """Blend the badge into ``frame`` in place and return it.

        Args:
            frame: ``(H, W, 3) uint8`` RGB of the size given at construction.
        """
        if self._tile is None or self._alpha is None:
            return frame
        h, w = self._alpha.shape[:2]
        region = frame[self._y : self._y + h, self._x : self._x + w]
        blended = region * (1.0 - self._alpha) + self._tile * self._alpha
        region[...] = blended.astype(np.uint8)
        return frame
