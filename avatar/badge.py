"""The name badge's image: brand colour, a name line and a second line, drawn with Pillow.

The default avatar's ``badge`` material carries a default image; at load time the engine
replaces it with one drawn from config (``avatar.badge``: ``text``, ``subtitle``, ``color``,
``text_color``), so a brand team changes the badge without rebuilding the model. Text is set in
Noto Sans CJK (the ``fonts-noto-cjk`` Debian package, SIL Open Font Licence) so Chinese names
render; Pillow's built-in font is the fallback.

The badge speaks the session's language like the rest of the page: :func:`badge_texture` bakes
one texture per distinct badge (so one per language), once per process, read-only, and every
pooled renderer of every session shares it (``Renderer.set_texture`` swaps it in).
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

#: The default avatar's material that carries the badge (:func:`avatar.asset.body.badge`).
BADGE_MATERIAL = "badge"
#: Pixels of the badge image; its aspect matches the badge quad (75 × 24 mm).
BADGE_SIZE_PX = (512, 164)
_FONT_PATHS = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
)
_HEX = re.compile(r"^#?([0-9a-fA-F]{6})$")


class BadgeError(ValueError):
    """A badge colour is not ``#rrggbb``."""


def parse_color(value: str) -> tuple[int, int, int]:
    """``"#1f4e8c"`` → (31, 78, 140).

    Raises:
        BadgeError: not six hex digits (with or without ``#``).
    """
    match = _HEX.match(value.strip())
    if match is None:
        raise BadgeError(f"badge colour {value!r} is not #rrggbb")
    digits = match.group(1)
    return tuple(int(digits[k : k + 2], 16) for k in (0, 2, 4))  # type: ignore[return-value]


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in _FONT_PATHS:
        if path.is_file():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def _fit(draw: ImageDraw.ImageDraw, text: str, size: int, max_width: int):
    while size > 10:
        font = _font(size)
        if draw.textlength(text, font=font) <= max_width:
            return font
        size -= 2
    return _font(10)


def badge_image(
    text: str, subtitle: str = "", color: str = "#1f4e8c", text_color: str = "#ffffff"
) -> Image.Image:
    """Draw the badge: a rounded plate in ``color`` with ``text`` large and ``subtitle`` small.

    Args:
        text: the name line (e.g. ``"Digital Assistant"``).
        subtitle: the second line (e.g. the brand), may be empty.
        color: plate colour ``#rrggbb`` (sRGB).
        text_color: text colour ``#rrggbb``.

    Returns:
        RGB image of :data:`BADGE_SIZE_PX` (sRGB).

    Raises:
        BadgeError: a colour is not ``#rrggbb``.
    """
    plate, ink = parse_color(color), parse_color(text_color)
    w, h = BADGE_SIZE_PX
    image = Image.new("RGB", (w, h), (200, 200, 200))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, w - 1, h - 1), radius=18, fill=(232, 232, 228))
    draw.rounded_rectangle((6, 6, w - 7, h - 7), radius=14, fill=plate)
    lines = (
        [(text.strip(), 64), (subtitle.strip(), 40)] if subtitle.strip() else [(text.strip(), 72)]
    )
    fonts = [_fit(draw, line, size, w - 48) for line, size in lines]
    heights = [
        f.getbbox(line or " ")[3] - f.getbbox(line or " ")[1]
        for (line, _), f in zip(lines, fonts, strict=True)
    ]
    gap = 14
    y = (h - sum(heights) - gap * (len(lines) - 1)) / 2
    for (line, _), font, height in zip(lines, fonts, heights, strict=True):
        top = font.getbbox(line or " ")[1]
        draw.text((w / 2, y - top), line, font=font, fill=ink, anchor="ma")
        y += height + gap
    return image


@lru_cache(maxsize=32)
def badge_texture(
    text: str, subtitle: str = "", color: str = "#1f4e8c", text_color: str = "#ffffff"
) -> np.ndarray:
    """:func:`badge_image` as a texture, baked once per distinct badge and shared.

    The array is read-only, so the renderers of every session (each on its own GL thread) may
    upload the same one; equal arguments return the same object, so a renderer asked for the
    badge it already shows does nothing.

    Returns:
        uint8 (164, 512, 4) RGBA (:data:`BADGE_SIZE_PX`), sRGB, row 0 the image's top.

    Raises:
        BadgeError: a colour is not ``#rrggbb``.
    """
    rgba = np.asarray(badge_image(text, subtitle, color, text_color).convert("RGBA"), np.uint8)
    rgba = np.ascontiguousarray(rgba)
    rgba.flags.writeable = False
    return rgba
