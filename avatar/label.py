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


#: The badge's text height as a fraction of the frame height when nothing says how large the
#: frame is shown.
SCALE = 0.04
#: The smallest font size, in CSS pixels, the mark may have as the page shows it: 13 px, a
#: capital about 9.5 px high (Noto Sans), a notch above the page's smallest text (its footer,
#: 12 px on a phone). On a 390 px wide phone the page shows the 512² video 146 px high, and
#: the mark at :data:`SCALE` had 5.8 px letters, capitals 4.3 px high (fixes19 #3).
MIN_SHOWN_FONT_PX = 13
#: The largest fraction of the frame height the badge's text may take (a mark shown tiny
#: must not cover the avatar).
MAX_SCALE = 0.12


def legible_scale(shown_height: float | None) -> float:
    """The badge's text height as a fraction of the frame height, so that the mark is at
    least :data:`MIN_SHOWN_FONT_PX` high where the page shows the frame ``shown_height`` CSS
    pixels high: :data:`SCALE`, or more (up to :data:`MAX_SCALE`) for a frame shown small.

    Args:
        shown_height: the height the frame is shown at (CSS px, the offer's
            ``video.shown_height``), or None when unknown.
    """
    if not shown_height or shown_height <= 0:
        return SCALE
    return min(MAX_SCALE, max(SCALE, MIN_SHOWN_FONT_PX / shown_height))


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
        scale: float = SCALE,
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

    @property
    def font_size(self) -> int:
        """The badge's font size in frame pixels."""
        return max(10, int(self._size[1] * self._scale))

    @property
    def cap_height(self) -> int:
        """The height in frame pixels of the badge's capitals ("AI"), its letters' size as a
        reader sees them."""
        _, top, _, bottom = label_font(self.font_size).getbbox("AI")
        return bottom - top

    def set_scale(self, scale: float) -> None:
        """Draw the badge at ``scale`` (text height / frame height) from the next frame on (the
        page's video box changed size: :func:`legible_scale`). Safe beside :meth:`apply` on
        another thread: the tiles are replaced whole."""
        if scale == self._scale:
            return
        self._scale = scale
        self._tiles = {self.text: self._draw(self.text)}

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
        margin = max(4, frame_height // 64)
        size = self.font_size
        font = label_font(size)
        if _CJK.search(text) and not _has_cjk_font(font):
            text = self._text_for("en") or "AI"  # never a row of empty boxes
        while True:
            left, top, right, bottom = font.getbbox(text)
            pad = max(3, size // 3)
            w, h = right - left + 2 * pad, bottom - top + 2 * pad
            if (w + margin <= frame_width and h + margin <= frame_height) or size <= 10:
                break
            # too wide at the legible scale (AI-generated at 0.089 of a 432x768 frame, a
            # phone's small box): smaller, never none (review19: the mark vanished)
            size = max(10, int(size * 0.9))
            font = label_font(size)
        tile = Image.new("RGBA", (w, h), (0, 0, 0, 0))
        draw = ImageDraw.Draw(tile)
        draw.rounded_rectangle((0, 0, w - 1, h - 1), radius=pad, fill=(20, 24, 32, 150))
        draw.text((pad - left, pad - top), text, font=font, fill=(255, 255, 255, 235))
        rgba = np.asarray(tile, dtype=np.float32) / 255.0
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
