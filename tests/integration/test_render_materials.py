"""EGL rendering of materials on tiny glTF files written here: per-pixel textures, sRGB, alpha
modes, samplers, texture transforms, UV sets, extra texture slots, texture overrides."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pygltflib
import pytest
from PIL import Image

from avatar.backdrop import studio_backdrop
from avatar.gltf import load_avatar
from avatar.model import AvatarLoadError
from avatar.pose import Pose
from avatar.renderer import EGLUnavailableError, Renderer
from tests.conftest import egl_required
from tests.gltf_scenes import GltfBuilder, checker, quad, unlit

SIZE = 256
HALF = 0.2  # quads are 0.4 m wide


def _render(path: Path, fxaa: bool = False, **load) -> tuple[np.ndarray, Renderer]:
    with egl_required():
        renderer = Renderer(load_avatar(path, **load), SIZE, SIZE, fxaa=fxaa)
    with renderer:
        return renderer.render(Pose()), renderer


def _px(renderer: Renderer, u: float, v: float, z: float = 0.0) -> tuple[int, int]:
    """Pixel (x, y) of the quad point at texture coordinate (u, v)."""
    x, y = renderer.camera.project(np.array([-HALF + 2 * HALF * u, HALF - 2 * HALF * v, z]))[0]
    return int(x), int(y)


def _row(frame: np.ndarray, renderer: Renderer, v: float, n: int = 400) -> np.ndarray:
    """Luminance along the quad's row at ``v`` from u = 0.01 to 0.99: (n,)."""
    us = np.linspace(0.01, 0.99, n)
    return np.array([frame[_px(renderer, u, v)[::-1]].mean() for u in us])


def _transitions(values: np.ndarray) -> int:
    bright = values > 127
    return int(np.count_nonzero(bright[1:] != bright[:-1]))


def _one_quad(
    path: Path, material: pygltflib.Material, b: GltfBuilder | None = None, **quad_kw
) -> Path:
    b = b or GltfBuilder()
    mat = b.material(material)
    b.node(mesh=b.mesh([quad(b, mat, **quad_kw)]))
    return b.save(path)


def test_checker_finer_than_vertex_spacing_keeps_its_frequency(tmp_path: Path) -> None:
    b = GltfBuilder()
    material = unlit(b.texture(checker(16)), name="quad")
    frame, renderer = _render(_one_quad(tmp_path / "checker.glb", material, b))
    assert _transitions(_row(frame, renderer, 0.47)) == 15  # 16 cells on one 4-vertex quad
    Image.fromarray(frame).save(tmp_path / "checker.png")


def test_half_srgb_grey_reads_back_128_unlit(tmp_path: Path) -> None:
    grey = np.full((8, 8, 4), 128, np.uint8)
    grey[..., 3] = 255
    b = GltfBuilder()
    textured = unlit(b.texture(grey), name="quad")
    path = _one_quad(tmp_path / "grey_tex.glb", textured, b)
    for fxaa in (False, True):  # anti-aliasing leaves flat areas as they are
        frame, renderer = _render(path, fxaa=fxaa)
        assert np.abs(frame[_px(renderer, 0.5, 0.5)[::-1]].astype(int) - 128).max() <= 2
    linear = ((128 / 255 + 0.055) / 1.055) ** 2.4  # the sRGB EOTF of 128
    factor = unlit(factor=(linear, linear, linear, 1.0), name="quad")
    frame, renderer = _render(_one_quad(tmp_path / "grey_factor.glb", factor))
    assert np.abs(frame[_px(renderer, 0.5, 0.5)[::-1]].astype(int) - 128).max() <= 2


def test_masked_quad_shows_the_background_through_its_holes(tmp_path: Path) -> None:
    b = GltfBuilder()
    material = unlit(b.texture(checker(4, alpha=True)), alphaMode="MASK", name="quad")
    frame, renderer = _render(_one_quad(tmp_path / "mask.glb", material, b))
    backdrop = studio_backdrop(SIZE, SIZE)
    for u, v, solid in ((0.125, 0.125, True), (0.375, 0.125, False), (0.625, 0.625, True)):
        x, y = _px(renderer, u, v)
        if solid:
            assert frame[y, x].min() > 240
        else:
            assert np.array_equal(frame[y, x], backdrop[y, x])


def test_blended_quads_are_sorted_back_to_front(tmp_path: Path) -> None:
    b = GltfBuilder()
    front = b.material(unlit(factor=(0.0, 0.0, 1.0, 0.5), alphaMode="BLEND", name="front"))
    back = b.material(unlit(factor=(1.0, 0.0, 0.0, 0.5), alphaMode="BLEND", name="back"))
    # The front quad comes first in the file: drawn in file order it would be under the back.
    b.node(mesh=b.mesh([quad(b, front, z=0.05), quad(b, back, z=0.0)]))
    frame, renderer = _render(b.save(tmp_path / "blend.glb"))
    r, _, bl = frame[_px(renderer, 0.5, 0.5, 0.05)[::-1]].astype(int)
    assert bl > r + 40, (r, bl)


