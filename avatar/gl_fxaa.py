"""FXAA for llvmpipe: the full filter only on pixels that sit on an edge (GL thread only).

FXAA (T. Lottes, NVIDIA 2009–2011, "FXAA" white paper; the compact variant with four diagonal
luma taps, a contrast threshold, and two or four taps along the edge) runs on the sRGB-encoded
values. A GPU skips the filter in flat areas by branching; llvmpipe shades 8–16 pixels at a
time with masks, so a branch saves nothing and a whole-frame FXAA costs as much as the avatar.
Here a first pass copies each pixel and, through ``GL_ARB_shader_stencil_export``, marks the
pixels whose local contrast passes FXAA's threshold in the stencil buffer; the second pass runs
the filter under the stencil test, which llvmpipe evaluates before shading. Without the
extension the filter runs on every pixel of the box.
"""

from __future__ import annotations

from OpenGL import GL

from avatar.gl_programs import link

FULLSCREEN_VS = """#version 330 core
const vec2 P[3] = vec2[3](vec2(-1.0, -1.0), vec2(3.0, -1.0), vec2(-1.0, 3.0));
void main() { gl_Position = vec4(P[gl_VertexID], 0.0, 1.0); }
"""

_COMMON = """
uniform sampler2D u_src;   // sRGB-encoded values (decode skipped)
uniform vec2 u_px;         // 1 / size
out vec4 o_color;
const vec3 LUMA = vec3(0.299, 0.587, 0.114);
const float EDGE_MIN = 1.0 / 24.0, EDGE_REL = 1.0 / 8.0;
float luma_at(ivec2 p) { return dot(texelFetch(u_src, p, 0).rgb, LUMA); }
"""

_MARK_FS = (
    """#version 330 core
#extension GL_ARB_shader_stencil_export : require
"""
    + _COMMON
    + """
void main() {
    ivec2 p = ivec2(gl_FragCoord.xy);
    vec4 m = texelFetch(u_src, p, 0);
    float lm = dot(m.rgb, LUMA);
    float nw = luma_at(p + ivec2(-1, -1)), ne = luma_at(p + ivec2(1, -1));
    float sw = luma_at(p + ivec2(-1, 1)), se = luma_at(p + ivec2(1, 1));
    float lo = min(lm, min(min(nw, ne), min(sw, se)));
    float hi = max(lm, max(max(nw, ne), max(sw, se)));
    gl_FragStencilRefARB = (hi - lo < max(EDGE_MIN, hi * EDGE_REL)) ? 0 : 1;
    o_color = m;
}
"""
)

_FILTER_FS = (
    """#version 330 core
"""
    + _COMMON
    + """
const float REDUCE_MUL = 1.0 / 8.0, REDUCE_MIN = 1.0 / 128.0, SPAN_MAX = 8.0;
void main() {
    ivec2 p = ivec2(gl_FragCoord.xy);
    vec2 uv = gl_FragCoord.xy * u_px;
    vec4 m = texelFetch(u_src, p, 0);
    float lm = dot(m.rgb, LUMA);
    float nw = luma_at(p + ivec2(-1, -1)), ne = luma_at(p + ivec2(1, -1));
    float sw = luma_at(p + ivec2(-1, 1)), se = luma_at(p + ivec2(1, 1));
    float lo = min(lm, min(min(nw, ne), min(sw, se)));
    float hi = max(lm, max(max(nw, ne), max(sw, se)));
#ifndef MASKED
    if (hi - lo < max(EDGE_MIN, hi * EDGE_REL)) { o_color = m; return; }
#endif
    vec2 dir = vec2(-((nw + ne) - (sw + se)), (nw + sw) - (ne + se));
    float reduce = max((nw + ne + sw + se) * 0.25 * REDUCE_MUL, REDUCE_MIN);
    float scale = 1.0 / (min(abs(dir.x), abs(dir.y)) + reduce);
    dir = clamp(dir * scale, vec2(-SPAN_MAX), vec2(SPAN_MAX)) * u_px;
    vec3 a = 0.5 * (texture(u_src, uv - dir / 6.0).rgb + texture(u_src, uv + dir / 6.0).rgb);
    vec3 b = 0.5 * a + 0.25 * (texture(u_src, uv - dir * 0.5).rgb
                             + texture(u_src, uv + dir * 0.5).rgb);
    float lb = dot(b, LUMA);
    o_color = vec4((lb < lo || lb > hi) ? a : b, 1.0);
}
"""
)


