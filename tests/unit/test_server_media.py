"""A session's outbound media (engine.server.media), split out of engine.server.session: render
pacing while the CPU has reply work (it follows the session's state events), the avatar timing,
and the session's names for its parts."""

from __future__ import annotations

import asyncio
from concurrent.futures import Future

import numpy as np

from engine.config import ServerConfig
from engine.events import StateChanged
from engine.server.media import SessionMedia
from engine.server.transcribing import InflightCounter


class FakeRenderer:
    def __init__(self, width: int = 64, height: int = 64) -> None:
        self.width, self.height = width, height  # the media takes its frame size from it
        self.calls = 0

    def submit(self, pose, out: np.ndarray) -> Future:
        self.calls += 1
        done: Future = Future()
        done.set_result(out)
        return done


def make_media() -> tuple[SessionMedia, FakeRenderer, InflightCounter]:
    renderer, inflight = FakeRenderer(), InflightCounter()
    cfg = ServerConfig(video_width=64, video_height=64)
    media = SessionMedia(cfg, "AI", renderer, inflight)
    return media, renderer, inflight


def enter(media: SessionMedia, state: str) -> None:
    """The session's state event, as its bus delivers it to the media."""
    media.observe(StateChanged(session_id="s", state=state))


def render_n(media: SessionMedia, n: int) -> int:
    """Frames actually rendered out of ``n`` asked for with a pose that always changed."""
    got = 0
    for i in range(n):
        media._last_pose = None  # every pose counts as new
        if media._render(i * 1920) is not None:
            got += 1
    return got


async def test_render_pacing_follows_reply_work() -> None:
    media, renderer, inflight = make_media()
    assert render_n(media, 6) == 6  # nothing to wait for: every changed pose is rendered
    enter(media, "thinking")
    assert render_n(media, 6) == 2  # preparing a reply: 1 frame in 3
    enter(media, "speaking")
    inflight.count = 1  # a final decode (no partials): the last image is repeated
    assert render_n(media, 6) == 0
    assert renderer.calls == 8


async def test_timings_and_timeline_reset() -> None:
    media, _, _ = make_media()
    assert media.timings_extra() == {"avatar": None}
    before = media.timeline
    media.reset_timeline()
    assert media.timeline is not before
    out = media._render(0)
    assert isinstance(out, asyncio.Future)
    assert (await out).shape == (64, 64, 3)


async def test_the_video_mark_comes_from_the_configured_labels_per_language() -> None:
    # avatar.ai_label is one text per language by default; the track stamps the current one
    from engine.config import EngineConfig

    labels = EngineConfig().avatar.ai_label
    cfg = ServerConfig(video_width=256, video_height=256)
    media = SessionMedia(cfg, labels, FakeRenderer(256, 256), InflightCounter())
    assert media.label.text == "AI-generated"
    media.label.set_language("zh")
    assert media.label.text == "AI生成"
    frame = media.label.apply(np.full((256, 256, 3), 180, np.uint8))
    assert (frame[-30:, -120:] != 180).any() and (frame[:200] == 180).all()
