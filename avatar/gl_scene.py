"""GL resources and the draw call for one avatar; used only on the renderer's GL thread.

Morph targets are blended on the CPU (float32 ufuncs over the vertices any target moves, for
the targets with non-zero weight) and uploaded only when the weights change; head rotation, lighting and the background run in
GLSL 3.30. Shading: wrapped Lambert (soft, skin-like terminator) from a key, a fill and a rim
light, a hemisphere ambient, and a Blinn-Phong highlight whose exponent follows glTF roughness;
the result is gamma-encoded to sRGB (2.2).
"""

from __future__ import annotations

import ctypes

import numpy as np
from OpenGL import GL

from avatar.camera import frame, head_rotation
from avatar.egl import RendererError
from avatar.mesh import morph_normal_deltas
from avatar.model import Avatar, Submesh
from avatar.pose import Pose

_MESH_VS = """#version 330 core
layout(location = 0) in vec3 a_pos;
layout(location = 1) in vec3 a_nrm;
layout(location = 2) in vec4 a_col;
layout(location = 3) in float a_head;
layout(location = 4) in vec2 a_mat;
uniform mat4 u_view_proj;
uniform mat3 u_head_rot;
uniform vec3 u_pivot;
out vec3 v_pos;
out vec3 v_nrm;
out vec4 v_col;
out vec2 v_mat;
void main() {
    v_mat = a_mat;
    vec3 p = mix(a_pos, u_pivot + u_head_rot * (a_pos - u_pivot), a_head);
    v_nrm = mix(a_nrm, u_head_rot * a_nrm, a_head);
    v_pos = p;
    v_col = a_col;
    gl_Position = u_view_proj * vec4(p, 1.0);
}
"""

_MESH_FS = """#version 330 core
in vec3 v_pos;
in vec3 v_nrm;
in vec4 v_col;
in vec2 v_mat;  // (Blinn-Phong exponent, specular strength)
uniform vec3 u_eye;
out vec4 o_color;
float wrap(vec3 n, vec3 l, float w) { return max((dot(n, l) + w) / (1.0 + w), 0.0); }
void main() {
    vec3 n = normalize(v_nrm);
    vec3 v = normalize(u_eye - v_pos);
    if (dot(n, v) < 0.0) n = -n;  // back faces (double-sided, or seen through a gap)
    vec4 albedo = v_col;
    vec3 key = normalize(vec3(-0.45, 0.55, 0.75));
    vec3 fill = normalize(vec3(0.7, 0.1, 0.7));
    vec3 rim = normalize(vec3(0.3, 0.6, -0.8));
    vec3 light = vec3(1.0, 0.96, 0.9) * 1.05 * wrap(n, key, 0.35)
               + vec3(0.75, 0.82, 1.0) * 0.35 * wrap(n, fill, 0.5)
               + vec3(1.0, 1.0, 1.0) * 0.35 * pow(1.0 - max(dot(n, v), 0.0), 3.0)
                 * max(dot(n, rim) + 0.3, 0.0);
    vec3 ambient = mix(vec3(0.16, 0.14, 0.13), vec3(0.30, 0.32, 0.36), 0.5 + 0.5 * n.y);
    vec3 h = normalize(key + v);
    float spec = v_mat.y * pow(max(dot(n, h), 0.0), v_mat.x) * step(0.0, dot(n, key));
    vec3 c = albedo.rgb * (ambient + light) + vec3(spec);
    c = c / (1.0 + 0.12 * c);  // gentle highlight roll-off
    o_color = vec4(pow(clamp(c, 0.0, 1.0), vec3(1.0 / 2.2)), albedo.a);
}
"""

_BG_VS = """#version 330 core
const vec2 P[3] = vec2[3](vec2(-1.0, -1.0), vec2(3.0, -1.0), vec2(-1.0, 3.0));
out vec2 v_uv;
void main() {
    vec2 p = P[gl_VertexID];
    v_uv = vec2(p.x, -p.y) * 0.5 + 0.5;  // image rows are flipped: v_uv.y = 1 at the top
    gl_Position = vec4(p, 0.999, 1.0);
}
"""

_BG_FS = """#version 330 core
in vec2 v_uv;
out vec4 o_color;
void main() {
    vec3 top = vec3(0.80, 0.86, 0.92);
    vec3 bottom = vec3(0.52, 0.60, 0.70);
    vec3 c = mix(bottom, top, v_uv.y);
    float glow = exp(-6.0 * dot(v_uv - vec2(0.5, 0.62), v_uv - vec2(0.5, 0.62)));
    c += 0.08 * glow;
    o_color = vec4(c, 1.0);
}
"""


