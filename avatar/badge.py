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
#: Pixels of the badge image; its aspect matches the badge quad
#: (:data:`avatar.asset.body.BADGE_SIZE_M`, 110 × 44 mm).
BADGE_SIZE_PX = (512, 205)
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


#: Height of a line set at font size 1 (cap top to descender, Latin and Han alike), and the
#: second line's size against the name's.
_LINE_PROBE = "Hgy数"
_SUBTITLE_SCALE = 0.62
_GAP = 0.12  # between lines, in name-line heights


def _line_height(size: int) -> int:
    box = _font(size).getbbox(_LINE_PROBE)
    return box[3] - box[1]


def _layouts(name: str) -> list[list[str]]:
    """The name on one line, or broken at one of its spaces onto two."""
    words = name.split()
    return [[name]] + [[" ".join(words[:k]), " ".join(words[k:])] for k in range(1, len(words))]


def _largest(lines: list[str], subtitle: str, width: int, height: int) -> int:
    """The largest font size (px) at which ``lines`` (and ``subtitle`` below, smaller) fit
    ``width`` × ``height``; 0 when none from 8 px up does."""
    draw = ImageDraw.Draw(Image.new("L", (1, 1)))

    def fits(size: int) -> bool:
        small = max(8, round(size * _SUBTITLE_SCALE))
        rows = [(line, size) for line in lines] + ([(subtitle, small)] if subtitle else [])
        if any(draw.textlength(t, font=_font(s)) > width for t, s in rows):
            return False
        total = sum(_line_height(s) for _, s in rows) + _GAP * _line_height(size) * (len(rows) - 1)
        return total <= height

    low, high = 0, height * 2
    while low < high:  # the largest size that fits (fit is monotone in size)
        mid = (low + high + 1) // 2
        if mid >= 8 and fits(mid):
            low = mid
        else:
            high = mid - 1
    return low


def badge_image(
    text: str, subtitle: str = "", color: str = "#1f4e8c", text_color: str = "#ffffff"
) -> Image.Image:
    """Draw the badge: a plate in ``color`` with ``text`` as large as the plate allows and
    ``subtitle`` smaller below it.

    The name is set at the largest size that fits, on one line or broken at a space onto two
    when that is larger ("Digital / Assistant"): the badge is ~90 px wide in a 512² frame, where
    "Digital Assistant" on one line had glyphs ~6 px tall and could not be read.

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
    draw.rounded_rectangle((5, 5, w - 6, h - 6), radius=14, fill=plate)
    name, subtitle = text.strip(), subtitle.strip()
    margin = 18
    room = (w - 2 * margin, h - 2 * margin)
    sized = [(_largest(lines, subtitle, *room), -len(lines), lines) for lines in _layouts(name)]
    size, _, lines = max(sized)
    size = max(size, 8)
    small = max(8, round(size * _SUBTITLE_SCALE))
    rows = [(line, size) for line in lines] + ([(subtitle, small)] if subtitle else [])
    gap = _GAP * _line_height(size)
    total = sum(_line_height(s) for _, s in rows) + gap * (len(rows) - 1)
    y = (h - total) / 2
    for line, s in rows:
        font = _font(s)
        top = font.getbbox(_LINE_PROBE)[1]
        draw.text((w / 2, y - top), line, font=font, fill=ink, anchor="ma")
        y += _line_height(s) + gap
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
        uint8 (205, 512, 4) RGBA (:data:`BADGE_SIZE_PX`), sRGB, row 0 the image's top.

    Raises:
        BadgeError: a colour is not ``#rrggbb``.
    """
    rgba = np.asarray(badge_image(text, subtitle, color, text_color).convert("RGBA"), np.uint8)
    rgba = np.ascontiguousarray(rgba)
    rgba.flags.writeable = False
    return rgba
