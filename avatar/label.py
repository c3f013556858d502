"""The "AI-generated" corner mark burnt into every rendered frame, in the session's language.

Synthetic faces must be labelled as AI-generated in the content itself (e.g. China's
"Measures for Labeling AI-Generated Synthetic Content", 2025, explicit labels on video; EU AI
Act Art. 50(4) for deep fakes), in a language the viewer reads: the mark follows the session
language (:meth:`CornerLabel.set_language`). Each language's badge is drawn once with Pillow
into an RGBA tile, with Noto Sans CJK (Debian ``fonts-noto-cjk``, which ``make setup`` installs)
so Chinese shows real glyphs, and alpha-blended onto each frame with numpy (no per-frame text
rendering; ~0.1 ms at 512²).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Mapping

import numpy as np
from PIL import Image, ImageDraw, ImageFont

log = logging.getLogger(__name__)

#: The mark per session language (config ``avatar.ai_label``). "AI生成" is the short form of
#: the Chinese measures' 人工智能生成.
DEFAULT_LABELS: Mapping[str, str] = {"en": "AI-generated", "zh": "AI生成"}
#: Noto Sans CJK, Simplified Chinese face (index 2 of the collection: JP, KR, SC, TC, HK); its
#: Latin letters match, so every language's badge looks the same.
CJK_FONT_FILE = "NotoSansCJK-Regular.ttc"
CJK_FONT_INDEX = 2
_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


@functools.cache
def label_font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The badge font at ``size`` pixels: Noto Sans CJK when installed (Pillow finds it in the
    system font folders), else Pillow's default font (no CJK glyphs; a warning says so)."""
    try:
        return ImageFont.truetype(CJK_FONT_FILE, size, index=CJK_FONT_INDEX)
    except OSError:
        log.warning(
            "%s not found (Debian: fonts-noto-cjk): Chinese labels fall back", CJK_FONT_FILE
        )
        return ImageFont.load_default(size=size)


def _has_cjk_font(font: ImageFont.FreeTypeFont | ImageFont.ImageFont) -> bool:
    return isinstance(font, ImageFont.FreeTypeFont) and "CJK" in " ".join(font.getname())


class CornerLabel:
    """A small translucent badge in the bottom-right corner, in the current language.

    Args:
        text: one label for every language (``"AI"``), or one per language code
            (``{"en": "AI-generated", "zh": "AI生成"}``); empty disables the mark.
        frame_width, frame_height: frame size in pixels.
        scale: badge text height as a fraction of the frame height.
        language: the starting language (``en`` when unknown).
    """

    def __init__(
        self,
        text: str | Mapping[str, str],
        frame_width: int,
        frame_height: int,
        scale: float = 0.04,
        language: str = "en",
    ) -> None:
        self._texts = {"en": text} if isinstance(text, str) else dict(text)
        self._size = (frame_width, frame_height)
        self._scale = scale
        self._tiles: dict[str, tuple[int, int, np.ndarray, np.ndarray] | None] = {}
        self.language = "en"
        self.set_language(language)

    @property
    def text(self) -> str:
        """The mark shown now (``""``: none)."""
        return self._text_for(self.language)

    def _text_for(self, language: str) -> str:
        return (self._texts.get(language) or self._texts.get("en") or "").strip()

    @property
    def box(self) -> tuple[int, int, int, int] | None:
        """The current badge's ``(x, y, width, height)`` in frame pixels; None when none is drawn."""
        tile = self._tiles.get(self.text)
        if tile is None:
            return None
        y, x, _, alpha = tile
        return x, y, alpha.shape[1], alpha.shape[0]

    def set_language(self, language: str) -> None:
        """Show the mark of ``language`` from the next frame on (English when it has none)."""
        self.language = language
        text = self.text
        if text not in self._tiles:
            self._tiles[text] = self._draw(text)

    def _draw(self, text: str) -> tuple[int, int, np.ndarray, np.ndarray] | None:
        """``(y, x, colour (h, w, 3) float32 0-255, alpha (h, w, 1) float32 0-1)`` of the badge,
        or None when there is nothing to draw or the frame is too small for a legible badge."""
        if not text:
            return None
        frame_width, frame_height = self._size
        size = max(10, int(frame_height * self._scale))
        font = label_font(size)
        if _CJK.search(text) and not _has_cjk_font(font):
            text = self._text_for("en") or "AI"  # never a row of empty boxes
        left, top, right, bottom = font.getbbox(text)
        pad = max(3, size // 3)
        w, h = right - left + 2 * pad, bottom - top + 2 * pad
        tile = Image.new("RGBA", (w, h), (0, 0, 0, 0))
        draw = ImageDraw.Draw(tile)
        draw.rounded_rectangle((0, 0, w - 1, h - 1), radius=pad, fill=(20, 24, 32, 150))
        draw.text((pad - left, pad - top), text, font=font, fill=(255, 255, 255, 235))
        rgba = np.asarray(tile, dtype=np.float32) / 255.0
        margin = max(4, frame_height // 64)
        y, x = frame_height - h - margin, frame_width - w - margin
        if x < 0 or y < 0:
            return None
        return y, x, rgba[:, :, :3] * 255.0, rgba[:, :, 3:4]

    def apply(self, frame: np.ndarray) -> np.ndarray:
        """Blend the current language's badge into ``frame`` in place and return it.

        Args:
            frame: ``(H, W, 3) uint8`` RGB of the size given at construction.
        """
        tile = self._tiles.get(self.text)
        if tile is None:
            return frame
        y, x, colour, alpha = tile
        h, w = alpha.shape[:2]
        region = frame[y : y + h, x : x + w]
        region[...] = (region * (1.0 - alpha) + colour * alpha).astype(np.uint8)
        return frame
