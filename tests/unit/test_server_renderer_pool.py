"""The session renderer pool: the size a session's offer asked for, backends reused by later
sessions (not made and destroyed per session: issue 16), one made at a time, a spare of the
size last asked for, and at most ``keep`` idle ones."""

from __future__ import annotations

import asyncio
import os
import threading

import pytest

from engine.server.renderers import RENDER_NICE, RendererPool, at_render_priority


class SizedRenderer:
    """A backend of a given size (a stand-in: the pool only reads sizes and closes)."""

    def __init__(self, width: int = 512, height: int = 512) -> None:
        self.width, self.height, self.closed = width, height, False

    def submit(self, pose, out=None):  # the pool never draws
        raise NotImplementedError

    def close(self) -> None:
        self.closed = True


class Factory:
    """Makes :class:`SizedRenderer` s and notes how many calls ever overlapped."""

    def __init__(self) -> None:
        self.made: list[SizedRenderer] = []
        self.running = self.most_at_once = 0

    def __call__(self, width: int | None = None, height: int | None = None) -> SizedRenderer:
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        try:
            self.made.append(SizedRenderer(width or 512, height or 512))
            return self.made[-1]
        finally:
            self.running -= 1


async def test_sessions_get_the_size_their_offer_asked_for() -> None:
    factory = Factory()
    pool = RendererPool(factory)
    await pool.warm()
    square = await pool.take()
    assert (square.width, square.height) == (512, 512) and square is factory.made[0]
    portrait = await pool.take((432, 768))
    assert (portrait.width, portrait.height) == (432, 768)
    same = await pool.take((512, 512))
    assert (same.width, same.height) == (512, 512)
    await pool.settle()
    pool.close()
    assert all(r.closed for r in factory.made if r not in (square, portrait, same))


async def test_sessions_coming_and_going_reuse_backends_instead_of_making_new_ones() -> None:
    factory = Factory()
    pool = RendererPool(factory, keep=4)
    await pool.warm()
    for _ in range(50):  # two visitors at a time, one square and one portrait kiosk page
        a, b = await asyncio.gather(pool.take(), pool.take((432, 768)))
        await pool.settle()
        pool.give_back(a)
        pool.give_back(b)
    sizes = sorted((r.width, r.height) for r in factory.made)
    # two sessions at once + a spare of each size; none made or closed per session
    assert len(factory.made) <= 4 and sizes.count((432, 768)) <= 2, sizes
    assert pool.closed == 0 and not any(r.closed for r in factory.made)
    assert factory.most_at_once == 1
    pool.close()
    assert all(r.closed for r in factory.made)


async def test_only_keep_idle_backends_wait_the_longest_idle_is_closed() -> None:
    factory = Factory()
    pool = RendererPool(factory, keep=2)
    await pool.warm()
    sizes = [(64 + 2 * i, 64) for i in range(4)]
    taken = [await pool.take(size) for size in sizes]
    await pool.settle()
    for renderer in taken:
        pool.give_back(renderer)
    assert pool.idle == 2 and pool.closed == len(factory.made) - 2
    assert [r.closed for r in taken] == [True, True, False, False]
    pool.close()
    late = SizedRenderer()
    pool.give_back(late)  # a session ending after shutdown: closed, not kept
    assert late.closed and pool.idle == 0


def test_renderers_are_made_on_a_thread_at_render_priority() -> None:
    """The maker runs niced (the GL threads it starts inherit that), its exception reaches
    the caller, and the calling thread keeps its own priority."""

    def own_nice() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    before = own_nice()
    made = at_render_priority(lambda: SizedRenderer(own_nice(), 1))
    assert made.width >= RENDER_NICE
    assert own_nice() == before

    def broken() -> SizedRenderer:
        raise RuntimeError("no EGL here")

    with pytest.raises(RuntimeError, match="no EGL here"):
        at_render_priority(broken)