def _compile(vs: str, fs: str) -> int:
    def shader(kind: int, src: str) -> int:
        handle = GL.glCreateShader(kind)
        GL.glShaderSource(handle, src)
        GL.glCompileShader(handle)
        if not GL.glGetShaderiv(handle, GL.GL_COMPILE_STATUS):
            raise RendererError(f"shader compile failed: {GL.glGetShaderInfoLog(handle)}")
        return handle

    program = GL.glCreateProgram()
    for handle in (shader(GL.GL_VERTEX_SHADER, vs), shader(GL.GL_FRAGMENT_SHADER, fs)):
        GL.glAttachShader(program, handle)
    GL.glLinkProgram(program)
    if not GL.glGetProgramiv(program, GL.GL_LINK_STATUS):
        raise RendererError(f"shader link failed: {GL.glGetProgramInfoLog(program)}")
    return program


def _material(sub: Submesh) -> tuple[float, float]:
    """(Blinn-Phong exponent, specular strength) from glTF roughness.

    Exponent 2/α² − 2 with α = roughness² (Walter et al. 2007, Beckmann ↔ Phong equivalence).
    """
    alpha = min(max(sub.roughness, 0.08), 1.0) ** 2
    return max(2.0 / alpha**2 - 2.0, 1.0), 0.22 * (1.0 - sub.roughness) + 0.03


