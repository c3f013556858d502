"""avatar.frame_renderer.FrameRenderer is what the server depends on; today's OpenGL renderer
satisfies it (checked on the class, without an EGL context)."""

from __future__ import annotations

import inspect

from avatar.frame_renderer import FrameRenderer
from avatar.renderer import Renderer
from tests.unit.test_import_graph import REPO, imports_of


def test_the_gl_renderer_has_the_protocols_methods() -> None:
    for name in ("submit", "set_texture", "close"):
        wanted = inspect.signature(getattr(FrameRenderer, name))
        got = inspect.signature(getattr(Renderer, name))
        assert list(got.parameters)[: len(wanted.parameters)] == list(wanted.parameters), name
    init = inspect.getsource(Renderer.__init__)
    assert "self.width" in init and "self.height" in init


def test_only_the_default_factory_knows_the_gl_renderer() -> None:
    server = REPO / "engine" / "server"
    users = sorted(
        path.name
        for path in server.glob("*.py")
        if {"avatar.Renderer", "avatar.renderer"} & imports_of(path)
    )
    assert users == ["renderers.py"]
