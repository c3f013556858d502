"""FXAA for llvmpipe: one branch-free pass over the avatar's box (GL thread only).

FXAA (T. Lottes, NVIDIA 2009–2011, "FXAA" white paper; the compact variant with four diagonal
luma taps, a contrast threshold, and two or four taps along the edge) runs on the sRGB-encoded
values. GPU implementations return early in flat areas; llvmpipe shades 8–16 pixels at a time
under masks, so the early return saves nothing there and its divergent control flow costs
extra: the filter is computed everywhere and the result selected without a branch. Marking
edge pixels first (stencil export, discard, or a read-back list of edge blocks) cost more on
llvmpipe than it saved.
"""

from __future__ import annotations

from OpenGL import GL

from avatar.gl_programs import link

FULLSCREEN_VS = """#version 330 core
const vec2 P[3] = vec2[3](vec2(-1.0, -1.0), vec2(3.0, -1.0), vec2(-1.0, 3.0));
void main() { gl_Position = vec4(P[gl_VertexID], 0.0, 1.0); }
"""

COPY_FS = """#version 330 core
uniform sampler2D u_src;
out vec4 o_color;
void main() { o_color = texelFetch(u_src, ivec2(gl_FragCoord.xy), 0); }
"""

_LUMA = "const vec3 LUMA = vec3(0.299, 0.587, 0.114);\n"

_FILTER_FS = (
    """#version 330 core
uniform sampler2D u_src;
uniform vec2 u_px;
out vec4 o_color;
"""
    + _LUMA
    + """
const float EDGE_MIN = 1.0 / 24.0, EDGE_REL = 1.0 / 8.0;
const float REDUCE_MUL = 1.0 / 8.0, REDUCE_MIN = 1.0 / 128.0, SPAN_MAX = 8.0;
float luma_at(ivec2 p) { return dot(texelFetch(u_src, p, 0).rgb, LUMA); }
void main() {
    ivec2 p = ivec2(gl_FragCoord.xy);
    vec2 uv = gl_FragCoord.xy * u_px;
    vec4 m = texelFetch(u_src, p, 0);
    float lm = dot(m.rgb, LUMA);
    float nw = luma_at(p + ivec2(-1, -1)), ne = luma_at(p + ivec2(1, -1));
    float sw = luma_at(p + ivec2(-1, 1)), se = luma_at(p + ivec2(1, 1));
    float lo = min(lm, min(min(nw, ne), min(sw, se)));
    float hi = max(lm, max(max(nw, ne), max(sw, se)));
    vec2 dir = vec2(-((nw + ne) - (sw + se)), (nw + sw) - (ne + se));
    float reduce = max((nw + ne + sw + se) * 0.25 * REDUCE_MUL, REDUCE_MIN);
    float scale = 1.0 / (min(abs(dir.x), abs(dir.y)) + reduce);
    dir = clamp(dir * scale, vec2(-SPAN_MAX), vec2(SPAN_MAX)) * u_px;
    float flat_area = step(hi - lo, max(EDGE_MIN, hi * EDGE_REL));
    vec3 a = 0.5 * (texture(u_src, uv - dir / 6.0).rgb + texture(u_src, uv + dir / 6.0).rgb);
    vec3 b = 0.5 * a + 0.25 * (texture(u_src, uv - dir * 0.5).rgb
                             + texture(u_src, uv + dir * 0.5).rgb);
    float lb = dot(b, LUMA);
    vec3 edge = (lb < lo || lb > hi) ? a : b;
    o_color = vec4(mix(edge, m.rgb, flat_area), 1.0);
}
"""
)


def _program(vs: str, fs: str, width: int, height: int) -> int:
    program = link(vs, fs)
    GL.glUseProgram(program)
    loc = GL.glGetUniformLocation(program, "u_src")
    if loc >= 0:
        GL.glUniform1i(loc, 0)
    GL.glUniform2f(GL.glGetUniformLocation(program, "u_px"), 1 / width, 1 / height)
    return program


def box_pass(fbo: int, box: tuple[int, int, int, int]) -> None:
    """Set up a full-screen-triangle pass into ``fbo`` that writes only ``box`` (x0, y0, x1,
    y1 in pixels, x1/y1 exclusive): binds ``fbo``, turns the scissor test on over ``box`` and
    depth test, blending and face culling off. Leaves the scissor on; the viewport, program,
    textures and sRGB writes are the caller's (GL thread only)."""
    x0, y0, x1, y1 = box
    GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, fbo)
    GL.glEnable(GL.GL_SCISSOR_TEST)
    GL.glScissor(x0, y0, x1 - x0, y1 - y0)
    GL.glDisable(GL.GL_DEPTH_TEST)
    GL.glDisable(GL.GL_BLEND)
    GL.glDisable(GL.GL_CULL_FACE)


class Fxaa:
    """Anti-aliases a source texture into its own framebuffer, inside a box.

    Args:
        width, height: frame size in pixels.
        vao: an empty vertex array object for the full-screen triangle.

    Attributes:
        fbo: the output framebuffer (RGBA8, sRGB-encoded bytes), to read back.
    """

    def __init__(self, width: int, height: int, vao: int) -> None:
        self._vao = vao
        self.fbo = GL.glGenFramebuffers(1)
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self.fbo)
        color = GL.glGenRenderbuffers(1)
        GL.glBindRenderbuffer(GL.GL_RENDERBUFFER, color)
        GL.glRenderbufferStorage(GL.GL_RENDERBUFFER, GL.GL_RGBA8, width, height)
        GL.glFramebufferRenderbuffer(
            GL.GL_FRAMEBUFFER, GL.GL_COLOR_ATTACHMENT0, GL.GL_RENDERBUFFER, color
        )
        self._filter = _program(FULLSCREEN_VS, _FILTER_FS, width, height)

    def run(self, source: int, box: tuple[int, int, int, int]) -> None:
        """Filter ``box`` of texture ``source`` into :attr:`fbo` (leaves the scissor on)."""
        box_pass(self.fbo, box)
        GL.glActiveTexture(GL.GL_TEXTURE0)
        GL.glBindTexture(GL.GL_TEXTURE_2D, source)
        GL.glUseProgram(self._filter)
        GL.glBindVertexArray(self._vao)
        GL.glDrawArrays(GL.GL_TRIANGLES, 0, 3)
