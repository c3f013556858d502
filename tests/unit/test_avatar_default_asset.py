"""The built default avatar: a skinned glTF 2.0 half-body with humanoid joints, a textured
badge, the uniform's materials, and the parts a face needs (eyes with iris and pupil, brows,
lashes, teeth, tongue)."""

from __future__ import annotations

import io

import numpy as np
import pygltflib
import pytest
from PIL import Image

from avatar import DEFAULT_AVATAR_PATH
from avatar.asset.body import BADGE_SIZE_M
from avatar.badge import BADGE_SIZE_PX, BadgeError, badge_image, parse_color
from avatar.gltf import load_avatar

HUMANOID = {
    "hips",
    "spine",
    "chest",
    "upperChest",
    "neck",
    "head",
    "leftEye",
    "rightEye",
    "leftShoulder",
    "rightShoulder",
    "leftUpperArm",
    "rightUpperArm",
}


@pytest.fixture(scope="module")
def gltf() -> pygltflib.GLTF2:
    return pygltflib.GLTF2().load(str(DEFAULT_AVATAR_PATH))


def test_skin_joints_are_vrm_humanoid_bones_and_weights_sum_to_one(gltf) -> None:
    skin = gltf.skins[0]
    names = [gltf.nodes[j].name for j in skin.joints]
    assert set(names) == HUMANOID
    mesh_node = next(n for n in gltf.nodes if n.mesh is not None)
    assert mesh_node.skin == 0
    prim = gltf.meshes[0].primitives[0]
    acc = gltf.accessors[prim.attributes.WEIGHTS_0]
    view = gltf.bufferViews[acc.bufferView]
    blob = gltf.binary_blob()
    # 16-bit normalised since session 19 (the file's size limit): exact sums of 65535
    assert acc.componentType == 5123 and acc.normalized
    raw = np.frombuffer(blob, np.uint16, acc.count * 4, view.byteOffset or 0).reshape(-1, 4)
    assert (raw.astype(np.int64).sum(axis=1) == 65535).all()
    head = next(j for j in skin.joints if gltf.nodes[j].name == "head")
    neck = next(j for j in skin.joints if gltf.nodes[j].name == "neck")
    assert head in gltf.nodes[neck].children  # head hangs from the neck


def test_head_follows_the_head_joint_and_the_suit_the_spine(gltf) -> None:
    avatar = load_avatar(DEFAULT_AVATAR_PATH)
    prim = gltf.meshes[0].primitives[0]
    blob = gltf.binary_blob()

    def read(index, dtype, width):
        acc = gltf.accessors[index]
        view = gltf.bufferViews[acc.bufferView]
        return np.frombuffer(blob, dtype, acc.count * width, view.byteOffset or 0).reshape(
            -1, width
        )

    joints = read(prim.attributes.JOINTS_0, np.uint8, 4)
    weights = read(prim.attributes.WEIGHTS_0, np.uint16, 4)  # normalised 16 bits (session 19)
    pos = read(prim.attributes.POSITION, np.float32, 3)
    names = [gltf.nodes[j].name for j in gltf.skins[0].joints]
    main = np.array(names)[joints[np.arange(len(joints)), weights.argmax(axis=1)]]
    nose = pos[:, 2].argmax()  # the tip of the nose
    assert main[nose] == "head"
    chest = np.flatnonzero((pos[:, 1] < -0.3) & (np.abs(pos[:, 0]) < 0.05))
    assert chest.size and set(main[chest]) <= {"chest", "spine"}
    assert avatar.bounds()[0][1] < -0.55  # half-body: down to the waist


def test_uniform_and_face_parts_are_there(gltf) -> None:
    names = {m.name for m in gltf.materials}
    assert names >= {
        "skin",
        "eyes",
        "lashes",
        "brows",
        "hair",
        "teeth",
        "mouth",
        "suit",
        "shirt",
        "tie",
        "badge",
    }
    badge = next(m for m in gltf.materials if m.name == "badge")
    texture = gltf.textures[badge.pbrMetallicRoughness.baseColorTexture.index]
    image = gltf.images[texture.source]
    view = gltf.bufferViews[image.bufferView]
    raw = gltf.binary_blob()[view.byteOffset : view.byteOffset + view.byteLength]
    assert Image.open(io.BytesIO(raw)).size == BADGE_SIZE_PX
    # the image is not stretched on the quad
    assert BADGE_SIZE_PX[0] / BADGE_SIZE_PX[1] == pytest.approx(
        BADGE_SIZE_M[0] / BADGE_SIZE_M[1], rel=0.01
    )


