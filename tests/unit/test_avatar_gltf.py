"""glTF loader and name normalisation, on the project's avatar, the ICT head and tiny files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pygltflib
import pytest

from avatar import DEFAULT_AVATAR_PATH
from avatar.gltf import load_avatar
from avatar.model import AvatarLoadError
from avatar.names import ARKIT_BLENDSHAPES, canonical_channels

ICT = Path("avatar") / "ict_facekit_head_arkit53_morphs.glb"
REQUIRED = [
    "jawOpen",
    "mouthClose",
    "mouthFunnel",
    "mouthPucker",
    "mouthStretch_L",
    "mouthStretch_R",
    "mouthSmile_L",
    "mouthSmile_R",
    "mouthFrown_L",
    "mouthFrown_R",
    "mouthPress_L",
    "mouthPress_R",
    "mouthRollLower",
    "mouthRollUpper",
    "mouthUpperUp_L",
    "mouthUpperUp_R",
    "mouthLowerDown_L",
    "mouthLowerDown_R",
    "eyeBlink_L",
    "eyeBlink_R",
    "browInnerUp",
    "browDown_L",
    "browDown_R",
    "cheekPuff",
]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("eyeBlink_L", ("eyeBlinkLeft",)),
        ("eyeBlink.R", ("eyeBlinkRight",)),
        ("EyeBlinkLeft", ("eyeBlinkLeft",)),
        ("blendShape1.mouthSmileRight", ("mouthSmileRight",)),
        ("browInnerUp_L", ("browInnerUp",)),
        ("cheekPuff_R", ("cheekPuff",)),
        ("viseme_aa", ("viseme_aa",)),
        ("Viseme_PP", ("viseme_PP",)),
        ("jawOpen", ("jawOpen",)),
        ("Angry", ()),
    ],
)
def test_canonical_channels(raw: str, expected: tuple[str, ...]) -> None:
    assert canonical_channels(raw) == expected


def test_default_avatar_has_the_arkit_targets_and_fits_in_a_commit() -> None:
    assert DEFAULT_AVATAR_PATH.stat().st_size < 5 * 2**20  # the repo's limit for assets/avatar/
    avatar = load_avatar(DEFAULT_AVATAR_PATH)
    assert set(REQUIRED) <= set(avatar.target_names)
    for channel in ("jawOpen", "eyeBlinkLeft", "mouthSmileRight", "browDownLeft"):
        assert channel in avatar.channels
    assert set(avatar.channels) <= set(ARKIT_BLENDSHAPES)
    assert 20_000 < avatar.num_triangles < 60_000
    lo, hi = avatar.bounds()
    assert 0.3 < hi[1] - lo[1] < 0.8  # a bust in metres
    assert {s.name for s in avatar.submeshes} >= {"skin", "eyes", "hair", "teeth", "mouth"}
    jaw = avatar.morph_deltas[avatar.channels["jawOpen"][0][0]]
    big = np.linalg.norm(jaw, axis=1) > 0.01
    moved = avatar.morph_vertices[big]
    assert moved.size > 100 and avatar.positions[moved, 1].max() < -0.02  # the lower face moves
    assert (jaw[big, 1] < 0).all()
    full = avatar.morphed_positions(avatar.target_weights({"jawOpen": 1.0}))
    p = avatar.positions
    low = np.flatnonzero((p[:, 1] < -0.07) & (p[:, 1] > -0.095) & (np.abs(p[:, 0]) < 0.01))
    chin = low[p[low, 2].argmax()]  # the point of the chin
    assert full[chin, 1] - p[chin, 1] < -0.01  # the chin drops
    upper = p[:, 1] > 0.03  # eyes and above
    assert np.abs(full[upper] - p[upper]).max() < 0.002  # the upper face stays
    blink = avatar.morph_deltas[avatar.channels["eyeBlinkLeft"][0][0]]
    lids = avatar.morph_vertices[np.linalg.norm(blink, axis=1) > 0.002]
    assert (avatar.positions[lids, 0] > 0).all()  # ARKit left = the avatar's left = +X


def test_ict_head_sparse_targets(shared_data: Path) -> None:
    avatar = load_avatar(shared_data / ICT)
    assert avatar.num_triangles == 52_220
    assert avatar.positions.shape == (28_911, 3)
    assert len(avatar.target_names) == 53
    assert len(avatar.submeshes) == 12
    assert [t for t, _ in avatar.channels["browInnerUp"]] == [
        avatar.target_names.index("browInnerUp_L"),
        avatar.target_names.index("browInnerUp_R"),
    ]
    assert set(ARKIT_BLENDSHAPES) - set(avatar.channels) == {"tongueOut"}
    lo, hi = avatar.bounds()
    assert 0.2 < hi[1] - lo[1] < 0.5  # node scale 0.01 applied: cm → m
    jaw = avatar.morph_deltas[avatar.channels["jawOpen"][0][0]]
    assert np.linalg.norm(jaw, axis=1).max() == pytest.approx(0.042, abs=0.002)  # ~4 cm


def _tiny_gltf(path: Path, sparse: bool = False) -> None:
    """One triangle, one dense (or sparse) target, a translated and scaled node."""
    pos = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], np.float32)
    delta = np.array([[0, 0, 0], [0, 0, 0], [0, 0, 1]], np.float32)
    idx = np.array([0, 1, 2], np.uint16)
    blob = pos.tobytes() + delta.tobytes() + idx.tobytes() + b"\0\0"
    if sparse:
        blob += np.array([2], np.uint16).tobytes() + b"\0\0" + delta[2:].tobytes()
    views = [
        pygltflib.BufferView(buffer=0, byteOffset=0, byteLength=36),
        pygltflib.BufferView(buffer=0, byteOffset=36, byteLength=36),
        pygltflib.BufferView(buffer=0, byteOffset=72, byteLength=6),
        pygltflib.BufferView(buffer=0, byteOffset=80, byteLength=2),
        pygltflib.BufferView(buffer=0, byteOffset=84, byteLength=12),
    ]
    target = pygltflib.Accessor(
        bufferView=None if sparse else 1, componentType=5126, count=3, type="VEC3"
    )
    if sparse:
        target.sparse = pygltflib.Sparse(
            count=1,
            indices=pygltflib.AccessorSparseIndices(bufferView=3, componentType=5123),
            values=pygltflib.AccessorSparseValues(bufferView=4),
        )
    gltf = pygltflib.GLTF2(
        scene=0,
        scenes=[pygltflib.Scene(nodes=[0])],
        nodes=[pygltflib.Node(mesh=0, translation=[0, 0, 5], scale=[2, 2, 2])],
        meshes=[
            pygltflib.Mesh(
                primitives=[
                    pygltflib.Primitive(
                        attributes=pygltflib.Attributes(POSITION=0),
                        indices=2,
                        targets=[{"POSITION": 1}],
                    )
                ],
                extras={"targetNames": ["Viseme_AA"]},
            )
        ],
        accessors=[
            pygltflib.Accessor(
                bufferView=0, componentType=5126, count=3, type="VEC3", min=[0, 0, 0], max=[1, 1, 0]
            ),
            target,
            pygltflib.Accessor(bufferView=2, componentType=5123, count=3, type="SCALAR"),
        ],
        bufferViews=views,
        buffers=[pygltflib.Buffer(byteLength=len(blob))],
    )
    gltf.set_binary_blob(blob)
    gltf.save_binary(str(path))


@pytest.mark.parametrize("sparse", [False, True])
def test_tiny_file_dense_and_sparse_targets_with_node_transform(
    tmp_path: Path, sparse: bool
) -> None:
    path = tmp_path / "tri.glb"
    _tiny_gltf(path, sparse)
    avatar = load_avatar(path)
    np.testing.assert_allclose(avatar.positions, [[0, 0, 5], [2, 0, 5], [0, 2, 5]])
    np.testing.assert_allclose(np.abs(avatar.normals[:, 2]), 1.0, atol=1e-6)  # computed
    assert avatar.morph_vertices.tolist() == [2]
    np.testing.assert_allclose(avatar.morph_deltas[0], [[0, 0, 2]])  # scaled by the node
    assert avatar.channels == {"viseme_aa": ((0, 1.0),)}
    weights = avatar.target_weights({"viseme_aa": 0.5, "jawOpen": 1.0})
    np.testing.assert_allclose(avatar.morphed_positions(weights)[2], [0, 2, 6])


def test_bad_files_raise_avatar_load_error(tmp_path: Path) -> None:
    with pytest.raises(AvatarLoadError, match="not found"):
        load_avatar(tmp_path / "missing.glb")
    junk = tmp_path / "junk.glb"
    junk.write_bytes(b"this is not a glb file at all")
    with pytest.raises(AvatarLoadError):
        load_avatar(junk)
    png = tmp_path / "junk.png"  # bytes that are not UTF-8: a reason, not a codec's offsets
    png.write_bytes(b"\x89PNG\xa5\xff not a model")
    with pytest.raises(AvatarLoadError) as info:
        load_avatar(png)
    assert str(info.value) == (
        f"not a glTF 2.0 / VRM file (expected .glb, .gltf or .vrm): {png}: "
        "neither a GLB container nor JSON text"
    )
    good = tmp_path / "tri.glb"
    _tiny_gltf(good)
    truncated = tmp_path / "truncated.glb"
    truncated.write_bytes(good.read_bytes()[:-40])
    with pytest.raises(AvatarLoadError):
        load_avatar(truncated)


def _quad_file(path: Path, **gltf_fields) -> Path:
    from tests.gltf_scenes import GltfBuilder, quad

    b = GltfBuilder()
    prim = quad(b, None)
    b.node(mesh=b.mesh([prim]))
    for key, value in gltf_fields.items():
        setattr(b.gltf, key, value)
    return b.save(path)


def test_unsupported_required_extensions_are_named(tmp_path: Path) -> None:
    path = _quad_file(
        tmp_path / "draco.glb",
        extensionsUsed=["KHR_draco_mesh_compression"],
        extensionsRequired=["KHR_draco_mesh_compression"],
    )
    with pytest.raises(AvatarLoadError, match=r"KHR_draco_mesh_compression.*Draco"):
        load_avatar(path)
    path = _quad_file(tmp_path / "ktx.glb", extensionsRequired=["KHR_texture_basisu"])
    with pytest.raises(AvatarLoadError, match="KHR_texture_basisu"):
        load_avatar(path)
    ok = _quad_file(tmp_path / "unlit.glb", extensionsRequired=["KHR_materials_unlit"])
    assert load_avatar(ok).num_triangles == 2


def test_compressed_primitive_without_fallback_is_an_error(tmp_path: Path) -> None:
    from tests.gltf_scenes import GltfBuilder, quad

    b = GltfBuilder()
    prim = quad(b, None)
    b.gltf.accessors[prim.attributes.POSITION].bufferView = None  # data only in the extension
    prim.extensions = {"KHR_draco_mesh_compression": {"bufferView": 0, "attributes": {}}}
    b.node(mesh=b.mesh([prim]))
    with pytest.raises(AvatarLoadError, match="KHR_draco_mesh_compression"):
        load_avatar(b.save(tmp_path / "draco_only.glb"))


def test_texture_transform_matches_the_extension_example() -> None:
    from avatar.gltf_materials import texture_transform

    # KHR_texture_transform README: offset (0, 1), rotation π/2, scale 0.5 "utilizes only the
    # lower left quadrant of the source image, rotated clockwise 90°".
    a, b, c, d, e, f = texture_transform(
        {"offset": [0, 1], "rotation": 1.57079632679, "scale": [0.5, 0.5]}
    )
    corners = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], np.float64)
    out = np.c_[corners @ [a, b] + c, corners @ [d, e] + f]
    assert out[:, 0].min() == pytest.approx(0, abs=1e-9)
    assert out[:, 0].max() == pytest.approx(0.5)
    assert out[:, 1].min() == pytest.approx(0.5) and out[:, 1].max() == pytest.approx(1.0)
    np.testing.assert_allclose(out[0], [0.0, 1.0], atol=1e-9)  # UV origin → bottom-left corner
