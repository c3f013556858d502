"""The AI-generated mark burnt into the video follows the session language: Chinese text drawn
with a CJK font (real glyphs, not empty boxes), English by default, per-language texts from
config, and nothing drawn when the label is turned off."""

from __future__ import annotations

import numpy as np
import pytest

from avatar.label import DEFAULT_LABELS, CornerLabel, label_font

W, H = 512, 512


def _frame() -> np.ndarray:
    # a vertical gradient like the avatar's backdrop
    column = np.linspace(200, 120, H, dtype=np.float32)[:, None, None]
    return np.repeat(np.repeat(column, W, axis=1), 3, axis=2).astype(np.uint8)


def _ink(text: str, size: int = 40) -> np.ndarray:
    from PIL import Image, ImageDraw

    font = label_font(size)
    image = Image.new("L", (size * (len(text) + 1), size * 2), 0)
    ImageDraw.Draw(image).text((size // 2, size // 2), text, font=font, fill=255)
    return np.asarray(image) > 127


def test_chinese_is_drawn_with_real_glyphs() -> None:
    # Without a CJK font every Han character is the same empty box ("tofu").
    a, b = _ink("生成"), _ink("余额")
    assert a.sum() > 50 and b.sum() > 50
    assert (a ^ b).sum() > 0.3 * max(a.sum(), b.sum())


def test_the_mark_follows_the_language() -> None:
    label = CornerLabel(DEFAULT_LABELS, W, H)
    assert label.language == "en" and label.text == "AI-generated"
    english = label.apply(_frame())
    label.set_language("zh")
    assert label.text == DEFAULT_LABELS["zh"]
    chinese = label.apply(_frame())
    changed = np.abs(english.astype(int) - chinese.astype(int)).sum(axis=2) > 30
    ys, xs = np.nonzero(changed)
    assert ys.size > 100, "the mark did not change"
    # only the bottom-right corner changes: the avatar is untouched
    assert ys.min() > H * 0.8 and xs.min() > W * 0.5
    label.set_language("en")
    assert np.array_equal(label.apply(_frame()), english)
    # the Chinese badge is shorter: both end at the same right margin
    x_en, y_en, w_en, h_en = label.box
    label.set_language("zh")
    x_zh, y_zh, w_zh, h_zh = label.box
    assert x_en + w_en == x_zh + w_zh and w_zh < w_en and y_en + h_en == y_zh + h_zh


def test_unknown_language_keeps_english_and_one_text_serves_all() -> None:
    label = CornerLabel(DEFAULT_LABELS, W, H)
    label.set_language("fr")
    assert label.text == "AI-generated"
    same = CornerLabel("AI", W, H)
    same.set_language("zh")
    assert same.text == "AI"


def test_off_draws_nothing() -> None:
    for texts in ("", {"en": "", "zh": ""}):
        label = CornerLabel(texts, W, H)
        label.set_language("zh")
        assert label.box is None
        assert np.array_equal(label.apply(_frame()), _frame())


def test_a_language_without_its_text_falls_back_to_english() -> None:
    label = CornerLabel({"en": "AI-generated"}, W, H, language="zh")
    assert label.text == "AI-generated"


@pytest.mark.parametrize("size", [(64, 64), (320, 180)])
def test_small_frames_are_not_broken(size: tuple[int, int]) -> None:
    w, h = size
    label = CornerLabel(DEFAULT_LABELS, w, h, language="zh")
    frame = np.zeros((h, w, 3), np.uint8)
    assert label.apply(frame).shape == (h, w, 3)
