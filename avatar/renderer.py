"""Offscreen avatar renderer: one EGL context on one dedicated thread, reached through a queue.

OpenGL contexts are bound to one thread, so :class:`Renderer` starts its own thread, creates the
context and all GL objects there, and serves :meth:`Renderer.render` requests from a queue; any
thread (or an asyncio loop through :meth:`Renderer.submit` + ``asyncio.wrap_future``) may call
it. On a CPU-only machine this is Mesa llvmpipe (no MSAA by default); on NVIDIA the same code
runs on the GPU through EGL's device platform.
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future
from contextlib import nullcontext
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from avatar.backdrop import studio_backdrop
from avatar.camera import FRAMINGS, Camera, frame
from avatar.egl import EGLContext, EGLUnavailableError, RendererError, create_context
from avatar.frame_stages import FrameStages
from avatar.lod import level_of_detail
from avatar.model import Avatar
from avatar.pose import NEUTRAL_POSE, Pose

if TYPE_CHECKING:
    from avatar.gl_scene import GLScene

__all__ = ["EGLUnavailableError", "Renderer", "RendererError"]

log = logging.getLogger(__name__)

_STOP = object()


class _SetTexture(NamedTuple):
    """A queue item: swap a material's base colour texture before the next frame."""

    material: str
    image: np.ndarray


#: One renderer at a time in GL, process-wide, on Mesa's software drivers: held while a context
#: is made (context, GL objects, shaders, first frame) or destroyed, and around every frame of
#: a software context. Mesa 22's llvmpipe, before it maps a resource (glReadPixels, buffer
#: uploads), checks whether *any* context of the screen still references it, walking the other
#: contexts' scene lists while their threads rebuild them: two sessions drawing at once crashed
#: a soaked server in ``lp_scene_is_resource_referenced`` (swrast_dri.so, issue 16). A frame
#: holds it around its GL calls only (uploads, draws, FXAA, read-back, the occlusion query:
#: every call that bins into this context's scene or maps a resource); the pose, the morph
#: blend and the copy of the frame are numpy on the renderer thread's own arrays and run
#: outside it (:meth:`avatar.gl_scene.GLScene.draw`). A GPU driver's contexts draw
#: concurrently (:attr:`Renderer.serialized` is False there).
_GL_LOCK = threading.Lock()
#: ``GL_RENDERER`` strings of the drivers whose frames take :data:`_GL_LOCK`.
SOFTWARE_RENDERERS = ("llvmpipe", "softpipe", "swrast")


