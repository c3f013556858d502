"""The avatar's vertex buffers on the GPU and the CPU morph blend that feeds them (GL thread
only): split from :mod:`avatar.gl_scene` along vertex data (here) and the frame's draw passes
(there).

Morph targets are blended with float32 ufuncs over the vertices any target moves, for the
targets with non-zero weight, and uploaded only when the weights change; the normals' deltas
come from :func:`avatar.mesh.morph_normal_deltas`.
"""

from __future__ import annotations

import numpy as np
from OpenGL import GL

from avatar.camera import Camera
from avatar.chunks import TriangleChunks
from avatar.mesh import morph_normal_deltas
from avatar.model import Avatar


class GLMesh:
    """One avatar's vertex array object: positions and normals (rewritten by the morph blend),
    colours, UVs, skin joints and weights or the static rig, and the triangle indices.

    Args:
        avatar: the model.
        camera: its framing (a static mesh's head weights come from it).
        chunks: a skinned model's triangle chunks (their index order), or None.
    """

    def __init__(self, avatar: Avatar, camera: Camera, chunks: TriangleChunks | None) -> None:
        self._setup_morphs(avatar)
        self._setup_vertices(avatar, camera, chunks)

    def _setup_morphs(self, a: Avatar) -> None:
        skin = a.skinning
        pos = skin.bind_positions if skin is not None else a.positions
        nrm = skin.bind_normals if skin is not None else a.normals
        deltas = skin.morph_deltas if skin is not None else a.morph_deltas
        # Only the morphed vertices a triangle uses are blended (a level of detail leaves many
        # of a scanned face's vertices out).
        drawn = np.isin(a.morph_vertices, a.indices)
        self._morph_vertices = a.morph_vertices[drawn]
        t, m = len(a.target_names), self._morph_vertices.size
        self._positions = np.ascontiguousarray(pos, np.float32).copy()
        self._normals = np.ascontiguousarray(nrm, np.float32).copy()
        self._pos_deltas = np.ascontiguousarray(deltas[:, drawn]).reshape(t, m * 3)
        normal_deltas = morph_normal_deltas(pos, a.indices, a.morph_vertices, deltas)
        self._nrm_deltas = np.ascontiguousarray(normal_deltas[:, drawn]).reshape(t, m * 3)
        self._rest_pos = pos[self._morph_vertices].reshape(-1).copy()
        self._rest_nrm = nrm[self._morph_vertices].reshape(-1).copy()
        self._blend = np.empty(m * 3, np.float32)
        self._tmp = np.empty(m * 3, np.float32)
        #: The morph weights whose blend the GPU holds (None: the rest pose's vertices).
        self.uploaded: np.ndarray | None = None

    def _setup_vertices(self, a: Avatar, camera: Camera, chunks: TriangleChunks | None) -> None:
        v = a.positions.shape[0]
        self.vao = GL.glGenVertexArrays(1)
        GL.glBindVertexArray(self.vao)
        uv0 = a.texcoords[0] if a.texcoords else np.zeros((v, 2), np.float32)
        uv1 = a.texcoords[1] if len(a.texcoords) > 1 else uv0
        self._vbo_pos, self._vbo_nrm = GL.glGenBuffers(2)
        attributes = [
            (0, self._vbo_pos, self._positions, GL.GL_DYNAMIC_DRAW),
            (1, self._vbo_nrm, self._normals, GL.GL_DYNAMIC_DRAW),
            (2, None, a.colors, GL.GL_STATIC_DRAW),
            (3, None, uv0, GL.GL_STATIC_DRAW),
            (4, None, uv1, GL.GL_STATIC_DRAW),
        ]
        if a.skinning is not None:
            attributes.append((7, None, a.skinning.weights, GL.GL_STATIC_DRAW))
        else:
            rig = np.zeros((v, 2), np.float32)
            rig[:, 0] = camera.head_weights(a.positions)
            for k, eye in enumerate(a.eyes[:2]):
                rig[eye.vertices, 1] = k + 1
            attributes.append((5, None, rig, GL.GL_STATIC_DRAW))
        for loc, vbo, data, usage in attributes:
            data = np.ascontiguousarray(data, np.float32)
            vbo = vbo or GL.glGenBuffers(1)
            GL.glBindBuffer(GL.GL_ARRAY_BUFFER, vbo)
            GL.glBufferData(GL.GL_ARRAY_BUFFER, data.nbytes, data, usage)
            GL.glEnableVertexAttribArray(loc)
            GL.glVertexAttribPointer(loc, data.shape[1], GL.GL_FLOAT, GL.GL_FALSE, 0, None)
        if a.skinning is not None:
            joints = np.ascontiguousarray(a.skinning.joints, np.uint16)
            vbo = GL.glGenBuffers(1)
            GL.glBindBuffer(GL.GL_ARRAY_BUFFER, vbo)
            GL.glBufferData(GL.GL_ARRAY_BUFFER, joints.nbytes, joints, GL.GL_STATIC_DRAW)
            GL.glEnableVertexAttribArray(6)
            GL.glVertexAttribIPointer(6, 4, GL.GL_UNSIGNED_SHORT, 0, None)
        ebo = GL.glGenBuffers(1)
        GL.glBindBuffer(GL.GL_ELEMENT_ARRAY_BUFFER, ebo)
        indices = np.ascontiguousarray(a.indices if chunks is None else chunks.indices, np.uint32)
        GL.glBufferData(GL.GL_ELEMENT_ARRAY_BUFFER, indices.nbytes, indices, GL.GL_STATIC_DRAW)

    def blend(self, weights: np.ndarray) -> bool:
        """Blend the morph targets into the vertex arrays on the CPU.

        Args:
            weights: float32 (T,) morph target weights.

        Returns:
            True when the vertices changed and must be uploaded (:meth:`upload`; the caller
            then records ``weights`` in :attr:`uploaded`).
        """
        if self.uploaded is not None and np.array_equal(weights, self.uploaded):
            return False
        if not self._morph_vertices.size:
            self.uploaded = weights
            return False
        # Blend with ufuncs over the active targets only, not a BLAS GEMV: OpenBLAS worker
        # threads spin after each call and starve llvmpipe's rasteriser threads.
        active = np.flatnonzero(weights)
        blend, tmp = self._blend, self._tmp
        for rest, deltas, out in (
            (self._rest_pos, self._pos_deltas, self._positions),
            (self._rest_nrm, self._nrm_deltas, self._normals),
        ):
            np.copyto(blend, rest)
            for k in active:
                np.multiply(deltas[k], weights[k], out=tmp)
                blend += tmp
            out[self._morph_vertices] = blend.reshape(-1, 3)
        return True

    def upload(self) -> None:
        """GL: upload the blended positions and normals."""
        for vbo, data in ((self._vbo_pos, self._positions), (self._vbo_nrm, self._normals)):
            GL.glBindBuffer(GL.GL_ARRAY_BUFFER, vbo)
            GL.glBufferSubData(GL.GL_ARRAY_BUFFER, 0, data.nbytes, data)
