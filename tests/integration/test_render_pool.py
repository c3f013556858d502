"""Sessions coming and going reuse the server's GL renderers (issue 16): a 10-minute soak made
and destroyed an EGL context per session, grew the server's RSS by 14 % and crashed it inside
Mesa's llvmpipe after ~80 sessions. Here 30 two-visitor rounds through the real pool and the
real OpenGL renderers make no more contexts than run at once plus a spare, leave no GL thread
behind, keep drawing after reuse and keep RSS within a bound; on llvmpipe their frames take
the process-wide GL lock (two contexts drawing at once crashed llvmpipe)."""

from __future__ import annotations

import asyncio
import os
import threading

import numpy as np
import pytest

from avatar import DEFAULT_AVATAR_PATH
from avatar.gltf import load_avatar
from avatar.pose import Pose
from avatar.renderer import EGLUnavailableError
from engine.config import EngineConfig
from engine.server.renderers import RendererPool, gl_renderer_factory

ROUNDS = 30
SIZE = 96  # pixels; contexts, not pixels, are what this test counts
#: RSS the rounds after the first few may add (MB): a context made per session added ~5-10.
RSS_SLACK_MB = 15.0


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def gl_threads() -> int:
    return sum(t.name == "avatar-gl" for t in threading.enumerate())


async def visit(pool: RendererPool, k: int) -> list[np.ndarray]:
    """One session: take a renderer, draw three frames (mouth closed, open, closed), give it
    back."""
    renderer = await pool.take()
    if "llvmpipe" in renderer.gl_renderer:  # Mesa's race across contexts: frames one at a time
        assert renderer.serialized, renderer.gl_renderer
    try:
        return [
            await asyncio.wrap_future(renderer.submit(Pose(weights={"jawOpen": w}, yaw=0.01 * k)))
            for w in (0.0, 1.0, 0.0)
        ]
    finally:
        pool.give_back(renderer)


async def test_sessions_reuse_renderers_no_context_per_session_rss_flat() -> None:
    avatar = load_avatar(DEFAULT_AVATAR_PATH)
    config = EngineConfig(server={"video_width": SIZE, "video_height": SIZE})
    pool = RendererPool(gl_renderer_factory(avatar, config), keep=4)
    threads_before = gl_threads()
    try:
        await pool.warm()
    except EGLUnavailableError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"EGL is required under CI: {exc}")
        pytest.skip(str(exc))
    rss = []
    try:
        for round_ in range(ROUNDS):
            frames = await asyncio.gather(visit(pool, 2 * round_), visit(pool, 2 * round_ + 1))
            for closed, opened, closed_again in frames:
                assert np.abs(opened.astype(int) - closed).sum() > 0  # the mouth moved
                assert np.array_equal(closed, closed_again)
            rss.append(rss_mb())
        await pool.settle()  # a spare being made has its GL thread already
        assert pool.made <= 3 and pool.closed == 0, (pool.made, pool.closed)
        assert gl_threads() - threads_before == pool.made
        assert rss[-1] - rss[4] < RSS_SLACK_MB, rss
    finally:
        await pool.settle()
        pool.close()
    assert gl_threads() == threads_before  # every context destroyed, its thread ended
