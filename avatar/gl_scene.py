"""GL resources and the draw of one avatar; used only on the renderer's GL thread.

Per frame: the :class:`~avatar.posing.PoseDriver` turns the pose into morph weights and either
a joint palette (skinned models: linear blend skinning in the vertex shader, the palette in a
buffer texture) or head/eye rotations (static meshes). Morph targets are blended on the CPU and
uploaded only when the weights change (:class:`~avatar.gl_mesh.GLMesh`, the vertex buffers).
One draw per material (:mod:`avatar.gl_programs`):
opaque first, then blended ones back to front. Only the avatar's screen box is drawn — only the
head's, or the changed blendshapes', while :class:`~avatar.pose_hold.PoseHold` holds a skinned
avatar's joints still, one pass per box when it redraws several (a body step's band and the
mouth's box) — and a frame that changes nothing returns the previous one.
"""

from __future__ import annotations

import ctypes
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace

import numpy as np
from OpenGL import GL

from avatar import screen_box
from avatar.camera import Camera
from avatar.chunks import TriangleChunks, meeting, runs_of
from avatar.frame_stages import FrameStages, StageClock
from avatar.gl_mesh import GLMesh
from avatar.gl_post import FrameTarget
from avatar.gl_programs import (
    FRAME_BINDING,
    MATERIAL_BINDING,
    PALETTE_UNIT,
    compile_program,
    frame_block,
    material_block,
    program_key,
)
from avatar.gl_textures import TextureCache
from avatar.interior import HiddenInterior
from avatar.model import Avatar
from avatar.pose import Pose
from avatar.pose_hold import PoseHold
from avatar.posing import PoseDriver
from avatar.screen_box import Box, ScreenBox, union


@dataclass(frozen=True, slots=True)
class _Draw:
    program: int
    ubo: int
    textures: tuple[tuple[int, int], ...]  # (unit, texture)
    cull: bool
    blend: bool
    first: int
    count: int
    interior: bool = False  # mouth interior: skipped while known hidden (avatar.interior)
    runs: tuple[int, int] = (0, 0)  # its triangle runs (avatar.chunks), skinned models only
    material: str = ""  # the material's name (:meth:`GLScene.set_texture` finds its draws)


