"""Framebuffers around the avatar draw: background, anti-aliasing, read-back (GL thread only).

The frame is sRGB (``SRGB8_ALPHA8``, written with ``GL_FRAMEBUFFER_SRGB``), so blending is
linear and the bytes read back are sRGB. Only the avatar's screen box (union of this and the
previous frame's) is touched each frame; the rest keeps the background drawn at start.

Anti-aliasing: MSAA (``msaa`` samples, resolved by a blit) where the GPU makes it cheap;
otherwise FXAA on the edge pixels inside the avatar's box (:mod:`avatar.gl_fxaa`).
"""

from __future__ import annotations

import ctypes

import numpy as np
from OpenGL import GL

from avatar.egl import RendererError
from avatar.gl_fxaa import COPY_FS, FULLSCREEN_VS, Fxaa, box_pass
from avatar.gl_programs import link
from avatar.screen_box import Box


def _filtering(tex: int) -> None:
    GL.glBindTexture(GL.GL_TEXTURE_2D, tex)
    for param, value in (
        (GL.GL_TEXTURE_MIN_FILTER, GL.GL_LINEAR),
        (GL.GL_TEXTURE_MAG_FILTER, GL.GL_LINEAR),
        (GL.GL_TEXTURE_WRAP_S, GL.GL_CLAMP_TO_EDGE),
        (GL.GL_TEXTURE_WRAP_T, GL.GL_CLAMP_TO_EDGE),
    ):
        GL.glTexParameteri(GL.GL_TEXTURE_2D, param, value)


def _texture(width: int, height: int, fmt: int, pixels=None, immutable: bool = False) -> int:
    tex = GL.glGenTextures(1)
    GL.glBindTexture(GL.GL_TEXTURE_2D, tex)
    if immutable:  # immutable storage can be viewed in another format (GL 4.3 texture views)
        GL.glTexStorage2D(GL.GL_TEXTURE_2D, 1, fmt, width, height)
    else:
        GL.glTexImage2D(
            GL.GL_TEXTURE_2D, 0, fmt, width, height, 0, GL.GL_RGBA, GL.GL_UNSIGNED_BYTE, pixels
        )
    _filtering(tex)
    return tex


def _raw_view(srgb_texture: int) -> int:
    """An RGBA8 view of an SRGB8_ALPHA8 texture: sampling returns the stored (encoded) bytes.

    (``EXT_texture_sRGB_decode``'s skip-decode is not honoured by llvmpipe's ``texelFetch``.)
    """
    view = GL.glGenTextures(1)
    GL.glTextureView(view, GL.GL_TEXTURE_2D, srgb_texture, GL.GL_RGBA8, 0, 1, 0, 1)
    _filtering(view)
    return view


def _framebuffer(color, depth: bool, width: int, height: int, samples: int = 0) -> int:
    """An FBO with ``color`` (a texture id, or a GL format for a renderbuffer) and depth."""
    fbo = GL.glGenFramebuffers(1)
    GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, fbo)
    if isinstance(color, tuple):  # ("rb", format)
        rb = GL.glGenRenderbuffers(1)
        GL.glBindRenderbuffer(GL.GL_RENDERBUFFER, rb)
        GL.glRenderbufferStorageMultisample(GL.GL_RENDERBUFFER, samples, color[1], width, height)
        GL.glFramebufferRenderbuffer(
            GL.GL_FRAMEBUFFER, GL.GL_COLOR_ATTACHMENT0, GL.GL_RENDERBUFFER, rb
        )
    else:
        GL.glFramebufferTexture2D(
            GL.GL_FRAMEBUFFER, GL.GL_COLOR_ATTACHMENT0, GL.GL_TEXTURE_2D, color, 0
        )
    if depth:
        rb = GL.glGenRenderbuffers(1)
        GL.glBindRenderbuffer(GL.GL_RENDERBUFFER, rb)
        GL.glRenderbufferStorageMultisample(
            GL.GL_RENDERBUFFER, samples, GL.GL_DEPTH_COMPONENT24, width, height
        )
        GL.glFramebufferRenderbuffer(
            GL.GL_FRAMEBUFFER, GL.GL_DEPTH_ATTACHMENT, GL.GL_RENDERBUFFER, rb
        )
    status = GL.glCheckFramebufferStatus(GL.GL_FRAMEBUFFER)
    if status != GL.GL_FRAMEBUFFER_COMPLETE:
        raise RendererError(f"framebuffer incomplete: 0x{int(status):x} (samples={samples})")
    return fbo