def test_sampler_wrap_transform_and_second_uv_set(tmp_path: Path) -> None:
    b = GltfBuilder()
    repeat = unlit(b.texture(checker(2)), name="quad")
    frame, renderer = _render(_one_quad(tmp_path / "repeat.glb", repeat, b, uv_scale=2.0))
    assert _transitions(_row(frame, renderer, 0.1)) == 3  # 2 cells, repeated twice
    b = GltfBuilder()
    clamp = pygltflib.Sampler(wrapS=33071, wrapT=33071)
    clamped = unlit(b.texture(checker(2), clamp), name="quad")
    frame, renderer = _render(_one_quad(tmp_path / "clamp.glb", clamped, b, uv_scale=2.0))
    assert _transitions(_row(frame, renderer, 0.1)) == 1  # u > 1 repeats the edge texel
    # KHR_texture_transform offset (0.5, 0): the quad's left half shows the texture's right.
    halves = np.zeros((8, 8, 4), np.uint8)
    halves[:, :4] = (255, 0, 0, 255)
    halves[:, 4:] = (0, 255, 0, 255)
    b = GltfBuilder()
    moved = unlit(b.texture(halves), name="quad")
    moved.pbrMetallicRoughness.baseColorTexture.extensions = {
        "KHR_texture_transform": {"offset": [0.5, 0.0]}
    }
    frame, renderer = _render(_one_quad(tmp_path / "transform.glb", moved, b))
    assert frame[_px(renderer, 0.2, 0.5)[::-1]][1] > 200  # green
    assert frame[_px(renderer, 0.8, 0.5)[::-1]][0] > 200  # red (wrapped around)
    # texCoord 1: TEXCOORD_0 is all zero (one texel); the checker reads TEXCOORD_1.
    b = GltfBuilder()
    second = unlit(b.texture(checker(8)), name="quad")
    second.pbrMetallicRoughness.baseColorTexture.texCoord = 1
    prim = quad(b, b.material(second))
    prim.attributes.TEXCOORD_1 = prim.attributes.TEXCOORD_0
    prim.attributes.TEXCOORD_0 = b.accessor(np.zeros((4, 2), np.float32))
    b.node(mesh=b.mesh([prim]))
    frame, renderer = _render(b.save(tmp_path / "uv1.glb"))
    assert _transitions(_row(frame, renderer, 0.44)) == 7


def test_emissive_and_normal_textures_are_sampled(tmp_path: Path) -> None:
    halves = np.zeros((8, 8, 4), np.uint8)
    halves[:, 4:] = 255
    halves[..., 3] = 255
    b = GltfBuilder()
    glow = pygltflib.Material(
        name="quad",
        pbrMetallicRoughness=pygltflib.PbrMetallicRoughness(
            baseColorFactor=[0.0, 0.0, 0.0, 1.0], metallicFactor=0.0
        ),
        emissiveFactor=[1.0, 1.0, 1.0],
        emissiveTexture=pygltflib.TextureInfo(index=b.texture(halves)),
    )
    frame, renderer = _render(_one_quad(tmp_path / "emissive.glb", glow, b))
    dark, lit = frame[_px(renderer, 0.25, 0.5)[::-1]], frame[_px(renderer, 0.75, 0.5)[::-1]]
    assert lit.min() > 230 and dark.max() < 60
    shades = []
    for name, texel in (("flat", (128, 128, 255, 255)), ("tilted", (230, 128, 180, 255))):
        b = GltfBuilder()
        material = pygltflib.Material(
            name="quad",
            pbrMetallicRoughness=pygltflib.PbrMetallicRoughness(
                baseColorFactor=[0.2, 0.2, 0.2, 1.0], metallicFactor=0.0
            ),
            normalTexture=pygltflib.NormalMaterialTexture(
                index=b.texture(np.full((4, 4, 4), texel, np.uint8))
            ),
        )
        frame, renderer = _render(_one_quad(tmp_path / f"{name}.glb", material, b))
        shades.append(frame[_px(renderer, 0.5, 0.5)[::-1]].astype(int).mean())
    assert abs(shades[0] - shades[1]) > 10, shades  # the map turned the normal


def test_texture_override_replaces_a_base_colour(tmp_path: Path) -> None:
    b = GltfBuilder()
    path = _one_quad(tmp_path / "badge.glb", unlit(b.texture(checker(4)), name="badge"), b)
    red = Image.new("RGB", (16, 16), (255, 0, 0))
    frame, renderer = _render(path, textures={"badge": red})
    assert tuple(frame[_px(renderer, 0.3, 0.3)[::-1]]) == (255, 0, 0)
    with pytest.raises(AvatarLoadError, match="unknown material"):
        load_avatar(path, textures={"bagde": red})


def test_msaa_at_1080p_renders_the_same_picture_with_smoothed_edges(tmp_path: Path) -> None:
    """The GPU path (MSAA 4x, 1920x1080) runs on llvmpipe too: same picture, softer edges."""
    b = GltfBuilder()
    path = _one_quad(tmp_path / "msaa.glb", unlit(b.texture(checker(4)), name="quad"), b)
    avatar = load_avatar(path)
    try:
        frames = []
        for msaa in (0, 4):
            with Renderer(avatar, 1920, 1080, msaa=msaa, fxaa=False) as renderer:
                frames.append(renderer.render(Pose()).astype(int))
    except EGLUnavailableError as exc:
        pytest.skip(str(exc))
    plain, smooth = frames
    assert plain.shape == smooth.shape == (1080, 1920, 3)
    diff = np.abs(plain - smooth).max(axis=2)
    assert 0 < np.count_nonzero(diff) < 0.01 * diff.size  # only edge pixels change
    grey = (smooth.min(axis=2) > 30) & (smooth.max(axis=2) < 225)  # blended edge samples
    assert np.count_nonzero(grey & (diff > 0)) > 100