class GLScene:
    """Buffers, textures, programs and framebuffers for one avatar (GL thread only).

    Args:
        avatar: the model.
        camera: its framing at this frame size.
        msaa: multisample count (0 = off; llvmpipe is slow with it).
        fxaa: FXAA inside the avatar's box when ``msaa`` is 0.
        background: uint8 (H, W, 3) sRGB picture behind the avatar.
    """

    def __init__(
        self, avatar: Avatar, camera: Camera, msaa: int, fxaa: bool, background: np.ndarray
    ) -> None:
        self.avatar, self.camera = avatar, camera
        self.width, self.height = camera.width, camera.height
        self.driver = PoseDriver(avatar)
        self.skinned = avatar.skinning is not None
        self.target = FrameTarget(self.width, self.height, msaa, fxaa, background)
        self.chunks = TriangleChunks(avatar, camera) if self.skinned else None
        self.hold = PoseHold(avatar, camera, chunks=self.chunks) if self.skinned else None
        self.box = self.hold.box if self.hold is not None else ScreenBox(avatar, camera)
        self._prev_box: Box = (0, 0, self.width, self.height)
        self._last_pose: Pose | None = None
        self._last_frame = np.array(background, np.uint8)  # what the targets start with
        #: The boxes (x0, y0, x1, y1; pixels, y = picture row) the last :meth:`draw` redrew,
        #: one draw pass each; empty when it copied the frame before.
        self.redrawn: tuple[Box, ...] = ()
        #: Where the last :meth:`draw`'s GL-thread CPU went (:mod:`avatar.frame_stages`).
        self.stages = FrameStages()
        self._clock = StageClock()
        toward = camera.eye.astype(np.float64) - camera.pivot
        self._view = (toward / np.linalg.norm(toward)).astype(np.float32)
        self._palette: np.ndarray | None = None
        self.mesh = GLMesh(avatar, camera, self.chunks)
        self._textures = TextureCache(avatar.images)
        self._interior = HiddenInterior(avatar)
        self._draws = self._draw_list()
        self._redraw_all = False  # a texture changed: the next frame redraws the whole frame
        self._query = int(np.ravel(GL.glGenQueries(1))[0])
        self._queried = False
        self._interior_whole = True
        self._frame_ubo = self._ubo(np.zeros(60, np.float32), GL.GL_DYNAMIC_DRAW)
        if self.skinned:
            self._palette_buf = GL.glGenBuffers(1)
            self._palette_tex = GL.glGenTextures(1)
            GL.glBindBuffer(GL.GL_TEXTURE_BUFFER, self._palette_buf)
            GL.glBindTexture(GL.GL_TEXTURE_BUFFER, self._palette_tex)
            GL.glTexBuffer(GL.GL_TEXTURE_BUFFER, GL.GL_RGBA32F, self._palette_buf)

    # --- setup --------------------------------------------------------------------------------

    def _ubo(self, data: np.ndarray, usage: int) -> int:
        ubo = GL.glGenBuffers(1)
        GL.glBindBuffer(GL.GL_UNIFORM_BUFFER, ubo)
        GL.glBufferData(GL.GL_UNIFORM_BUFFER, data.nbytes, data, usage)
        return ubo

    def _draw_list(self) -> list[_Draw]:
        """Visible submeshes as draws: opaque and masked first, blended back to front."""
        a, programs = self.avatar, {}
        opaque, blended = [], []
        eye = self.camera.eye.astype(np.float64)
        for k, sub in enumerate(a.submeshes):
            mat = a.material_of(sub)
            if mat.invisible or sub.index_count == 0:
                continue
            key = program_key(mat, self.skinned)
            if key not in programs:
                programs[key] = compile_program(key)
            textures = tuple(
                (unit, self._textures.get(tex, srgb))
                for unit, tex, srgb in (
                    (0, mat.base_color_texture, True),
                    (1, mat.metallic_roughness_texture, False),
                    (2, mat.normal_texture, False),
                    (3, mat.occlusion_texture, False),
                    (4, mat.emissive_texture, True),
                )
                if tex is not None
            )
            draw = _Draw(
                programs[key],
                self._ubo(material_block(mat), GL.GL_STATIC_DRAW),
                textures,
                cull=not mat.double_sided,
                blend=mat.alpha_mode == "BLEND",
                first=sub.first_index,
                count=sub.index_count,
                interior=sub.name in self._interior.names,
                runs=self.chunks.ranges[k] if self.chunks is not None else (0, 0),
                material=mat.name,
            )
            if draw.blend:
                tris = a.indices[sub.first_index : sub.first_index + sub.index_count]
                depth = float(np.linalg.norm(a.positions[tris].mean(axis=0) - eye))
                blended.append((depth, len(blended), draw))
            else:
                opaque.append(draw)
        opaque.sort(key=lambda d: d.interior)  # the mouth interior last: one occlusion query
        return opaque + [d for _, _, d in sorted(blended, reverse=True)]

    def set_texture(self, material: str, image: np.ndarray) -> bool:
        """Draw ``material`` with ``image`` as its base colour texture from the next frame on
        (the name badge in the session's language); its sampler stays the material's.

        Args:
            material: a material name of the avatar.
            image: uint8 (H, W, 4) RGBA, sRGB, row 0 the image's top; kept, not copied.

        Returns:
            Whether anything changed (False: the material already shows ``image``, or the
            level of detail left none of its triangles).

        Raises:
            ValueError: the avatar has no textured material of that name.
        """
        mat = next((m for m in self.avatar.materials if m.name == material), None)
        if mat is None or mat.base_color_texture is None:
            raise ValueError(f"no textured material {material!r} in avatar {self.avatar.name!r}")
        tex = self._textures.get_image(image, mat.base_color_texture, srgb=True)
        changed = False
        for k, d in enumerate(self._draws):
            if d.material == material and dict(d.textures).get(0) != tex:
                units = tuple((u, tex if u == 0 else t) for u, t in d.textures)
                self._draws[k] = replace(d, textures=units)
                changed = True
        self._redraw_all = self._redraw_all or changed
        return changed

    # --- per frame ----------------------------------------------------------------------------

    def _pose_state(
        self, pose: Pose
    ) -> tuple[np.ndarray, tuple[Box, ...], np.ndarray | None, np.ndarray]:
        """The pose on the CPU, nothing in GL: (morph weights (T,), the boxes to redraw (one
        pass each; none when nothing changed), the skinning palette rows float32 (J, 3, 4) or
        None, the frame block float32 (60,))."""
        cam, driver = self.camera, self.driver
        head = gaze = np.eye(3, dtype=np.float32)
        rows = None
        if self.skinned:
            palette, clip_weights = driver.skeleton_pose(pose)
            weights = driver.target_weights(pose, clip_weights)
            palette, _ = self.hold.apply(palette, weights)
            parts = self.hold.parts
            self._palette = palette
            rows = np.ascontiguousarray(palette[:, :3, :], np.float32)
        else:
            weights = driver.target_weights(pose)
            head, gaze = driver.head_rotation(pose), driver.eye_rotation(pose)
            box = self.box.static(head)
            area, self._prev_box = union(box, self._prev_box), box
            parts = (area,) if screen_box.area(area) > 0 else ()
        eyeballs = np.zeros((2, 3), np.float32)
        for k, eye in enumerate(self.avatar.eyes[:2]):
            eyeballs[k] = eye.centre
        block = frame_block(cam.view_proj, head, cam.pivot, gaze, self._view, eyeballs)
        return weights, parts, rows, block

    def _upload(self, rows: np.ndarray | None, block: np.ndarray, morphs: bool) -> None:
        """Upload the palette rows, the frame block and (``morphs``) the blended vertices."""
        if rows is not None:
            GL.glBindBuffer(GL.GL_TEXTURE_BUFFER, self._palette_buf)
            GL.glBufferData(GL.GL_TEXTURE_BUFFER, rows.nbytes, rows, GL.GL_STREAM_DRAW)
        GL.glBindBuffer(GL.GL_UNIFORM_BUFFER, self._frame_ubo)
        GL.glBufferSubData(GL.GL_UNIFORM_BUFFER, 0, block.nbytes, block)
        if morphs:
            self.mesh.upload()

    def draw(self, pose: Pose, out: np.ndarray, gl: AbstractContextManager | None = None) -> None:
        """Render ``pose`` into ``out`` (uint8 (height, width, 3), row 0 at the top).

        An unchanged pose copies the previous frame without drawing. ``gl`` is held around the
        frame's GL calls only (uploads, draws, anti-aliasing, read-back, the occlusion query):
        the pose, the morph blend, the visible triangle runs and the copy into ``out`` are
        plain numpy on this thread's own arrays and run outside it (the renderer passes its
        process-wide lock on Mesa's software drivers, ``avatar.renderer._GL_LOCK``); None: no
        lock.
        """
        clock = self._clock = StageClock()
        redraw_all, self._redraw_all = self._redraw_all, False
        if (
            pose == self._last_pose
            and not redraw_all
            and (self.hold is None or not self.hold.pending)
        ):
            np.copyto(out, self._last_frame)
            self.redrawn = ()
            clock.lap("copy")
            self.stages = clock.stages()
            return
        weights, parts, rows, block = self._pose_state(pose)
        if redraw_all:  # a swapped texture: every pixel again, in one pass
            parts = ((0, 0, self.width, self.height),)
        self.redrawn = parts
        clock.lap("pose")
        if not parts:  # held joints, same blendshapes
            np.copyto(out, self._last_frame)
            self._last_pose = pose
            clock.lap("copy")
            self.stages = clock.stages()
            return
        morphs = self.mesh.blend(weights)
        clock.lap("morph")
        boxes = None if self.chunks is None else self.chunks.boxes(self._palette, weights)
        visible = [None if boxes is None else meeting(boxes, area) for area in parts]
        skip_interior = self._interior.skip(weights)
        clock.lap("runs")
        with gl or nullcontext():
            clock.lap("lock_wait")
            self._upload(rows, block, morphs)
            for area, runs in zip(parts, visible, strict=True):
                self._draw_area(area, skip_interior, runs)
            passed = None
            if (
                self._queried
                and self._interior_whole
                and (self.hold is None or self.hold.head_drawn)
            ):
                passed = bool(GL.glGetQueryObjectuiv(self._query, GL.GL_QUERY_RESULT))
        if morphs:
            self.mesh.uploaded = weights
        if passed is not None:
            self._interior.report(weights, passed)
        np.copyto(out, self._last_frame)
        self._last_pose = pose
        clock.lap("copy")
        self.stages = clock.stages()

    def _draw_area(self, area: Box, skip_interior: bool, visible: np.ndarray | None) -> None:
        """GL: draw the avatar inside ``area`` and read it back into the last frame."""
        self.target.begin(area)
        GL.glBindBufferBase(GL.GL_UNIFORM_BUFFER, FRAME_BINDING, self._frame_ubo)
        if self.skinned:
            GL.glActiveTexture(GL.GL_TEXTURE0 + PALETTE_UNIT)
            GL.glBindTexture(GL.GL_TEXTURE_BUFFER, self._palette_tex)
        GL.glBindVertexArray(self.mesh.vao)
        GL.glEnable(GL.GL_DEPTH_TEST)
        GL.glDepthFunc(GL.GL_LEQUAL)
        GL.glFrontFace(GL.GL_CW)  # the projection flips Y: counter-clockwise comes out CW
        GL.glCullFace(GL.GL_BACK)
        GL.glBlendFunc(GL.GL_SRC_ALPHA, GL.GL_ONE_MINUS_SRC_ALPHA)
        self._issue(self._draws, skip_interior, visible)
        self._clock.lap("draw")
        self.target.finish(area, self._last_frame)  # outside the area: the previous frame
        self._clock.lap("resolve")

    def _ranges(self, draws: list[_Draw], visible: np.ndarray | None) -> list:
        """Per draw, the (first index, count) of its triangle runs that can reach the area."""
        if visible is None:
            return [[(d.first, d.count)] for d in draws]
        return runs_of(visible, self.chunks.first, self.chunks.count, [d.runs for d in draws])

    def _issue(self, draws: list[_Draw], skip_interior: bool, visible: np.ndarray | None) -> None:
        program = cull = blend = None
        self._queried = querying = False
        self._interior_whole = True
        for d, ranges in zip(draws, self._ranges(draws, visible), strict=True):
            if d.interior and skip_interior:
                continue
            if d.interior and (len(ranges) != 1 or ranges[0][1] != d.count):
                self._interior_whole = False  # an occlusion test of part of it proves nothing
            if not ranges:
                continue
            if d.program != program:
                GL.glUseProgram(d.program)
                program = d.program
            if d.cull != cull:
                (GL.glEnable if d.cull else GL.glDisable)(GL.GL_CULL_FACE)
                cull = d.cull
            if d.blend != blend:
                (GL.glEnable if d.blend else GL.glDisable)(GL.GL_BLEND)
                GL.glDepthMask(GL.GL_FALSE if d.blend else GL.GL_TRUE)
                blend = d.blend
            GL.glBindBufferBase(GL.GL_UNIFORM_BUFFER, MATERIAL_BINDING, d.ubo)
            for unit, tex in d.textures:
                GL.glActiveTexture(GL.GL_TEXTURE0 + unit)
                GL.glBindTexture(GL.GL_TEXTURE_2D, tex)
            if d.interior and not self._queried:  # the interior draws are consecutive
                GL.glBeginQuery(GL.GL_ANY_SAMPLES_PASSED, self._query)
                self._queried = True
            elif self._queried and not d.interior and querying:
                GL.glEndQuery(GL.GL_ANY_SAMPLES_PASSED)
            querying = d.interior
            for first, count in ranges:
                GL.glDrawElements(
                    GL.GL_TRIANGLES, count, GL.GL_UNSIGNED_INT, ctypes.c_void_p(first * 4)
                )
        if querying:
            GL.glEndQuery(GL.GL_ANY_SAMPLES_PASSED)
        GL.glDepthMask(GL.GL_TRUE)
        GL.glDisable(GL.GL_BLEND)
        GL.glDisable(GL.GL_CULL_FACE)
