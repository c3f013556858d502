"""The avatar renderer as the engine sees it: a pose in, a frame future out.

Any avatar backend — today's OpenGL :class:`avatar.renderer.Renderer` (one EGL context on its own
thread), a GPU batch renderer shared by many sessions, a client-side renderer that sends poses
instead of frames — plugs into the engine by satisfying :class:`FrameRenderer` (LiveKit's
avatar boundary: poses in, frames out). The engine never constructs a backend itself; it is
handed a factory.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Protocol, runtime_checkable

import numpy as np

from avatar.pose import Pose


@runtime_checkable
class FrameRenderer(Protocol):
    """Draws poses to frames off the caller's thread.

    Attributes:
        width: frame width in pixels.
        height: frame height in pixels.
    """

    width: int
    height: int

    def submit(self, pose: Pose, out: np.ndarray | None = None) -> Future[np.ndarray]:
        """Queue one frame.

        Args:
            pose: the face/head state to draw.
            out: optional uint8 (height, width, 3) C-contiguous array to draw into.

        Returns:
            A :class:`concurrent.futures.Future` of uint8 (height, width, 3) RGB, row 0 at the
            top (``out`` when given).

        Raises:
            avatar.egl.RendererError: the renderer is closed, or ``out`` has the wrong shape.
        """
        ...

    def set_texture(self, material: str, image: np.ndarray) -> None:
        """Draw ``material`` with ``image`` (uint8 (H, W, 4) RGBA, sRGB, row 0 at the top) as
        its base colour texture in the frames submitted from now on (the name badge in the
        session's language).

        Raises:
            avatar.egl.RendererError: the renderer is closed, the avatar has no textured
                material of that name, or the image has the wrong shape.
        """
        ...

    def close(self) -> None:
        """Release the backend (idempotent); frames still pending fail."""
        ...
