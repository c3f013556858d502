"""Avatar backends for live sessions: a small pool of warm ones, made by a factory.

Each session gets its own :class:`~avatar.frame_renderer.FrameRenderer` (today an
:class:`avatar.Renderer`: one EGL context on its own GL thread) for as long as it runs, and
gives it back when it ends: the next session of the same size reuses it, so contexts are made
about as many times as sessions ever run at once, not once per session (:class:`RendererPool`).
Making one takes a while, so a spare is kept warm (:data:`RENDERER_POOL`) and an offer does not
wait for a fresh context. The pool only knows the factory it is given: another backend (a GPU
batch renderer shared by sessions, a client-side renderer) plugs in by passing another factory
to :class:`~engine.server.runtime.Runtime`.

The default factory renders on this process's OpenGL and lowers the priority of the GL threads
(:func:`lower_render_priority`): when the CPU is short, video frames drop while audio, VAD and
ASR keep their pace. A renderer is also *made* at that priority (:func:`at_render_priority`):
the spare is made in the background while sessions are live, and its ~1 s of CPU must not
delay their replies.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

from avatar import Avatar, Renderer
from avatar.frame_renderer import FrameRenderer
from engine.config import EngineConfig

log = logging.getLogger(__name__)

#: Spare renderers kept warm for the next sessions (of the size the last session asked for).
RENDERER_POOL = 1
#: Idle renderers kept for reuse by default (the server passes its ``max_sessions`` + 2).
RENDERER_KEEP = 6
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


def at_render_priority(make: Callable[[], FrameRenderer]) -> FrameRenderer:
    """Run ``make`` on a new thread niced by :data:`RENDER_NICE` and return its result (or
    raise its exception). Linux threads inherit their creator's ``nice``, so the GL thread a
    renderer starts, and Mesa's ``llvmpipe-N`` workers that thread starts, run at the lowered
    priority from their first instruction; a worker thread of the event loop's pool is not
    lowered (a thread cannot raise its own priority back without privileges)."""
    result: list[FrameRenderer] = []
    failure: list[BaseException] = []

    def run() -> None:
        if hasattr(os, "setpriority"):
            try:
                tid = threading.get_native_id()
                if os.getpriority(os.PRIO_PROCESS, tid) < RENDER_NICE:
                    os.setpriority(os.PRIO_PROCESS, tid, RENDER_NICE)
            except OSError:
                pass  # renicing not permitted here (a sandbox): made at the usual priority
        try:
            result.append(make())
        except BaseException as exc:  # handed to the caller, which re-raises it
            failure.append(exc)

    thread = threading.Thread(target=run, name="avatar-make")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]


def gl_renderer_factory(avatar: Avatar, config: EngineConfig) -> RendererFactory:
    """The default backend: :class:`avatar.Renderer` of ``avatar`` at the video size (or the
    size a session asked for), with the configured anti-aliasing and framing."""
    s, a = config.server, config.avatar

    def make(width: int | None = None, height: int | None = None) -> FrameRenderer:
        renderer = at_render_priority(
            lambda: Renderer(
                avatar,
                width=width or s.video_width,
                height=height or s.video_height,
                msaa=a.msaa,
                fxaa=a.fxaa,
                framing=a.framing,
            )
        )
        lower_render_priority()  # threads made before (none today), or where nice did not pass
        return renderer

    return make


class RendererPool:
    """Session backends from ``factory``: made once, one at a time, and reused by later sessions.

    A backend goes back to the pool when its session ends and the next session of the same size
    takes it; it is closed only when more than ``keep`` are idle (the one idle longest) and at
    :meth:`close`. So a server makes about as many backends as it ever serves sessions at once,
    plus a spare, however many sessions come and go. Making and destroying an EGL context (and
    its GL thread) per session, as this pool once did, grew the server's memory by several MB
    a session, and a soak that had made some 80 of them ended in a crash inside Mesa's
    llvmpipe (issue 16).

    After each :meth:`take`, a spare of that size is made in the background when none is idle
    (:data:`RENDERER_POOL`), so the next offer does not wait for a fresh context.

    Args:
        factory: makes one backend (blocking; called on a worker thread, one call at a time).
        keep: idle backends kept for reuse (at least 1); default :data:`RENDERER_KEEP`.
    """

    def __init__(self, factory: RendererFactory, keep: int = RENDERER_KEEP) -> None:
        self._factory = factory
        self._keep = max(1, keep)
        self._idle: list[FrameRenderer] = []  # the one returned longest ago first
        self._size: tuple[int, int] | None = None  # the configured size, once one is made
        self._making = asyncio.Lock()  # one backend made at a time
        self._refills: dict[asyncio.Task[None], tuple[int, int] | None] = {}  # task: size
        self._closing = False
        #: Backends made / closed so far.
        self.made = 0
        self.closed = 0

    @property
    def idle(self) -> int:
        """Backends waiting in the pool now."""
        return len(self._idle)

    async def warm(self) -> None:
        """Make the first spare, at the configured size (at start-up)."""
        renderer = await self._make(None)
        self._size = (renderer.width, renderer.height)
        self._idle.append(renderer)

    async def take(self, size: tuple[int, int] | None = None) -> FrameRenderer:
        """A backend for a new session: an idle one of that size, else a fresh one.

        Args:
            size: (width, height) the session asked for; None: the configured size.
        """
        size = size or self._size
        renderer = self._pop(size)
        if renderer is None:
            renderer = await self._make(size)
        spare = self._pop(size, remove=False) is not None or size in self._refills.values()
        if not spare and len(self._idle) < self._keep:
            task = asyncio.create_task(self._refill(size))
            self._refills[task] = size
            task.add_done_callback(self._refill_done)
        return renderer

    def give_back(self, renderer: FrameRenderer) -> None:
        """Return a session's backend for the next session (frames it still has queued are
        drawn first); the backend idle longest is closed when more than ``keep`` wait."""
        if self._closing:
            self._close(renderer)
            return
        self._idle.append(renderer)
        while len(self._idle) > self._keep:
            self._close(self._idle.pop(0))

    async def settle(self) -> None:
        """Wait until the spares being made in the background are in the pool."""
        while self._refills:
            await asyncio.wait(list(self._refills))

    def close(self) -> None:
        """Close the idle backends and stop making spares (at shutdown)."""
        self._closing = True
        for task in self._refills:
            task.cancel()
        for renderer in self._idle:
            self._close(renderer)
        self._idle.clear()

    def _pop(self, size: tuple[int, int] | None, remove: bool = True) -> FrameRenderer | None:
        """The most recently returned idle backend of ``size`` (None: none)."""
        for i in range(len(self._idle) - 1, -1, -1):
            renderer = self._idle[i]
            if size is None or (renderer.width, renderer.height) == size:
                return self._idle.pop(i) if remove else renderer
        return None

    async def _make(self, size: tuple[int, int] | None) -> FrameRenderer:
        async with self._making:
            renderer = await asyncio.to_thread(self._factory, *(size or ()))
        self.made += 1
        return renderer

    async def _refill(self, size: tuple[int, int] | None) -> None:
        self.give_back(await self._make(size))

    def _refill_done(self, task: asyncio.Task[None]) -> None:
        self._refills.pop(task, None)
        if not task.cancelled() and task.exception() is not None:
            log.warning("spare avatar renderer not made: %s", task.exception())

    def _close(self, renderer: FrameRenderer) -> None:
        renderer.close()
        self.closed += 1
