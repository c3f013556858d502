"""A headless OpenGL 3.3 core context through EGL, without any window or pbuffer.

Tries, in order: Mesa's surfaceless platform (``EGL_MESA_platform_surfaceless``, which is what
``EGL_PLATFORM=surfaceless`` selects: llvmpipe on a CPU-only machine), the first EGL device
(``EGL_EXT_platform_device``: the NVIDIA driver), then the default display. Rendering goes to a
framebuffer object, so no surface is ever created (``EGL_KHR_surfaceless_context``).

Importing this module sets ``PYOPENGL_PLATFORM=egl`` unless already set; PyOpenGL reads it once,
at its first import, so import the avatar renderer before anything else that imports OpenGL.
"""

from __future__ import annotations

import ctypes
import os
from dataclasses import dataclass

os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
os.environ.setdefault("EGL_PLATFORM", "surfaceless")

DEBIAN_PACKAGES = "libegl1 libegl-mesa0 libgl1-mesa-dri libgbm1"
_PLATFORM_SURFACELESS_MESA = 0x31DD
_PLATFORM_DEVICE_EXT = 0x313F


class RendererError(Exception):
    """The renderer failed (GL error, bad arguments, or it was closed)."""


class EGLUnavailableError(RendererError):
    """No EGL/OpenGL 3.3 context could be created on this machine."""


@dataclass(slots=True)
class EGLContext:
    """A current-able EGL display + context pair (opaque PyOpenGL handles)."""

    display: object
    context: object

    def make_current(self) -> None:
        """Bind the context to the calling thread, with no surface."""
        from OpenGL import EGL

        if not EGL.eglMakeCurrent(
            self.display, EGL.EGL_NO_SURFACE, EGL.EGL_NO_SURFACE, self.context
        ):
            raise EGLUnavailableError("eglMakeCurrent failed")

    def destroy(self) -> None:
        """Release the context (call on the owning thread).

        The display is not terminated: EGL hands every caller the same display per platform,
        and ``eglTerminate`` would invalidate the contexts of other renderers in this process.
        """
        from OpenGL import EGL

        EGL.eglMakeCurrent(self.display, EGL.EGL_NO_SURFACE, EGL.EGL_NO_SURFACE, EGL.EGL_NO_CONTEXT)
        EGL.eglDestroyContext(self.display, self.context)
        EGL.eglReleaseThread()


def _unavailable(reason: str) -> EGLUnavailableError:
    return EGLUnavailableError(
        f"cannot create an OpenGL context through EGL: {reason}. On Debian/Ubuntu install "
        f"{DEBIAN_PACKAGES} (apt-get install {DEBIAN_PACKAGES}); PYOPENGL_PLATFORM must be "
        f"'egl' (it is {os.environ.get('PYOPENGL_PLATFORM')!r})."
    )


def _surfaceless_display():
    from OpenGL.EGL.EXT.platform_base import eglGetPlatformDisplayEXT

    return eglGetPlatformDisplayEXT(_PLATFORM_SURFACELESS_MESA, None, None)


def _device_display():
    from OpenGL import EGL
    from OpenGL.EGL.EXT.device_enumeration import eglQueryDevicesEXT
    from OpenGL.EGL.EXT.platform_base import eglGetPlatformDisplayEXT

    devices = (ctypes.c_void_p * 4)()
    count = EGL.EGLint()
    if not eglQueryDevicesEXT(4, devices, ctypes.pointer(count)) or count.value == 0:
        return None
    device = ctypes.cast(devices[0], EGL.EGLDeviceEXT)
    return eglGetPlatformDisplayEXT(_PLATFORM_DEVICE_EXT, device, None)


def _default_display():
    from OpenGL import EGL

    return EGL.eglGetDisplay(EGL.EGL_DEFAULT_DISPLAY)


def create_context() -> EGLContext:
    """Create an OpenGL 3.3 core context on the first EGL display that offers one.

    Returns:
        The context, already current on the calling thread.

    Raises:
        EGLUnavailableError: libEGL missing, no display, or no GL 3.3 context (the message names
            the Debian packages to install).
    """
    try:
        from OpenGL import EGL
    except Exception as exc:  # ctypes raises ImportError, OSError or AttributeError
        raise _unavailable(f"libEGL could not be loaded ({exc})") from exc
    errors: list[str] = []
    for get_display in (_surfaceless_display, _device_display, _default_display):
        major, minor = EGL.EGLint(), EGL.EGLint()
        try:
            display = get_display()
            if not display or display == EGL.EGL_NO_DISPLAY:
                errors.append(f"{get_display.__name__[1:]}: none")
                continue
            if not EGL.eglInitialize(display, ctypes.pointer(major), ctypes.pointer(minor)):
                errors.append("eglInitialize failed")
                continue
            EGL.eglBindAPI(EGL.EGL_OPENGL_API)
            config, count = EGL.EGLConfig(), EGL.EGLint()
            attrs = (EGL.EGLint * 5)(
                EGL.EGL_RENDERABLE_TYPE, EGL.EGL_OPENGL_BIT, EGL.EGL_SURFACE_TYPE, 0, EGL.EGL_NONE
            )
            if (
                not EGL.eglChooseConfig(
                    display, attrs, ctypes.pointer(config), 1, ctypes.pointer(count)
                )
                or count.value == 0
            ):
                errors.append("no OpenGL-renderable EGL config")
                continue
            ctx_attrs = (EGL.EGLint * 7)(
                EGL.EGL_CONTEXT_MAJOR_VERSION,
                3,
                EGL.EGL_CONTEXT_MINOR_VERSION,
                3,
                EGL.EGL_CONTEXT_OPENGL_PROFILE_MASK,
                EGL.EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT,
                EGL.EGL_NONE,
            )
            context = EGL.eglCreateContext(display, config, EGL.EGL_NO_CONTEXT, ctx_attrs)
            if not context or context == EGL.EGL_NO_CONTEXT:
                errors.append("eglCreateContext(GL 3.3 core) failed")
                continue
            handle = EGLContext(display, context)
            handle.make_current()
            return handle
        except Exception as exc:  # PyOpenGL raises GLError/ctypes/Attribute errors per platform
            errors.append(f"{get_display.__name__[1:]}: {type(exc).__name__}: {exc}")
    raise _unavailable("; ".join(errors) or "no EGL display found")
