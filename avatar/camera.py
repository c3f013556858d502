"""Camera framing and head-rotation geometry (pure numpy; no GL).

The camera is a pinhole on +Z looking down −Z at the model (glTF's front), framing head and
shoulders from the rest-pose bounding box. Matrices are row-major numpy (use ``.T`` for GL's
column-major uniforms). Image rows run top to bottom (row 0 is the top of the picture).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Vertical field of view, degrees: a ~70 mm-equivalent portrait lens, little face distortion.
FOV_Y_DEG = 22.0
#: Models at most this tall (metres) are heads/busts and framed whole.
BUST_MAX_HEIGHT_M = 0.8
#: Busts are framed from the top of the head down this far at most, metres (head ~25 cm with
#: hair, plus neck and shoulders).
BUST_FRAME_M = 0.42
#: Distance from the top of the head to the neck pivot, metres (adult head ~23 cm, chin to
#: crown; the pivot sits a little below the chin, near C1–C2).
HEAD_TO_PIVOT_M = 0.27


@dataclass(frozen=True, slots=True)
class Camera:
    """Framing for one model at one image size.

    Attributes:
        view_proj: float32 (4, 4), world → clip, with Y flipped so GL rows come out top-first.
        eye: float32 (3,), camera position, metres.
        pivot: float32 (3,), the point the head rotates about, metres.
        neck_low_y: below this height (metres) vertices do not follow the head.
        neck_high_y: above this height vertices follow the head fully.
        width: image width, pixels.
        height: image height, pixels.
    """

    view_proj: np.ndarray
    eye: np.ndarray
    pivot: np.ndarray
    neck_low_y: float
    neck_high_y: float
    width: int
    height: int

    def project(self, points: np.ndarray) -> np.ndarray:
        """World points (N, 3) or (3,) → pixel coordinates (x right, y down), float64 (N, 2).

        The head rotation of a pose is not applied (rest-pose landmarks)."""
        pts = np.asarray(points, np.float64).reshape(-1, 3)
        p = np.c_[pts, np.ones(len(pts))]
        clip = p @ self.view_proj.astype(np.float64).T
        ndc = clip[:, :2] / clip[:, 3:4]
        x = (ndc[:, 0] + 1) * 0.5 * self.width
        y = (ndc[:, 1] + 1) * 0.5 * self.height  # Y was flipped in view_proj: +1 is the bottom
        return np.c_[x, y]

    def head_weights(self, positions: np.ndarray) -> np.ndarray:
        """How much each vertex follows the head rotation: float32 (V,) in [0, 1] (smoothstep)."""
        y = positions[:, 1]
        t = np.clip((y - self.neck_low_y) / (self.neck_high_y - self.neck_low_y), 0.0, 1.0)
        return (t * t * (3 - 2 * t)).astype(np.float32)


def frame(lo: np.ndarray, hi: np.ndarray, width: int, height: int) -> Camera:
    """Frame head and shoulders of a model with rest bounds ``lo``..``hi`` (metres).

    Busts (height ≤ :data:`BUST_MAX_HEIGHT_M`) are framed down to 10 % above their base (the
    cut edge leaves the picture) or :data:`BUST_FRAME_M` below the top, whichever is higher;
    taller models frame their top 35 % (head and shoulders of a
    standing figure).
    """
    lo, hi = np.asarray(lo, np.float64), np.asarray(hi, np.float64)
    size = hi - lo
    top, bottom = hi[1], lo[1]
    if size[1] > BUST_MAX_HEIGHT_M:
        bottom = top - 0.35 * size[1]
    else:  # cut the bust's base (or a neck stump) at the edge; head and shoulders only
        bottom = max(bottom + 0.1 * size[1], top - BUST_FRAME_M)
    center = np.array(
        [(lo[0] + hi[0]) / 2, (top + bottom) / 2 - 0.02 * (top - bottom), (lo[2] + hi[2]) / 2]
    )
    aspect = width / height
    half_h = 0.5 * (top - bottom) * 1.04
    half_w = 0.5 * size[0] * 1.08
    tan_half = math.tan(math.radians(FOV_Y_DEG) / 2)
    distance = max(half_h, half_w / aspect) / tan_half + 0.5 * size[2]
    eye = center + np.array([0.0, 0.0, distance])
    near, far = max(distance * 0.05, 1e-3), distance + 4 * max(size.max(), 1e-3)
    view = np.eye(4)
    view[:3, 3] = -eye  # camera looks down −Z, no rotation needed
    f = 1 / tan_half
    proj = np.array(
        [
            [f / aspect, 0, 0, 0],
            [0, -f, 0, 0],  # Y flipped: glReadPixels then returns rows top-first
            [0, 0, (far + near) / (near - far), 2 * far * near / (near - far)],
            [0, 0, -1, 0],
        ]
    )
    model_height = size[1]
    if model_height <= 0.45:  # a head with a neck stump: turn about the neck
        pivot_y, low, high = bottom + 0.2 * model_height, bottom, bottom + 0.35 * model_height
    else:
        scale = 1.0 if model_height <= BUST_MAX_HEIGHT_M else model_height / 1.7
        pivot_y = top - HEAD_TO_PIVOT_M * scale
        low, high = pivot_y - 0.07 * scale, pivot_y + 0.04 * scale
    pivot = np.array([center[0], pivot_y, center[2]])
    return Camera(
        view_proj=(proj @ view).astype(np.float32),
        eye=eye.astype(np.float32),
        pivot=pivot.astype(np.float32),
        neck_low_y=float(low),
        neck_high_y=float(high),
        width=width,
        height=height,
    )


def head_rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """Rotation matrix float32 (3, 3) = R_y(yaw) · R_x(pitch) · R_z(roll) (see :class:`Pose`)."""
    cy, sy = math.cos(yaw), math.sin(yaw)
    cp, sp = math.cos(pitch), math.sin(pitch)
    cr, sr = math.cos(roll), math.sin(roll)
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rx = np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
    rz = np.array([[cr, -sr, 0], [sr, cr, 0], [0, 0, 1]])
    return (ry @ rx @ rz).astype(np.float32)
