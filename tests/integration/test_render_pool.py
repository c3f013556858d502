"""Sessions coming and going reuse the server's GL renderers (issue 16): a 10-minute soak made
and destroyed an EGL context per session, grew the server's RSS by 14 % and crashed it inside
Mesa's llvmpipe after ~80 sessions. Here 30 two-visitor rounds through the real pool and the
real OpenGL renderers make no more contexts than run at once plus a spare, leave no GL thread
behind, keep drawing after reuse and hold no more heap after 25 rounds than before them; on
llvmpipe their frames take the process-wide GL lock (two contexts drawing at once crashed
llvmpipe).

Memory is the C heap in use (glibc ``mallinfo2``: bytes in live allocations, over every arena),
read at quiet points (no frame in flight, no spare being made, Python's garbage collected), not
RSS: RSS also counts pages the allocator keeps after a free and the arenas other threads of the
process touch, and grew by 15-26 MB in this loop on a loaded machine after other tests had run
without anything leaking. The bound is measured here, not guessed: half of what one more
renderer adds to the heap (~19 MB at 96 px with Mesa llvmpipe; the rounds then grew it by
-0.1 to +0.6 MB), so one context leaked in 50 sessions fails the test, and the old context made
and destroyed per session (~+20 MB a round) fails it at once."""

from __future__ import annotations

import asyncio
import ctypes
import gc
import threading

import numpy as np
import pytest

from avatar import DEFAULT_AVATAR_PATH
from avatar.gltf import load_avatar
from avatar.pose import Pose
from engine.config import EngineConfig
from engine.server.renderers import RendererPool, gl_renderer_factory
from tests.conftest import egl_required

ROUNDS = 30
SIZE = 96  # pixels; contexts, not pixels, are what this test counts
#: Rounds before the heap is first read (the pool's spares and Mesa's caches settle).
SETTLE_ROUNDS = 5


class _MallInfo2(ctypes.Structure):
    """glibc's ``struct mallinfo2`` (malloc.h, glibc >= 2.33)."""

    _fields_ = [
        (name, ctypes.c_size_t)
        for name in [
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        ]
    ]


def heap_in_use_mb() -> float:
    """MB of the C heap in live allocations (``uordblks`` + ``hblkhd``: every arena's used
    chunks and the mmapped ones), after a garbage collection; skips where glibc has no
    ``mallinfo2``."""
    try:
        mallinfo2 = ctypes.CDLL("libc.so.6").mallinfo2
    except (OSError, AttributeError):
        pytest.skip("glibc's mallinfo2 is needed to read the heap in use")
    mallinfo2.restype = _MallInfo2
    gc.collect()
    info = mallinfo2()
    return (info.uordblks + info.hblkhd) / 2**20


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
    with egl_required():
        await pool.warm()
    heap = []
    try:
        # what one more context costs (a leaked one would cost as much): the first take
        # leaves the pool empty, so its spare is made in the background
        heap_warm = heap_in_use_mb()
        first = await pool.take()
        await pool.settle()
        one_renderer_mb = heap_in_use_mb() - heap_warm
        pool.give_back(first)
        for round_ in range(ROUNDS):
            frames = await asyncio.gather(visit(pool, 2 * round_), visit(pool, 2 * round_ + 1))
            for closed, opened, closed_again in frames:
                assert np.abs(opened.astype(int) - closed).sum() > 0  # the mouth moved
                assert np.array_equal(closed, closed_again)
            await pool.settle()  # a quiet point: no spare half made
            heap.append(heap_in_use_mb())
        assert pool.made <= 3 and pool.closed == 0, (pool.made, pool.closed)
        assert gl_threads() - threads_before == pool.made
        assert one_renderer_mb > 1.0, one_renderer_mb  # the measure sees a context at all
        grown = max(heap[SETTLE_ROUNDS:]) - heap[SETTLE_ROUNDS - 1]
        assert grown < one_renderer_mb / 2, (grown, one_renderer_mb, heap)
    finally:
        await pool.settle()
        pool.close()
    assert gl_threads() == threads_before  # every context destroyed, its thread ended