class FrameTarget:
    """The render targets of one renderer.

    Args:
        width, height: frame size in pixels.
        msaa: multisample count (0 = off).
        fxaa: run FXAA inside the avatar's box (ignored when ``msaa`` > 0).
        background: uint8 (height, width, 3) sRGB picture behind the avatar, row 0 at the top.

    Raises:
        RendererError: a framebuffer the driver cannot build (e.g. too many samples).
    """

    def __init__(
        self, width: int, height: int, msaa: int, fxaa: bool, background: np.ndarray
    ) -> None:
        self.width, self.height, self.msaa = width, height, msaa
        self.fxaa = fxaa and msaa == 0
        rgba = np.empty((height, width, 4), np.uint8)
        rgba[..., :3] = background  # the projection flips Y: GL row 0 is the picture's top
        rgba[..., 3] = 255
        self._bg_tex = _texture(width, height, GL.GL_RGBA8, rgba)
        self._scene_tex = _texture(width, height, GL.GL_SRGB8_ALPHA8, immutable=True)
        self._scene_fbo = _framebuffer(self._scene_tex, True, width, height)
        self._draw_fbo = self._scene_fbo
        if msaa > 0:
            self._draw_fbo = _framebuffer(("rb", GL.GL_SRGB8_ALPHA8), True, width, height, msaa)
        self._read_fbo = self._scene_fbo
        self._copy = link(FULLSCREEN_VS, COPY_FS)
        self._vao = GL.glGenVertexArrays(1)
        self._fxaa: Fxaa | None = None
        if self.fxaa:
            self._fxaa = Fxaa(width, height, self._vao)
            self._read_fbo = self._fxaa.fbo
            self._scene_raw = _raw_view(self._scene_tex)
        full = (0, 0, width, height)
        for fbo in {self._draw_fbo, self._scene_fbo, self._read_fbo}:
            self._restore(fbo, full)
        GL.glPixelStorei(GL.GL_PACK_ALIGNMENT, 1)

    def _restore(self, fbo: int, box: Box) -> None:
        """Copy the background into ``box`` of ``fbo`` (raw bytes, no sRGB conversion).

        A full-screen triangle with a texel copy, scissored: cheaper than a blit on llvmpipe,
        and allowed into multisample buffers where blits are not.
        """
        GL.glDisable(GL.GL_FRAMEBUFFER_SRGB)
        box_pass(fbo, box)
        GL.glViewport(0, 0, self.width, self.height)
        GL.glUseProgram(self._copy)
        GL.glActiveTexture(GL.GL_TEXTURE0)
        GL.glBindTexture(GL.GL_TEXTURE_2D, self._bg_tex)
        GL.glBindVertexArray(self._vao)
        GL.glDrawArrays(GL.GL_TRIANGLES, 0, 3)
        GL.glDisable(GL.GL_SCISSOR_TEST)

    def begin(self, box: Box) -> None:
        """Bind the draw framebuffer, put the background back and clear depth inside ``box``;
        leaves the scissor test on ``box`` and sRGB writes on."""
        self._restore(self._draw_fbo, box)
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self._draw_fbo)
        GL.glViewport(0, 0, self.width, self.height)
        x0, y0, x1, y1 = box
        GL.glEnable(GL.GL_SCISSOR_TEST)
        GL.glScissor(x0, y0, x1 - x0, y1 - y0)
        GL.glDepthMask(GL.GL_TRUE)
        GL.glClear(GL.GL_DEPTH_BUFFER_BIT)
        GL.glEnable(GL.GL_FRAMEBUFFER_SRGB)

    def finish(self, box: Box, out: np.ndarray) -> None:
        """Resolve / anti-alias ``box`` and read it into ``out`` (uint8 (height, width, 3), row
        0 at the top, holding the previous frame: the rest of it is left as it is)."""
        GL.glDisable(GL.GL_FRAMEBUFFER_SRGB)
        x0, y0, x1, y1 = box
        if self._draw_fbo != self._scene_fbo:
            GL.glDisable(GL.GL_SCISSOR_TEST)
            GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, self._draw_fbo)
            GL.glBindFramebuffer(GL.GL_DRAW_FRAMEBUFFER, self._scene_fbo)
            GL.glBlitFramebuffer(
                x0, y0, x1, y1, x0, y0, x1, y1, GL.GL_COLOR_BUFFER_BIT, GL.GL_NEAREST
            )
        if self._fxaa is not None:
            self._fxaa.run(self._scene_raw, box)
        GL.glDisable(GL.GL_SCISSOR_TEST)
        GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, self._read_fbo)
        GL.glPixelStorei(GL.GL_PACK_ROW_LENGTH, self.width)
        GL.glReadPixels(
            x0,
            y0,
            x1 - x0,
            y1 - y0,
            GL.GL_RGB,
            GL.GL_UNSIGNED_BYTE,
            ctypes.c_void_p(out[y0, x0:].ctypes.data),
        )