def _has_extension(name: str) -> bool:
    count = int(GL.glGetIntegerv(GL.GL_NUM_EXTENSIONS))
    return any(GL.glGetStringi(GL.GL_EXTENSIONS, k).decode() == name for k in range(count))


class Fxaa:
    """Anti-aliases ``source`` (a texture) into its own framebuffer, inside a box.

    Args:
        width, height: frame size in pixels.
        vao: an empty vertex array object for the full-screen triangle.

    Attributes:
        fbo: the output framebuffer (RGBA8, sRGB-encoded bytes), to read back.
        masked: True when edge pixels are found first (``GL_ARB_shader_stencil_export``).
    """

    def __init__(self, width: int, height: int, vao: int) -> None:
        self._vao = vao
        self.masked = _has_extension("GL_ARB_shader_stencil_export")
        self.fbo = GL.glGenFramebuffers(1)
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self.fbo)
        color, stencil = GL.glGenRenderbuffers(2)
        GL.glBindRenderbuffer(GL.GL_RENDERBUFFER, color)
        GL.glRenderbufferStorage(GL.GL_RENDERBUFFER, GL.GL_RGBA8, width, height)
        GL.glFramebufferRenderbuffer(
            GL.GL_FRAMEBUFFER, GL.GL_COLOR_ATTACHMENT0, GL.GL_RENDERBUFFER, color
        )
        if self.masked:
            GL.glBindRenderbuffer(GL.GL_RENDERBUFFER, stencil)
            GL.glRenderbufferStorage(GL.GL_RENDERBUFFER, GL.GL_DEPTH24_STENCIL8, width, height)
            GL.glFramebufferRenderbuffer(
                GL.GL_FRAMEBUFFER, GL.GL_DEPTH_STENCIL_ATTACHMENT, GL.GL_RENDERBUFFER, stencil
            )
        defines = "#define MASKED 1\n" if self.masked else ""
        self._filter = link(FULLSCREEN_VS, _FILTER_FS.replace("\n", "\n" + defines, 1))
        self._mark = link(FULLSCREEN_VS, _MARK_FS) if self.masked else None
        for program in (p for p in (self._filter, self._mark) if p is not None):
            GL.glUseProgram(program)
            GL.glUniform1i(GL.glGetUniformLocation(program, "u_src"), 0)
            GL.glUniform2f(GL.glGetUniformLocation(program, "u_px"), 1 / width, 1 / height)

    def run(self, source: int, box: tuple[int, int, int, int]) -> None:
        """Filter ``box`` of texture ``source`` into :attr:`fbo` (leaves the scissor on)."""
        x0, y0, x1, y1 = box
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self.fbo)
        GL.glEnable(GL.GL_SCISSOR_TEST)
        GL.glScissor(x0, y0, x1 - x0, y1 - y0)
        GL.glDisable(GL.GL_DEPTH_TEST)
        GL.glDisable(GL.GL_BLEND)
        GL.glDisable(GL.GL_CULL_FACE)
        GL.glActiveTexture(GL.GL_TEXTURE0)
        GL.glBindTexture(GL.GL_TEXTURE_2D, source)
        GL.glBindVertexArray(self._vao)
        if self._mark is not None:
            GL.glEnable(GL.GL_STENCIL_TEST)
            GL.glStencilMask(0xFF)
            GL.glStencilFunc(GL.GL_ALWAYS, 0, 0xFF)
            GL.glStencilOp(GL.GL_REPLACE, GL.GL_REPLACE, GL.GL_REPLACE)
            GL.glUseProgram(self._mark)
            GL.glDrawArrays(GL.GL_TRIANGLES, 0, 3)
            GL.glStencilFunc(GL.GL_EQUAL, 1, 0xFF)
            GL.glStencilOp(GL.GL_KEEP, GL.GL_KEEP, GL.GL_KEEP)
        GL.glUseProgram(self._filter)
        GL.glDrawArrays(GL.GL_TRIANGLES, 0, 3)
        GL.glDisable(GL.GL_STENCIL_TEST)
