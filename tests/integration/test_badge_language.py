"""The name badge on the avatar's jacket speaks the session's language (``?lang=zh``, the
offer's ``ui_language``, a Mandarin answer in ``auto``): a session's media swaps the pooled
renderer's badge texture, in real rendered frames, and a renderer handed back to the pool by a
Chinese session shows the next English session the English badge."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from avatar.badge import BADGE_SIZE_PX
from avatar.pose import NEUTRAL_POSE
from avatar.renderer import Renderer, RendererError
from engine.config import EngineConfig
from engine.events import Reply
from engine.observers import label_follows_replies
from engine.server.media import SessionMedia
from engine.server.renderers import RendererPool, gl_renderer_factory
from engine.server.transcribing import InflightCounter
from engine.show import badge_for, load_configured_avatar
from tests.conftest import egl_required

SIZE = 256  # pixels: the badge's text is a few dozen pixels wide at this size


def config() -> EngineConfig:
    return EngineConfig(
        server={"video_width": SIZE, "video_height": SIZE},
        avatar={"ai_label": ""},  # the corner mark would differ by language too
    )


def media_for(cfg: EngineConfig, renderer) -> SessionMedia:
    avatar = cfg.avatar
    return SessionMedia(
        cfg.server,
        avatar.ai_label,
        renderer,
        InflightCounter(),
        badges=lambda language: badge_for(avatar, language),
    )


def changed_box(a: np.ndarray, b: np.ndarray) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) of the pixels that differ, or None."""
    ys, xs = np.nonzero(np.abs(a.astype(int) - b).max(axis=2) > 8)
    if ys.size == 0:
        return None
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def renderer_or_skip(cfg: EngineConfig, language: str = "en") -> Renderer:
    with egl_required():
        return Renderer(load_configured_avatar(cfg.avatar, language), SIZE, SIZE)


def test_badge_texture_is_baked_once_per_language_and_read_only() -> None:
    avatar = config().avatar
    en, zh = badge_for(avatar, "en"), badge_for(avatar, "zh")
    assert en is badge_for(avatar, "en") and zh is badge_for(avatar, "zh")  # shared, not redrawn
    assert badge_for(avatar, "fr") is en  # no French text: the English badge
    assert en.shape == zh.shape == (BADGE_SIZE_PX[1], BADGE_SIZE_PX[0], 4)
    assert not en.flags.writeable
    assert np.abs(en.astype(int) - zh).max() > 100  # other glyphs on the same plate
    other = EngineConfig(avatar={"model": "some.glb"}).avatar
    assert badge_for(other, "zh") is None  # another model keeps its own badge


def test_a_chinese_session_shows_the_chinese_badge(artifacts_dir: Path) -> None:
    cfg = config()
    renderer = renderer_or_skip(cfg)
    try:
        media = media_for(cfg, renderer)
        media.set_language("en")
        english = renderer.render(NEUTRAL_POSE).copy()
        label_follows_replies(media)(
            Reply(session_id="s", reply_id="r", turn_id="t", text="您好", language="zh")
        )
        assert media.language == "zh"
        chinese = renderer.render(NEUTRAL_POSE).copy()
        with pytest.raises(RendererError, match="no textured material 'jacket'"):
            renderer.set_texture("jacket", badge_for(cfg.avatar, "zh"))
    finally:
        renderer.close()
    for name, frame in (("en", english), ("zh", chinese)):
        Image.fromarray(frame).save(artifacts_dir / f"badge-{name}.png")
    box = changed_box(english, chinese)
    assert box is not None, "the badge did not change with the language"
    x0, y0, x1, y1 = box
    # the badge only: a small patch on the jacket, below the face
    assert (x1 - x0) * (y1 - y0) < 0.05 * SIZE * SIZE, box
    assert y0 > SIZE * 0.6, box
    # the same pixels as a renderer made with the Chinese badge from the start
    fresh = renderer_or_skip(cfg, "zh")
    try:
        baked = fresh.render(NEUTRAL_POSE)
    finally:
        fresh.close()
    assert np.abs(baked.astype(int) - chinese).max() <= 2


async def test_a_pooled_renderer_shows_the_next_session_its_own_badge() -> None:
    cfg = config()
    with egl_required():
        avatar = load_configured_avatar(cfg.avatar)
        pool = RendererPool(gl_renderer_factory(avatar, cfg), keep=1)
        await pool.warm()
    try:
        first = await pool.take()
        await pool.settle()
        english = first.render(NEUTRAL_POSE).copy()
        media_for(cfg, first).set_language("zh")  # a ?lang=zh session
        chinese = first.render(NEUTRAL_POSE).copy()
        pool.give_back(first)
        second = await pool.take()
        assert second is first  # reused, still wearing the Chinese badge
        media_for(cfg, second).set_language("en")
        again = await asyncio.wrap_future(second.submit(NEUTRAL_POSE))
        pool.give_back(second)
    finally:
        await pool.settle()
        pool.close()
    assert changed_box(english, chinese) is not None
    assert np.abs(again.astype(int) - english).max() <= 2


def _ink_lines(frame: np.ndarray, box: tuple[int, int, int, int]) -> list[int]:
    """Heights (px) of the text lines inside ``box`` of a rendered frame: runs of rows holding
    a light pixel (the white letters; the plate and the jacket are dark)."""
    x0, y0, x1, y1 = box
    rows = (frame[y0:y1, x0:x1].astype(int).min(axis=2) > 150).any(axis=1)
    runs, start = [], None
    for i, ink in enumerate([*rows, False]):
        if ink and start is None:
            start = i
        elif not ink and start is not None:
            runs.append(i - start)
            start = None
    return runs


def test_the_badge_is_legible_at_the_page_size(artifacts_dir: Path) -> None:
    """At the video's own size (512², the page shows it about that large) the badge's letters
    are tall enough to read: a Han line at least 16 px, each English line at least 10 px (the
    name broken onto two lines). The 75 × 24 mm badge with the name on one line had 8 px lines
    in both languages (unreadable)."""
    cfg = EngineConfig(avatar={"ai_label": ""})
    assert (cfg.server.video_width, cfg.server.video_height) == (512, 512)
    frames = {}
    for language in ("en", "zh"):
        with egl_required():
            renderer = Renderer(load_configured_avatar(cfg.avatar, language), 512, 512)
        try:
            frames[language] = renderer.render(NEUTRAL_POSE).copy()
        finally:
            renderer.close()
        Image.fromarray(frames[language]).save(artifacts_dir / f"badge-512-{language}.png")
    box = changed_box(frames["en"], frames["zh"])
    assert box is not None
    english, chinese = _ink_lines(frames["en"], box), _ink_lines(frames["zh"], box)
    assert len(english) == 2 and min(english) >= 10, english
    assert len(chinese) == 1 and chinese[0] >= 16, chinese