def test_eyes_have_a_dark_pupil_a_brown_iris_and_a_light_sclera() -> None:
    avatar = load_avatar(DEFAULT_AVATAR_PATH)
    eyes = next(s for s in avatar.submeshes if s.name == "eyes")
    used = np.unique(avatar.indices[eyes.first_index : eyes.first_index + eyes.index_count])
    left = used[avatar.positions[used, 0] > 0]
    p, col = avatar.positions[left], avatar.colors[left]
    front = p[:, 2].max()
    centre = p[p[:, 2] > front - 1e-4].mean(axis=0)
    r = np.linalg.norm(p[:, :2] - centre[:2], axis=1)
    lum = col[:, :3] @ [0.2126, 0.7152, 0.0722]
    pupil, iris = lum[r < 0.0012].mean(), lum[(r > 0.003) & (r < 0.005)].mean()
    sclera = lum[(r > 0.008) & (p[:, 2] > front - 0.006)].mean()
    assert pupil < 0.5 * iris < 0.5 * sclera


def test_badge_image_draws_config_text_and_rejects_bad_colours() -> None:
    blue = np.asarray(badge_image("Digital Assistant", "First Bank", "#1f4e8c"))
    red = np.asarray(badge_image("数字员工", "", "#b8122b"))
    assert blue.shape == (BADGE_SIZE_PX[1], BADGE_SIZE_PX[0], 3)
    assert tuple(blue[40, 20]) == (31, 78, 140) and tuple(red[40, 20]) == (184, 18, 43)
    white = (blue > 240).all(axis=2)
    assert 0.03 < white[10:-10, 10:-10].mean() < 0.4  # the text is drawn
    assert parse_color("1F4E8C") == (31, 78, 140)
    with pytest.raises(BadgeError, match="#rrggbb"):
        badge_image("x", color="navy")


