"""Switching to 中文 during a session: the AI-generated mark drawn in the video and the name
badge on the avatar's jacket follow the session language, the state badge speaks Chinese, and
the English answer leaves the screen."""

from __future__ import annotations

import json

import numpy as np
import pytest

from avatar.label import DEFAULT_LABELS, CornerLabel
from avatar.pose import NEUTRAL_POSE
from avatar.renderer import Renderer
from engine.config import EngineConfig
from engine.show import load_configured_avatar
from tests.conftest import REPO_ROOT
from tests.e2e.pages import CJK, REPLY_TIMEOUT_MS, ask, shot, start_session, wait_reply

pytestmark = pytest.mark.slow

ZH, EN = (
    json.loads((REPO_ROOT / "web_client" / "i18n" / f"{lang}.json").read_text(encoding="utf-8"))
    for lang in ("zh", "en")
)

#: Grey levels of a rectangle ``[x, y, w, h]`` of the avatar video at its own size.
RECT_JS = """
([x, y, w, h]) => {
  const video = document.querySelector('video');
  const canvas = document.createElement('canvas');
  canvas.width = w; canvas.height = h;
  const g = canvas.getContext('2d', {willReadFrequently: true});
  g.drawImage(video, x, y, w, h, 0, 0, w, h);
  const rgba = g.getImageData(0, 0, w, h).data;
  const grey = [];
  for (let i = 0; i < rgba.length; i += 4) grey.push((rgba[i] + rgba[i + 1] + rgba[i + 2]) / 3);
  return grey;
}
"""
#: A grey level only the mark's white letters reach there (the jacket behind it is dark).
WHITE = 200


def _english_only_rect(width: int, height: int) -> list[int]:
    """Where the English mark has letters and the (shorter) Chinese one does not: from the left
    end of the English badge to the left end of the Chinese one, inside the badge's padding."""
    label = CornerLabel(DEFAULT_LABELS, width, height)
    x_en, y, _, h = label.box
    label.set_language("zh")
    x_zh = label.box[0]
    pad = h // 4
    return [x_en + pad, y + pad, x_zh - x_en - 2 * pad, h - 2 * pad]


def _white_pixels(page, rect: list[int], frames: int = 3) -> int:
    """Letter pixels in ``rect``, the most over a few frames (VP8 blurs single frames)."""
    counts = []
    for _ in range(frames):
        grey = np.asarray(page.evaluate(RECT_JS, rect), dtype=np.float32)
        counts.append(int((grey > WHITE).sum()))
        page.wait_for_timeout(150)
    return max(counts)


class JacketBadge:
    """Which language the jacket's name badge shows in the video: the patch where the English
    and the Chinese badge differ, compared (zero-mean correlation, so the codec's blur and a
    breath's pixel of sway matter little) with the same patch of the avatar rendered here with
    each badge."""

    def __init__(self, width: int, height: int) -> None:
        avatar = EngineConfig().avatar
        refs = {}
        for lang in ("en", "zh"):
            with Renderer(load_configured_avatar(avatar, lang), width, height) as renderer:
                refs[lang] = renderer.render(NEUTRAL_POSE).astype(np.float32).mean(axis=2)
        ys, xs = np.nonzero(np.abs(refs["en"] - refs["zh"]) > 40)
        assert ys.size, "the two badges render alike"
        x0, y0 = int(xs.min()) - 2, int(ys.min()) - 2
        self.rect = [x0, y0, int(xs.max()) + 3 - x0, int(ys.max()) + 3 - y0]
        w, h = self.rect[2], self.rect[3]
        self.refs = {k: v[y0 : y0 + h, x0 : x0 + w] for k, v in refs.items()}

    def language(self, page) -> str:
        """``en`` or ``zh``: the reference the video's patch correlates with best."""
        w, h = self.rect[2], self.rect[3]
        patch = np.asarray(page.evaluate(RECT_JS, self.rect), np.float32).reshape(h, w)

        def corr(a: np.ndarray, b: np.ndarray) -> float:
            a, b = a - a.mean(), b - b.mean()
            return float((a * b).sum() / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-6))

        return max(self.refs, key=lambda lang: corr(patch, self.refs[lang]))

    def settles_on(self, page, language: str, tries: int = 10) -> bool:
        """The video shows ``language``'s badge in 3 frames running within ``tries`` × 0.5 s."""
        for _ in range(tries):
            if all(self.language(page) == language for _ in range(3)):
                return True
            page.wait_for_timeout(500)
        return False


def test_switching_to_chinese_changes_the_video_mark_badge_and_caption(open_visitor, e2e_artifacts):
    page = open_visitor()
    start_session(page)
    page.wait_for_function(
        "() => { const v = document.querySelector('video');"
        " return v.videoWidth > 0 && v.currentTime > 0.5; }",
        timeout=30_000,
    )
    size = page.evaluate(
        "() => [document.querySelector('video').videoWidth,"
        " document.querySelector('video').videoHeight]"
    )
    rect = _english_only_rect(*size)
    assert _white_pixels(page, rect) > 15, "no English mark in the video"
    name_badge = JacketBadge(*size)
    assert name_badge.settles_on(page, "en"), "no English name badge on the jacket"

    # switch while the avatar is answering in English
    ask(page, "How do I open an account?")
    page.wait_for_function(
        "() => document.body.dataset.avatarState === 'speaking'", timeout=REPLY_TIMEOUT_MS
    )
    page.click(".lang-btn[data-lang='zh']")
    page.wait_for_function("() => document.documentElement.lang === 'zh-CN'")
    # the badge speaks the page's language at once; the English answer leaves the screen
    state, badge = page.evaluate(
        "() => { const b = document.getElementById('avatar-state');"
        " return [b.dataset.state, b.textContent]; }"
    )
    assert badge == ZH[f"avatar.state.{state}"], (state, badge)
    assert ZH["avatar.state.speaking"] != EN["avatar.state.speaking"]
    assert page.text_content("#caption-avatar") == ""
    # the notice about the missing microphone is shown in Chinese too
    assert CJK.search(page.text_content("#notice")), page.text_content("#notice")

    # the mark in the video becomes the shorter Chinese one within a few frames
    page.wait_for_timeout(1000)
    for _ in range(10):
        if _white_pixels(page, rect) <= 3:
            break
        page.wait_for_timeout(500)
    assert _white_pixels(page, rect) <= 3, "the video still shows the English mark"
    assert name_badge.settles_on(page, "zh"), "the jacket's badge still shows the English name"
    ask(page, "营业时间是几点？")
    reply = wait_reply(page, "t => /[\\u4e00-\\u9fff]/.test(t)")
    assert CJK.search(reply)
    shot(page, e2e_artifacts, "22-chinese-ui")