class Renderer:
    """Draws an :class:`Avatar` in a :class:`Pose` to ``(H, W, 3) uint8`` RGB frames.

    Args:
        avatar: the mesh (from :func:`avatar.gltf.load_avatar` or the generator).
        width: frame width in pixels (default 512).
        height: frame height in pixels (default 512).
        msaa: multisample count (0 = off, the default; 4 on a GPU).
        fxaa: anti-alias with FXAA inside the avatar's box when ``msaa`` is 0 (cheap on
            llvmpipe).
        framing: ``head_shoulders`` (default), ``bust`` or ``face``
            (:data:`avatar.camera.FRAMINGS`); portrait sizes keep the head at the top.

    A skinned avatar's joints that moved less than half a pixel since they were last drawn
    stay where they were drawn (:mod:`avatar.pose_hold`), so a frame may differ by that much
    from one drawn after another history; most frames then redraw only the head or the
    blendshapes that changed.

    Raises:
        EGLUnavailableError: no EGL/OpenGL 3.3 context on this machine (names the Debian
            packages to install).
        RendererError: shader or framebuffer setup failed; bad arguments.
    """

    def __init__(
        self,
        avatar: Avatar,
        width: int = 512,
        height: int = 512,
        msaa: int = 0,
        fxaa: bool = True,
        framing: str = "head_shoulders",
    ):
        if width <= 0 or height <= 0 or width > 8192 or height > 8192:
            raise RendererError(f"bad frame size {width}x{height}")
        if msaa < 0:
            raise RendererError(f"msaa must be >= 0, got {msaa}")
        self.width, self.height = width, height
        if framing not in FRAMINGS:
            raise RendererError(f"unknown framing {framing!r}; expected one of {tuple(FRAMINGS)}")
        drawn = avatar.positions[np.unique(avatar.indices)]
        neck = avatar.bone_position("neck")
        self.camera: Camera = frame(drawn, width, height, framing, neck)
        avatar = level_of_detail(avatar, self.camera)
        self._fxaa = fxaa
        #: Frames take the process-wide GL lock (a Mesa software driver: see ``_GL_LOCK``).
        self.serialized = True
        #: The driver's ``GL_RENDERER`` string (e.g. ``llvmpipe (LLVM 15.0.6, 256 bits)``).
        self.gl_renderer = ""
        #: The boxes (x0, y0, x1, y1; pixels, y = picture row) the last frame redrew, one draw
        #: pass each, empty when it equalled the one before (benchmarks, diagnostics).
        self.redrawn: tuple[tuple[int, int, int, int], ...] = ()
        #: Where the last frame's GL-thread CPU went, per stage (benchmarks, diagnostics).
        self.stages = FrameStages()
        #: Material names whose base colour texture :meth:`set_texture` may swap.
        self._textured = frozenset(m.name for m in avatar.materials if m.base_color_texture)
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._closed = False
        self._lock = threading.Lock()
        ready: Future = Future()
        self._thread = threading.Thread(
            target=self._run, args=(avatar, msaa, ready), name="avatar-gl", daemon=True
        )
        self._thread.start()
        ready.result()

    def _run(self, avatar: Avatar, msaa: int, ready: Future) -> None:
        with _GL_LOCK:
            made = self._set_up(avatar, msaa, ready)
        if made is None:
            return
        context, scene = made
        try:
            while True:
                item = self._queue.get()
                if item is _STOP:
                    break
                if isinstance(item, _SetTexture):  # an upload: GL, so under the lock
                    try:
                        with _GL_LOCK if self.serialized else nullcontext():
                            scene.set_texture(item.material, item.image)
                    except Exception:  # checked in set_texture; a GL failure keeps the old one
                        log.exception("texture of %r not swapped", item.material)
                    continue
                pose, out, future = item
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    scene.draw(pose, out, _GL_LOCK if self.serialized else None)
                except Exception as exc:
                    future.set_exception(RendererError(f"render failed: {exc}"))
                else:
                    self.redrawn, self.stages = scene.redrawn, scene.stages
                    future.set_result(out)
        finally:
            with _GL_LOCK:
                context.destroy()
            self._drain()

    def _set_up(
        self, avatar: Avatar, msaa: int, ready: Future
    ) -> tuple[EGLContext, GLScene] | None:
        """The context and the scene, warmed up by one frame (GL thread, under the set-up
        lock); None, with ``ready`` failed, when either cannot be made."""
        try:
            context = create_context()
        except EGLUnavailableError as exc:
            ready.set_exception(exc)
            return None
        try:
            from OpenGL import GL

            from avatar.gl_scene import GLScene

            name = (GL.glGetString(GL.GL_RENDERER) or b"").decode(errors="replace")
            self.gl_renderer = name
            self.serialized = any(sw in name.lower() for sw in SOFTWARE_RENDERERS)
            backdrop = studio_backdrop(self.width, self.height)
            scene = GLScene(avatar, self.camera, msaa, self._fxaa, backdrop)
            scene.draw(NEUTRAL_POSE, np.empty((self.height, self.width, 3), np.uint8))  # warm-up
        except Exception as exc:
            context.destroy()
            ready.set_exception(exc if isinstance(exc, RendererError) else RendererError(exc))
            return None
        ready.set_result(None)
        return context, scene

    def _drain(self) -> None:
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if item is not _STOP and not isinstance(item, _SetTexture):
                item[2].set_exception(RendererError("renderer closed"))

    def submit(self, pose: Pose, out: np.ndarray | None = None) -> Future:
        """Queue one frame; the future resolves to the frame array.

        Args:
            pose: the face/head state to draw.
            out: optional uint8 (H, W, 3) C-contiguous array to draw into (avoids allocating).

        Returns:
            A :class:`concurrent.futures.Future` of uint8 (H, W, 3) RGB, row 0 at the top.

        Raises:
            RendererError: the renderer is closed, or ``out`` has the wrong shape/dtype.
        """
        shape = (self.height, self.width, 3)
        if out is None:
            out = np.empty(shape, np.uint8)
        elif out.shape != shape or out.dtype != np.uint8 or not out.flags.c_contiguous:
            raise RendererError(f"out must be C-contiguous uint8 {shape}")
        future: Future = Future()
        with self._lock:
            if self._closed:
                raise RendererError("renderer closed")
            self._queue.put((pose, out, future))
        return future

    def set_texture(self, material: str, image: np.ndarray) -> None:
        """Draw ``material`` with ``image`` as its base colour texture in the frames submitted
        after this call (the name badge in the session's language; frames already queued keep
        the texture they were queued with). Each distinct image is uploaded once per renderer
        and kept; the same image again does nothing; a change redraws the next frame whole.

        Args:
            material: a textured material of the avatar (e.g. ``"badge"``).
            image: uint8 (H, W, 4) RGBA, sRGB, row 0 the image's top. It is kept, not copied:
                pass a read-only array (:func:`avatar.badge.badge_texture`).

        Raises:
            RendererError: the renderer is closed, the avatar has no textured material of that
                name, or ``image`` is not uint8 (H, W, 4).
        """
        if material not in self._textured:
            raise RendererError(
                f"no textured material {material!r}; the avatar has {sorted(self._textured)}"
            )
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 4:
            raise RendererError(f"texture must be uint8 (H, W, 4), got {image.dtype} {image.shape}")
        with self._lock:
            if self._closed:
                raise RendererError("renderer closed")
            self._queue.put(_SetTexture(material, image))

    def render(self, pose: Pose, out: np.ndarray | None = None) -> np.ndarray:
        """Draw one frame and wait for it (thread-safe).

        Args:
            pose: the face/head state to draw.
            out: optional uint8 (H, W, 3) array to draw into.

        Returns:
            uint8 (H, W, 3) RGB, row 0 at the top (``out`` when given).

        Raises:
            RendererError: closed renderer, bad ``out``, or a GL failure.
        """
        return self.submit(pose, out).result()

    def close(self) -> None:
        """Stop the GL thread and free the context; idempotent. Pending frames fail."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(_STOP)
        if threading.current_thread() is not self._thread:
            self._thread.join()

    def __enter__(self) -> Renderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