def _linear_blend_skinning(gltf, rotations: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
    """Rest and posed positions (V, 3) of the file's vertices under joint rotations (3, 3)
    about each joint (glTF 2.0 §3.7.3 skinning, written out here as an independent reference).
    """
    blob = gltf.binary_blob()

    def read(index, dtype, width):
        acc = gltf.accessors[index]
        view = gltf.bufferViews[acc.bufferView]
        raw = np.frombuffer(blob, dtype, acc.count * width, view.byteOffset or 0)
        return raw.reshape(-1, width)

    attrs = gltf.meshes[0].primitives[0].attributes
    rest = read(attrs.POSITION, np.float32, 3).astype(np.float64)
    joints = read(attrs.JOINTS_0, np.uint8, 4).astype(int)
    assert gltf.accessors[attrs.WEIGHTS_0].normalized  # uint16 65535ths since session 19
    weights = read(attrs.WEIGHTS_0, np.uint16, 4) / 65535.0
    nodes = gltf.skins[0].joints
    parent = {c: n for n in nodes for c in gltf.nodes[n].children or []}
    world, origin = {}, {}
    for n in nodes:  # parents come first
        node = gltf.nodes[n]
        local = np.eye(4)
        local[:3, :3] = rotations.get(node.name, np.eye(3))
        local[:3, 3] = node.translation
        world[n] = world[parent[n]] @ local if n in parent else local
        origin[n] = (origin[parent[n]] if n in parent else 0.0) + np.asarray(node.translation)
    skin = []
    for n in nodes:
        unbind = np.eye(4)
        unbind[:3, 3] = -origin[n]
        skin.append(world[n] @ unbind)
    skin = np.stack(skin)
    h = np.c_[rest, np.ones(len(rest))]
    posed = sum(
        weights[:, k : k + 1] * np.einsum("vij,vj->vi", skin[joints[:, k]], h)[:, :3]
        for k in range(4)
    )
    return rest, posed


def _triangles(gltf: pygltflib.GLTF2, prim: pygltflib.Primitive) -> np.ndarray:
    """int (T, 3) vertex indices of a primitive's triangles."""
    acc = gltf.accessors[prim.indices]
    view = gltf.bufferViews[acc.bufferView]
    dtype = np.uint16 if acc.componentType == 5123 else np.uint32
    tris = np.frombuffer(gltf.binary_blob(), dtype, acc.count, view.byteOffset or 0)
    return tris.reshape(-1, 3).astype(int)


def test_hair_is_single_sided_and_faces_outward(gltf) -> None:
    # the renderer culls back faces of single-sided materials: a shell wound inward would vanish
    hair = next(k for k, m in enumerate(gltf.materials) if m.name == "hair")
    assert not gltf.materials[hair].doubleSided
    rest, _ = _linear_blend_skinning(gltf, {})
    prim = next(p for p in gltf.meshes[0].primitives if p.material == hair)
    tris = _triangles(gltf, prim)
    a, b, c = (rest[tris[:, k]] for k in range(3))
    normal = np.cross(b - a, c - a)
    shell = rest[np.unique(tris)]
    centre = (shell.min(axis=0) + shell.max(axis=0)) / 2  # about the middle of the head
    outward = np.einsum("ti,ti->t", normal, (a + b + c) / 3 - centre) > 0
    area = np.linalg.norm(normal, axis=1)
    assert area[outward].sum() > 0.98 * area.sum()


def test_a_head_turn_moves_the_head_rigidly_and_tears_nothing(gltf) -> None:
    def yaw(a: float) -> np.ndarray:
        c, s = np.cos(a), np.sin(a)
        return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])

    rest, posed = _linear_blend_skinning(gltf, {"neck": yaw(0.2), "head": yaw(0.3)})
    nose = rest[:, 2].argmax()
    eye_level = np.flatnonzero((np.abs(rest[:, 1] - rest[nose, 1]) < 0.03) & (rest[:, 2] > 0.05))
    pair = eye_level[[rest[eye_level, 0].argmin(), rest[eye_level, 0].argmax()]]
    span = np.linalg.norm(rest[pair[0]] - rest[pair[1]])
    assert np.linalg.norm(posed[pair[0]] - posed[pair[1]]) == pytest.approx(span, abs=5e-4)
    assert posed[nose, 0] - rest[nose, 0] > 0.04  # the face turned toward the avatar's left
    low = rest[:, 1] < -0.3
    assert np.abs(posed[low] - rest[low]).max() < 1e-6  # the body stays
    for prim in gltf.meshes[0].primitives:
        tris = _triangles(gltf, prim)
        for a, b in ((0, 1), (1, 2), (2, 0)):
            before = np.linalg.norm(rest[tris[:, a]] - rest[tris[:, b]], axis=1)
            after = np.linalg.norm(posed[tris[:, a]] - posed[tris[:, b]], axis=1)
            assert (after <= 2.0 * before + 0.003).all()  # stretched a little at most


def test_the_tie_has_a_knot_standing_out_over_the_blade() -> None:
    """newcomer10: the tie was a flat band out of the collar with no knot. The knot is its own
    piece, lifted over the blade's pinched start where they meet, and narrower at its foot than
    at its top."""
    from avatar.asset.body import tie

    part = tie()
    x, y, z = part.positions[:, 0], part.positions[:, 1], part.positions[:, 2]
    meet = (y <= -0.134) & (y >= -0.139) & (np.abs(x) < 0.004)  # the middle of both pieces
    assert z[meet].max() - z[meet].min() >= 0.0025, z[meet]
    top, foot = np.abs(x[np.isclose(y, y.max())]).max(), np.abs(x[np.isclose(y, -0.139)]).max()
    assert foot < 0.6 * top, (top, foot)


def test_the_knot_is_shaded_apart_from_the_blade() -> None:
    """newcomer12: at 512² knot and blade were the same red, one flat strip. The knot is lit on
    its left and shaded on its right (the wrap's fold) and ends in a crease darker than the
    blade below it."""
    from avatar.asset.body import tie

    part = tie()
    x, y = part.positions[:, 0], part.positions[:, 1]
    bright = part.colors[:, :3].mean(axis=1)
    knot = np.arange(len(y)) < 30  # the knot's 6 rows × 5 columns come first
    top_left = knot & np.isclose(y, y.max()) & (x < 0)
    top_right = knot & np.isclose(y, y.max()) & (x > 0)
    assert bright[top_left].mean() >= 1.8 * bright[top_right].mean()
    crease = bright[knot & np.isclose(y, -0.139)].mean()
    blade = bright[~knot & (y < -0.2) & (y > -0.25)].mean()
    assert crease <= 0.5 * blade, (crease, blade)
