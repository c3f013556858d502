"""Avatar backends for live sessions: a small pool of warm ones, made by a factory.

Each session gets its own :class:`~avatar.frame_renderer.FrameRenderer` (today an
:class:`avatar.Renderer`: one EGL context on its own GL thread). Making one takes a while, so a
spare is kept warm (:data:`RENDERER_POOL`) and an offer does not wait for a fresh context. The
pool only knows the factory it is given: another backend (a GPU batch renderer shared by
sessions, a client-side renderer) plugs in by passing another factory to
:class:`~engine.server.runtime.Runtime`.

The default factory renders on this process's OpenGL and lowers the priority of the GL threads
(:func:`lower_render_priority`): when the CPU is short, video frames drop while audio, VAD and
ASR keep their pace.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from pathlib import Path

from avatar import Avatar, Renderer
from avatar.frame_renderer import FrameRenderer
from engine.config import EngineConfig

#: Spare renderers kept warm for the next sessions.
RENDERER_POOL = 1
#: ``nice`` increment of the GL threads (see the module docstring).
RENDER_NICE = 5

#: Makes one session's avatar backend (blocking; run off the event loop): at the configured
#: video size, or at (width, height) when given.
RendererFactory = Callable[..., FrameRenderer]


def lower_render_priority() -> None:
    """Lower the scheduling priority of the renderer threads (``avatar-gl`` and Mesa's
    ``llvmpipe-N`` workers) by :data:`RENDER_NICE` (Linux: ``nice`` is per thread)."""
    if not hasattr(os, "setpriority") or not Path("/proc/self/task").is_dir():
        return
    gl_ids = {t.native_id for t in threading.enumerate() if t.name == "avatar-gl"}
    for task in Path("/proc/self/task").iterdir():
        try:
            tid = int(task.name)
            comm = (task / "comm").read_text().strip()
            if tid in gl_ids or comm.startswith("llvmpipe"):
                current = os.getpriority(os.PRIO_PROCESS, tid)
                if current < RENDER_NICE:
                    os.setpriority(os.PRIO_PROCESS, tid, RENDER_NICE)
        except (OSError, ValueError):
            continue  # the thread ended meanwhile, or renicing is not permitted


def gl_renderer_factory(avatar: Avatar, config: EngineConfig) -> RendererFactory:
    """The default backend: :class:`avatar.Renderer` of ``avatar`` at the video size (or the
    size a session asked for), with the configured anti-aliasing and framing."""
    s, a = config.server, config.avatar

    def make(width: int | None = None, height: int | None = None) -> FrameRenderer:
        renderer = Renderer(
            avatar,
            width=width or s.video_width,
            height=height or s.video_height,
            msaa=a.msaa,
            fxaa=a.fxaa,
            framing=a.framing,
        )
        lower_render_priority()
        return renderer

    return make


class RendererPool:
    """Session backends from ``factory``, with :data:`RENDERER_POOL` spares kept warm.

    Args:
        factory: makes one backend (blocking; called on a worker thread).
    """

    def __init__(self, factory: RendererFactory) -> None:
        self._factory = factory
        self._spares: list[FrameRenderer] = []
        self._size: tuple[int, int] | None = None  # the spares' size, once one is made

    async def warm(self) -> None:
        """Make the first spare (at start-up)."""
        renderer = await asyncio.to_thread(self._factory)
        self._size = (renderer.width, renderer.height)
        self._spares.append(renderer)

    async def take(self, size: tuple[int, int] | None = None) -> FrameRenderer:
        """A backend for a new session (a spare, else a fresh one); a new spare is made.

        Args:
            size: (width, height) the session asked for; a size other than the spares' gets a
                fresh backend of its own.
        """
        if size is not None and size != self._size:
            return await asyncio.to_thread(self._factory, *size)
        if self._spares:
            renderer = self._spares.pop()
        else:
            renderer = await asyncio.to_thread(self._factory)
        if len(self._spares) < RENDERER_POOL:
            task = asyncio.create_task(self._refill())
            task.add_done_callback(lambda t: t.cancelled() or t.exception())
        return renderer

    async def _refill(self) -> None:
        renderer = await asyncio.to_thread(self._factory)
        self.give_back(renderer)

    def give_back(self, renderer: FrameRenderer) -> None:
        """Return a session's backend (kept when the pool has room and it has the spares'
        size, else closed)."""
        same = self._size is None or (renderer.width, renderer.height) == self._size
        if same and len(self._spares) < RENDERER_POOL:
            self._spares.append(renderer)
        else:
            renderer.close()

    def close(self) -> None:
        """Close the spares."""
        for renderer in self._spares:
            renderer.close()
        self._spares.clear()
