"""The CC0 skinned robot (../shared/data/avatar) against a reference built here, independently
of the loader and renderer: this file's own accessor reading, node matrices, first keyframe of
the Idle clip, linear blend skinning and a numpy triangle rasteriser."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pygltflib
from PIL import Image

from avatar.backdrop import studio_backdrop
from avatar.gltf import load_avatar
from avatar.pose import Pose
from avatar.renderer import Renderer
from tests.conftest import egl_required

ROBOT = Path("avatar") / "robot_expressive_skinned_cc0.glb"
SIZE = 512
_DTYPES = {5126: np.float32, 5125: np.uint32, 5123: np.uint16, 5121: np.uint8}
_WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}


def _read(g: pygltflib.GLTF2, blob: bytes, index: int) -> np.ndarray:
    acc = g.accessors[index]
    view = g.bufferViews[acc.bufferView]
    dtype, width = np.dtype(_DTYPES[acc.componentType]), _WIDTH[acc.type]
    stride = view.byteStride or dtype.itemsize * width
    start = (view.byteOffset or 0) + (acc.byteOffset or 0)
    rows = [np.frombuffer(blob, dtype, width, start + k * stride) for k in range(acc.count)]
    out = np.array(rows, np.float64)
    if acc.normalized:
        out /= np.iinfo(dtype).max
    return out


def _local(node: pygltflib.Node, t=None, r=None, s=None) -> np.ndarray:
    if node.matrix:
        return np.array(node.matrix, np.float64).reshape(4, 4).T
    t = np.array(t if t is not None else node.translation or [0, 0, 0], np.float64)
    x, y, z, w = r if r is not None else node.rotation or [0, 0, 0, 1]
    s = np.array(s if s is not None else node.scale or [1, 1, 1], np.float64)
    rot = np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )
    m = np.eye(4)
    m[:3, :3] = rot * s
    m[:3, 3] = t
    return m


def reference_idle(path: Path) -> tuple[list[np.ndarray], dict[str, np.ndarray]]:
    """Triangles (K, 3, 3) per primitive in the Idle clip's first keyframe, node positions."""
    g = pygltflib.GLTF2().load(str(path))
    blob = g.binary_blob()
    idle = next(a for a in g.animations if a.name == "Idle")
    keyed: dict[int, dict[str, np.ndarray]] = {}
    for ch in idle.channels:
        sampler = idle.samplers[ch.sampler]
        assert _read(g, blob, sampler.input)[0, 0] == 0.0  # the first keyframe is t = 0
        keyed.setdefault(ch.target.node, {})[ch.target.path] = _read(g, blob, sampler.output)[0]
    world: dict[int, np.ndarray] = {}

    def walk(index: int, parent: np.ndarray) -> None:
        k = keyed.get(index, {})
        world[index] = parent @ _local(
            g.nodes[index], k.get("translation"), k.get("rotation"), k.get("scale")
        )
        for child in g.nodes[index].children or []:
            walk(child, world[index])

    for root in g.scenes[g.scene or 0].nodes:
        walk(root, np.eye(4))
    triangles = []
    for index, node in enumerate(g.nodes):
        if node.mesh is None or index not in world:
            continue
        for prim in g.meshes[node.mesh].primitives:
            raw = _read(g, blob, prim.attributes.POSITION)
            pos = np.c_[raw, np.ones(len(raw))]
            if node.skin is not None:
                skin = g.skins[node.skin]
                ibm = _read(g, blob, skin.inverseBindMatrices).reshape(-1, 4, 4).transpose(0, 2, 1)
                mats = np.stack([world[j] @ ibm[k] for k, j in enumerate(skin.joints)])
                joints = _read(g, blob, prim.attributes.JOINTS_0).astype(int)
                weights = _read(g, blob, prim.attributes.WEIGHTS_0)
                blend = np.einsum("vk,vkij->vij", weights, mats[joints])
                out = np.einsum("vij,vj->vi", blend, pos)[:, :3]
            else:
                out = (pos @ world[index].T)[:, :3]
            idx = _read(g, blob, prim.indices).astype(int).reshape(-1, 3)
            triangles.append(out[idx])
    names = {n.name: world[i][:3, 3] for i, n in enumerate(g.nodes) if i in world}
    return triangles, names


def rasterise(triangles: list[np.ndarray], view_proj: np.ndarray, size: int) -> np.ndarray:
    """Coverage mask (size, size) bool: pixel centres inside any projected triangle."""
    mask = np.zeros((size, size), bool)
    for tris in triangles:
        clip = np.c_[tris.reshape(-1, 3), np.ones(tris.shape[0] * 3)] @ view_proj.T
        px = ((clip[:, :2] / clip[:, 3:4]) + 1) * 0.5 * size
        for a, b, c in px.reshape(-1, 3, 2):
            x0, y0 = np.floor(np.minimum(np.minimum(a, b), c)).astype(int)
            x1, y1 = np.ceil(np.maximum(np.maximum(a, b), c)).astype(int)
            x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, size), min(y1, size)
            if x1 <= x0 or y1 <= y0:
                continue
            ys, xs = np.mgrid[y0:y1, x0:x1] + 0.5
            e = [
                (q[0] - p[0]) * (ys - p[1]) - (q[1] - p[1]) * (xs - p[0])
                for p, q in ((a, b), (b, c), (c, a))
            ]
            inside = ((e[0] >= 0) & (e[1] >= 0) & (e[2] >= 0)) | (
                (e[0] <= 0) & (e[1] <= 0) & (e[2] <= 0)
            )
            mask[y0:y1, x0:x1] |= inside
    return mask


def test_robot_renders_its_idle_pose_with_the_head_upright(shared_data: Path, artifacts_dir):
    path = shared_data / ROBOT
    avatar = load_avatar(path)
    assert avatar.idle_clip == "Idle" and {"head", "neck", "hips"} <= avatar.humanoid_bones
    with egl_required():
        renderer = Renderer(avatar, SIZE, SIZE, fxaa=False)
    with renderer:
        frame = renderer.render(Pose())  # no clip named: the idle clip at 0 s
        view_proj = renderer.camera.view_proj.astype(np.float64)
    drawn = np.abs(frame.astype(int) - studio_backdrop(SIZE, SIZE)).max(axis=2) > 6
    triangles, nodes = reference_idle(path)
    expected = rasterise(triangles, view_proj, SIZE)
    iou = np.count_nonzero(drawn & expected) / np.count_nonzero(drawn | expected)
    overlay = frame.copy()
    overlay[expected & ~drawn] = (255, 0, 0)
    overlay[drawn & ~expected] = (0, 0, 255)
    Image.fromarray(overlay).save(artifacts_dir / "robot_idle_vs_reference.png")
    assert iou >= 0.98, iou
    neck_to_head = nodes["Head"] - nodes["Neck"]
    assert neck_to_head[1] > 0.9 * np.linalg.norm(neck_to_head)  # within ~25° of vertical