class GLScene:
    """Buffers, shaders and an offscreen framebuffer for one avatar (GL thread only).

    Materials are baked into per-vertex attributes (vertices shared by two materials are
    duplicated), so there are at most three draw calls: single-sided opaque triangles with
    back-face culling (half the rasterisation on closed meshes), double-sided opaque ones, and
    blended ones; llvmpipe re-shades the whole vertex range on every draw call.

    Args:
        avatar: the mesh to draw.
        width: image width in pixels.
        height: image height in pixels.
        msaa: samples for multisample antialiasing (0 = off; llvmpipe is slow with it).
    """

    def __init__(self, avatar: Avatar, width: int, height: int, msaa: int = 0) -> None:
        self.avatar = avatar
        self.width, self.height, self.msaa = width, height, msaa
        self.camera = frame(*avatar.bounds(), width, height)
        self._mesh = _compile(_MESH_VS, _MESH_FS)
        self._bg = _compile(_BG_VS, _BG_FS)
        self._uniforms = {
            name: GL.glGetUniformLocation(self._mesh, name)
            for name in ("u_view_proj", "u_head_rot", "u_pivot", "u_eye")
        }
        t = len(avatar.target_names)
        m = avatar.morph_vertices.size
        self._src_pos = avatar.positions.copy()
        self._src_nrm = avatar.normals.copy()
        self._pos_deltas = avatar.morph_deltas.reshape(t, m * 3)
        self._nrm_deltas = morph_normal_deltas(
            avatar.positions, avatar.indices, avatar.morph_vertices, avatar.morph_deltas
        ).reshape(t, m * 3)
        self._rest_pos = avatar.positions[avatar.morph_vertices].reshape(-1)
        self._rest_nrm = avatar.normals[avatar.morph_vertices].reshape(-1)
        self._blend = np.empty(m * 3, np.float32)
        self._tmp = np.empty(m * 3, np.float32)
        self._uploaded: np.ndarray | None = None
        self._build_draw_arrays()
        self._setup_buffers()
        self._setup_framebuffer()

    def _build_draw_arrays(self) -> None:
        """Split vertices per visible submesh; opaque first, then blended."""
        a = self.avatar
        visible = [s for s in a.submeshes if s.base_color[3] > 0.0 and s.index_count]
        groups = (
            [s for s in visible if s.alpha_mode != "BLEND" and not s.double_sided],
            [s for s in visible if s.alpha_mode != "BLEND" and s.double_sided],
            [s for s in visible if s.alpha_mode == "BLEND"],
        )
        ordered = [s for group in groups for s in group]
        # (first index, count) of: culled opaque, double-sided opaque, blended
        counts = [sum(s.index_count for s in group) for group in groups]
        self._ranges = (
            (0, counts[0]),
            (counts[0], counts[1]),
            (counts[0] + counts[1], counts[2]),
        )
        sources, colors, mats, indices = [], [], [], []
        offset = 0
        for sub in ordered:
            tris = a.indices[sub.first_index : sub.first_index + sub.index_count]
            used, local = np.unique(tris, return_inverse=True)
            sources.append(used)
            colors.append(a.colors[used] * np.asarray(sub.base_color, np.float32))
            mats.append(np.tile(np.asarray(_material(sub), np.float32), (used.size, 1)))
            indices.append(local.astype(np.uint32) + np.uint32(offset))
            offset += used.size
        self._source = np.concatenate(sources) if sources else np.zeros(0, np.int64)
        self._colors = np.concatenate(colors).astype(np.float32) if colors else np.zeros((0, 4))
        self._mats = np.concatenate(mats) if mats else np.zeros((0, 2), np.float32)
        self._indices = np.concatenate(indices) if indices else np.zeros(0, np.uint32)
        self._positions = self._src_pos[self._source]
        self._normals = self._src_nrm[self._source]

    def _setup_buffers(self) -> None:
        self._vao = GL.glGenVertexArrays(1)
        GL.glBindVertexArray(self._vao)
        head = self.camera.head_weights(self._positions)
        self._vbo_pos, self._vbo_nrm, vbo_col, vbo_head, vbo_mat, ebo = GL.glGenBuffers(6)
        for loc, vbo, data, size, usage in (
            (0, self._vbo_pos, self._positions, 3, GL.GL_DYNAMIC_DRAW),
            (1, self._vbo_nrm, self._normals, 3, GL.GL_DYNAMIC_DRAW),
            (2, vbo_col, self._colors, 4, GL.GL_STATIC_DRAW),
            (3, vbo_head, head, 1, GL.GL_STATIC_DRAW),
            (4, vbo_mat, self._mats, 2, GL.GL_STATIC_DRAW),
        ):
            GL.glBindBuffer(GL.GL_ARRAY_BUFFER, vbo)
            GL.glBufferData(GL.GL_ARRAY_BUFFER, data.nbytes, np.ascontiguousarray(data), usage)
            GL.glEnableVertexAttribArray(loc)
            GL.glVertexAttribPointer(loc, size, GL.GL_FLOAT, GL.GL_FALSE, 0, None)
        GL.glBindBuffer(GL.GL_ELEMENT_ARRAY_BUFFER, ebo)
        GL.glBufferData(
            GL.GL_ELEMENT_ARRAY_BUFFER, self._indices.nbytes, self._indices, GL.GL_STATIC_DRAW
        )
        self._bg_vao = GL.glGenVertexArrays(1)

    def _setup_framebuffer(self) -> None:
        w, h = self.width, self.height
        self._fbo = GL.glGenFramebuffers(1)
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self._fbo)
        color, depth = GL.glGenRenderbuffers(2)
        for rb, fmt, attach in (
            (color, GL.GL_RGBA8, GL.GL_COLOR_ATTACHMENT0),
            (depth, GL.GL_DEPTH_COMPONENT24, GL.GL_DEPTH_ATTACHMENT),
        ):
            GL.glBindRenderbuffer(GL.GL_RENDERBUFFER, rb)
            GL.glRenderbufferStorage(GL.GL_RENDERBUFFER, fmt, w, h)
            GL.glFramebufferRenderbuffer(GL.GL_FRAMEBUFFER, attach, GL.GL_RENDERBUFFER, rb)
        self._check_fbo()
        self._draw_fbo = self._fbo
        if self.msaa > 0:
            self._draw_fbo = GL.glGenFramebuffers(1)
            GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self._draw_fbo)
            ms_color, ms_depth = GL.glGenRenderbuffers(2)
            for rb, fmt, attach in (
                (ms_color, GL.GL_RGBA8, GL.GL_COLOR_ATTACHMENT0),
                (ms_depth, GL.GL_DEPTH_COMPONENT24, GL.GL_DEPTH_ATTACHMENT),
            ):
                GL.glBindRenderbuffer(GL.GL_RENDERBUFFER, rb)
                GL.glRenderbufferStorageMultisample(GL.GL_RENDERBUFFER, self.msaa, fmt, w, h)
                GL.glFramebufferRenderbuffer(GL.GL_FRAMEBUFFER, attach, GL.GL_RENDERBUFFER, rb)
            self._check_fbo()
        GL.glPixelStorei(GL.GL_PACK_ALIGNMENT, 1)

    @staticmethod
    def _check_fbo() -> None:
        status = GL.glCheckFramebufferStatus(GL.GL_FRAMEBUFFER)
        if status != GL.GL_FRAMEBUFFER_COMPLETE:
            raise RendererError(f"framebuffer incomplete: 0x{int(status):x}")

    def _apply_morphs(self, pose: Pose) -> None:
        a = self.avatar
        channel_weights = pose.weights
        if a.has_visemes:
            channel_weights = dict(pose.expression)
            channel_weights.update({f"viseme_{k}": v for k, v in pose.visemes.items()})
        weights = a.target_weights(channel_weights)
        if self._uploaded is not None and np.array_equal(weights, self._uploaded):
            return
        if a.morph_vertices.size:
            # Blend with ufuncs over the active targets only, not a BLAS GEMV: OpenBLAS worker
            # threads spin after each call and starve llvmpipe's rasteriser threads.
            active = np.flatnonzero(weights)
            blend, tmp = self._blend, self._tmp
            for rest, deltas, src, out in (
                (self._rest_pos, self._pos_deltas, self._src_pos, self._positions),
                (self._rest_nrm, self._nrm_deltas, self._src_nrm, self._normals),
            ):
                np.copyto(blend, rest)
                for k in active:
                    np.multiply(deltas[k], weights[k], out=tmp)
                    blend += tmp
                src[a.morph_vertices] = blend.reshape(-1, 3)
                np.take(src, self._source, axis=0, out=out)
            for vbo, data in ((self._vbo_pos, self._positions), (self._vbo_nrm, self._normals)):
                GL.glBindBuffer(GL.GL_ARRAY_BUFFER, vbo)
                GL.glBufferSubData(GL.GL_ARRAY_BUFFER, 0, data.nbytes, data)
        self._uploaded = weights

    def draw(self, pose: Pose, out: np.ndarray) -> None:
        """Render ``pose`` and read the picture back into ``out``.

        Args:
            pose: the face/head state.
            out: uint8 (height, width, 3), C-contiguous; row 0 is the top of the image.
        """
        self._apply_morphs(pose)
        cam = self.camera
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self._draw_fbo)
        GL.glViewport(0, 0, self.width, self.height)
        GL.glDisable(GL.GL_CULL_FACE)
        GL.glDisable(GL.GL_BLEND)
        GL.glDisable(GL.GL_DEPTH_TEST)
        GL.glDepthMask(GL.GL_TRUE)
        GL.glClear(GL.GL_DEPTH_BUFFER_BIT)
        GL.glUseProgram(self._bg)
        GL.glBindVertexArray(self._bg_vao)
        GL.glDrawArrays(GL.GL_TRIANGLES, 0, 3)
        GL.glEnable(GL.GL_DEPTH_TEST)
        GL.glDepthFunc(GL.GL_LESS)
        GL.glUseProgram(self._mesh)
        u = self._uniforms
        GL.glUniformMatrix4fv(u["u_view_proj"], 1, GL.GL_TRUE, cam.view_proj)
        GL.glUniformMatrix3fv(
            u["u_head_rot"], 1, GL.GL_TRUE, head_rotation(pose.yaw, pose.pitch, pose.roll)
        )
        GL.glUniform3f(u["u_pivot"], *map(float, cam.pivot))
        GL.glUniform3f(u["u_eye"], *map(float, cam.eye))
        GL.glBindVertexArray(self._vao)
        (culled, n_culled), (double, n_double), (blended, n_blended) = self._ranges
        if n_culled:  # the projection flips Y, so counter-clockwise front faces come out CW
            GL.glEnable(GL.GL_CULL_FACE)
            GL.glFrontFace(GL.GL_CW)
            GL.glCullFace(GL.GL_BACK)
            GL.glDrawElements(
                GL.GL_TRIANGLES, n_culled, GL.GL_UNSIGNED_INT, ctypes.c_void_p(culled * 4)
            )
            GL.glDisable(GL.GL_CULL_FACE)
        if n_double:
            GL.glDrawElements(
                GL.GL_TRIANGLES, n_double, GL.GL_UNSIGNED_INT, ctypes.c_void_p(double * 4)
            )
        if n_blended:
            GL.glEnable(GL.GL_BLEND)
            GL.glBlendFunc(GL.GL_SRC_ALPHA, GL.GL_ONE_MINUS_SRC_ALPHA)
            GL.glDepthMask(GL.GL_FALSE)
            GL.glDrawElements(
                GL.GL_TRIANGLES, n_blended, GL.GL_UNSIGNED_INT, ctypes.c_void_p(blended * 4)
            )
            GL.glDepthMask(GL.GL_TRUE)
        if self._draw_fbo != self._fbo:
            GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, self._draw_fbo)
            GL.glBindFramebuffer(GL.GL_DRAW_FRAMEBUFFER, self._fbo)
            w, h = self.width, self.height
            GL.glBlitFramebuffer(0, 0, w, h, 0, 0, w, h, GL.GL_COLOR_BUFFER_BIT, GL.GL_NEAREST)
        GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, self._fbo)
        GL.glReadPixels(
            0,
            0,
            self.width,
            self.height,
            GL.GL_RGB,
            GL.GL_UNSIGNED_BYTE,
            out.ctypes.data_as(ctypes.c_void_p),
        )
