"""The avatar room: loading (glTF 2.0 / VRM), the viseme/expression timeline, the renderer.

Typical use by the engine::

    renderer = Renderer(load_avatar(DEFAULT_AVATAR_PATH))
    timeline = AvatarTimeline(sample_rate=48000)
    timeline.add_speech(track, start_sample)
    frame = renderer.render(timeline.pose_at(i * 48000 // 25))  # (512, 512, 3) uint8

Names are imported lazily, so ``import avatar.visemes`` does not load OpenGL.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

#: The project's own generated avatar (``python -m avatar.generate`` rebuilds it).
DEFAULT_AVATAR_PATH = Path(__file__).resolve().parent.parent / "assets" / "avatar" / "default.glb"

_EXPORTS = {
    "Avatar": "avatar.model",
    "AvatarLoadError": "avatar.model",
    "load_avatar": "avatar.gltf",
    "Pose": "avatar.pose",
    "NEUTRAL_POSE": "avatar.pose",
    "AvatarTimeline": "avatar.timeline",
    "UnknownEmotionError": "avatar.timeline",
    "UnknownGestureError": "avatar.timeline",
    "EMOTIONS": "avatar.expressions",
    "GESTURES": "avatar.gestures",
    "Renderer": "avatar.renderer",
    "RendererError": "avatar.egl",
    "EGLUnavailableError": "avatar.egl",
    "VisemeCue": "avatar.visemes",
    "VisemeTrack": "avatar.visemes",
    "OCULUS_VISEMES": "avatar.visemes",
}

__all__ = [
    "DEFAULT_AVATAR_PATH",
    "EMOTIONS",
    "GESTURES",
    "NEUTRAL_POSE",
    "OCULUS_VISEMES",
    "Avatar",
    "AvatarLoadError",
    "AvatarTimeline",
    "EGLUnavailableError",
    "Pose",
    "Renderer",
    "RendererError",
    "UnknownEmotionError",
    "UnknownGestureError",
    "VisemeCue",
    "VisemeTrack",
    "load_avatar",
]

if TYPE_CHECKING:
    from avatar.egl import EGLUnavailableError, RendererError
    from avatar.expressions import EMOTIONS
    from avatar.gestures import GESTURES
    from avatar.gltf import load_avatar
    from avatar.model import Avatar, AvatarLoadError
    from avatar.pose import NEUTRAL_POSE, Pose
    from avatar.renderer import Renderer
    from avatar.timeline import AvatarTimeline, UnknownEmotionError, UnknownGestureError
    from avatar.visemes import OCULUS_VISEMES, VisemeCue, VisemeTrack


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'avatar' has no attribute {name!r}")
