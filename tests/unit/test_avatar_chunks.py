"""TriangleChunks (pure numpy): every triangle run's screen box holds its skinned, morphed
vertices, a small area draws a small part of the mesh; the level of detail for the frame size."""

from __future__ import annotations

import numpy as np
import pytest

from avatar import DEFAULT_AVATAR_PATH
from avatar.camera import frame
from avatar.chunks import CHUNK_TRIS, TriangleChunks, runs_of
from avatar.gltf import load_avatar
from avatar.lod import level_of_detail
from avatar.pose import Pose, axis_angle
from avatar.posing import PoseDriver


@pytest.fixture(scope="module")
def rig():
    avatar = load_avatar(DEFAULT_AVATAR_PATH)
    drawn = avatar.positions[np.unique(avatar.indices)]
    camera = frame(drawn, 512, 512, "head_shoulders", avatar.bone_position("neck"))
    return avatar, camera, TriangleChunks(avatar, camera)


def _skinned(avatar, palette, weights):
    """Vertex positions (V, 3) by linear blend skinning on the CPU (glTF 2.0 §3.7.3.3)."""
    skin = avatar.skinning
    bind = skin.bind_positions.astype(np.float64).copy()
    bind[avatar.morph_vertices] += np.einsum("t,tmk->mk", weights, skin.morph_deltas)
    out = np.zeros_like(bind)
    for k in range(4):
        m = palette[skin.joints[:, k]].astype(np.float64)
        moved = np.einsum("vij,vj->vi", m[:, :3, :3], bind) + m[:, :3, 3]
        out += skin.weights[:, k, None] * moved
    return out


def test_runs_keep_the_mesh_and_bound_their_vertices(rig) -> None:
    avatar, camera, chunks = rig
    tris = avatar.indices.reshape(-1, 3)
    assert sorted(map(tuple, np.sort(chunks.indices.reshape(-1, 3), axis=1))) == sorted(
        map(tuple, np.sort(tris, axis=1))
    )
    assert (chunks.count <= 3 * CHUNK_TRIS).mean() > 0.95 and len(chunks.first) > 100  # lashes: one
    driver = PoseDriver(avatar)
    pose = Pose(
        weights={"jawOpen": 0.8, "mouthSmileLeft": 1.0, "eyeBlinkRight": 1.0},
        yaw=0.3,
        pitch=-0.2,
        bones={"leftShoulder": axis_angle((0, 0, 1), 0.1)},
    )
    palette, clip = driver.skeleton_pose(pose)
    weights = driver.target_weights(pose, clip)
    pixels = camera.project(_skinned(avatar, palette, weights))
    boxes = chunks.boxes(palette, weights)
    drawn = chunks.indices.reshape(-1, 3)
    for c, (first, count) in enumerate(zip(chunks.first, chunks.count, strict=True)):
        xy = np.clip(pixels[drawn[first // 3 : (first + count) // 3].ravel()], -1, 513)  # on screen
        x0, y0, x1, y1 = boxes[c]
        assert (xy[:, 0] >= x0).all() and (xy[:, 0] <= x1).all(), c
        assert (xy[:, 1] >= y0).all() and (xy[:, 1] <= y1).all(), c
    mouth = pixels[avatar.morph_vertices].mean(axis=0).astype(int)
    area = (mouth[0] - 10, mouth[1] - 10, mouth[0] + 10, mouth[1] + 10)
    visible = chunks.visible(palette, weights, area)
    assert 0 < chunks.count[visible].sum() < 0.4 * chunks.count.sum()
    (ranges,) = runs_of(visible, chunks.first, chunks.count, [(0, len(chunks.first))])
    assert sum(n for _, n in ranges) == chunks.count[visible].sum()
    spans = [s for s in chunks.ranges if s[1] > s[0]][::-1]  # per submesh, in any order
    per_span = runs_of(visible, chunks.first, chunks.count, spans)
    for (c0, c1), draws in zip(spans, per_span, strict=True):
        assert sum(n for _, n in draws) == chunks.count[c0:c1][visible[c0:c1]].sum()
        end = chunks.first[c1 - 1] + chunks.count[c1 - 1]
        assert all(chunks.first[c0] <= f and f + n <= end for f, n in draws)  # inside its span


def test_level_of_detail_reindexes_subpixel_parts_only(rig) -> None:
    """At 512x512 the scanned skin is simplified over its own vertices; at 1080p it is not."""
    avatar, camera, _ = rig
    lod = level_of_detail(avatar, camera)
    counts = {s.name: s.index_count // 3 for s in lod.submeshes}
    full = {s.name: s.index_count // 3 for s in avatar.submeshes}
    assert counts["skin"] < 0.5 * full["skin"] and counts["suit"] == full["suit"]
    assert counts["lashes"] == full["lashes"]  # blended: drawn in order, never simplified
    assert np.isin(lod.indices, avatar.indices).all()  # original vertices: morphs, weights kept
    neck = avatar.bone_position("neck")
    big = frame(avatar.positions[np.unique(avatar.indices)], 1920, 1080, "head_shoulders", neck)
    assert {s.name: s.index_count // 3 for s in level_of_detail(avatar, big).submeshes}[
        "skin"
    ] == full["skin"]
