"""GLSL 3.30 programs of the avatar renderer, compiled per feature set, and their uniforms.

The shading itself, its GLSL sources and the constants they read: :mod:`avatar.gl_shaders`.

Uniform blocks (std140): ``Frame`` (binding 0) once per frame; ``Material`` (binding 1) one
static buffer per material. Textures: base 0, metal-rough 1, normal 2, occlusion 3, emissive 4,
joint palette 5 (a buffer texture, three RGBA32F texels per joint: rows of a 3×4 matrix).
"""

from __future__ import annotations

import numpy as np
from OpenGL import GL

from avatar.egl import RendererError
from avatar.gl_shaders import FILL_DIR, FILL_RGB, FRAGMENT, KEY_DIR, KEY_RGB, SKIN, STRANDS, VERTEX
from avatar.model import Material, TextureRef

TEXTURE_UNITS = {"base": 0, "mr": 1, "normal": 2, "occlusion": 3, "emissive": 4}
PALETTE_UNIT = 5
FRAME_BINDING, MATERIAL_BINDING = 0, 1


def _uv_define(texture: TextureRef | None) -> str | None:
    if texture is None:
        return None
    return "v_uv.zw" if texture.texcoord == 1 else "v_uv.xy"


def program_key(material: Material | None, skinned: bool) -> tuple[tuple[str, str], ...]:
    """The #defines a material needs (sorted (name, value) pairs); ``None`` = depth-only."""
    defines: dict[str, str] = {}
    if skinned:
        defines["SKINNED"] = "1"
    if material is not None:
        for name, tex in (
            ("BASE_UV", material.base_color_texture),
            ("MR_UV", material.metallic_roughness_texture),
            ("NORMAL_UV", material.normal_texture),
            ("OCCLUSION_UV", material.occlusion_texture),
            ("EMISSIVE_UV", material.emissive_texture),
        ):
            uv = _uv_define(tex)
            if uv:
                defines[name] = uv
        if material.alpha_mode == "MASK":
            defines["ALPHA_MASK"] = "1"
        if material.unlit and material.shade_color is None:
            defines["UNLIT"] = "1"
        if material.shade_color is not None:
            defines["TOON"] = "1"
        elif material.strands and not material.unlit:
            defines["STRANDS"] = "1"
        elif material.skin and not material.unlit:
            defines["SKIN"] = "1"
    return tuple(sorted(defines.items()))


def compile_program(key: tuple[tuple[str, str], ...]) -> int:
    """Compile and link the mesh program for a :func:`program_key`.

    Raises:
        RendererError: the driver rejected the shaders (with its log).
    """
    header = "#version 330 core\n" + "".join(f"#define {k} {v}\n" for k, v in key)
    header += "#define KEY_DIR {}, {}, {}\n#define KEY_RGB {}, {}, {}\n".format(*KEY_DIR, *KEY_RGB)
    header += "#define FILL_DIR {}, {}, {}\n#define FILL_RGB {}, {}, {}\n".format(
        *FILL_DIR, *FILL_RGB
    )
    header += "".join(f"#define {k} {v!r}\n" for k, v in STRANDS.items())
    header += "".join(f"#define {k} {_glsl(v)}\n" for k, v in SKIN.items())
    program = link(header + VERTEX, header + FRAGMENT)
    GL.glUseProgram(program)
    for block, binding in (("Frame", FRAME_BINDING), ("Material", MATERIAL_BINDING)):
        index = GL.glGetUniformBlockIndex(program, block)
        if index != GL.GL_INVALID_INDEX:
            GL.glUniformBlockBinding(program, index, binding)
    for name, unit in TEXTURE_UNITS.items():
        loc = GL.glGetUniformLocation(program, f"u_{name}")
        if loc >= 0:
            GL.glUniform1i(loc, unit)
    loc = GL.glGetUniformLocation(program, "u_palette")
    if loc >= 0:
        GL.glUniform1i(loc, PALETTE_UNIT)
    return program


def _glsl(value: float | tuple[float, ...]) -> str:
    """A Python float or tuple as a GLSL constant: ``0.5`` or ``vec3(0.5, 0.3, 0.2)``."""
    if isinstance(value, tuple):
        return f"vec{len(value)}({', '.join(repr(float(v)) for v in value)})"
    return repr(float(value))


def link(vs: str, fs: str) -> int:
    """Compile a vertex + fragment shader pair into a program.

    Raises:
        RendererError: compile or link failure, with the driver's log.
    """

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


def material_block(material: Material) -> np.ndarray:
    """The std140 ``Material`` block of a material: float32 (56,) (14 vec4)."""
    out = np.zeros((14, 4), np.float32)
    out[0] = material.base_color
    out[1, :3] = material.emissive
    out[1, 3] = material.alpha_cutoff
    normal = material.normal_texture.scale if material.normal_texture else 1.0
    occlusion = material.occlusion_texture.scale if material.occlusion_texture else 1.0
    out[2] = (material.metallic, material.roughness, normal, occlusion)
    out[3, :3] = material.shade_color or (0.0, 0.0, 0.0)
    slots = (
        material.base_color_texture,
        material.metallic_roughness_texture,
        material.normal_texture,
        material.occlusion_texture,
        material.emissive_texture,
    )
    for k, tex in enumerate(slots):
        a, b, c, d, e, f = tex.transform if tex else (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
        out[4 + 2 * k, :3] = (a, b, c)
        out[5 + 2 * k, :3] = (d, e, f)
    return out.ravel()


def frame_block(
    view_proj: np.ndarray,
    head: np.ndarray,
    pivot: np.ndarray,
    gaze: np.ndarray,
    view: np.ndarray,
    eyeballs: np.ndarray,
) -> np.ndarray:
    """The std140 ``Frame`` block: float32 (60,) (three mat4, then three vec4).

    Args:
        view_proj: (4, 4) row-major world → clip.
        head: (3, 3) head rotation; pivot: (3,) its centre.
        gaze: (3, 3) eye rotation.
        view: (3,) unit vector toward the camera.
        eyeballs: (2, 3) eyeball centres.
    """
    out = np.zeros(60, np.float32)
    out[0:16] = np.asarray(view_proj, np.float32).T.ravel()  # column-major
    h = np.eye(4, dtype=np.float32)
    h[:3, :3] = head
    h[:3, 3] = pivot
    out[16:32] = h.T.ravel()
    g = np.eye(4, dtype=np.float32)
    g[:3, :3] = gaze
    out[32:48] = g.T.ravel()
    out[48:51] = view
    out[52:55] = eyeballs[0]
    out[56:59] = eyeballs[1]
    return out
