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


#: Framings: how far below the top of the head the picture reaches at least, in head heights
#: (crown to chin ≈ 1; the shoulders sit ~1.5 below the crown, the chest ~2.5, the waist ~3.5).
#: Portrait frames keep the head at the top and show more below; never less.
FRAMINGS: dict[str, float] = {"face": 1.35, "head_shoulders": 2.4, "bust": 3.6}
#: Adult crown-to-chin height, metres (anthropometric tables put it at 0.21–0.25 m).
HEAD_HEIGHT_M = 0.23
#: Crown to the humanoid ``neck`` joint (the base of the neck), in head heights.
NECK_TO_CROWN = 1.4
#: Space above the crown, in head heights.
HEADROOM = 0.12


def frame(
    positions: np.ndarray,
    width: int,
    height: int,
    framing: str = "head_shoulders",
    neck: np.ndarray | None = None,
) -> Camera:
    """Frame a model (default-pose vertex positions (V, 3), metres) at ``width`` × ``height``.

    The top of the head sits :data:`HEADROOM` below the top edge; the picture reaches
    :data:`FRAMINGS` ``[framing]`` head heights down (never past 10 % above a bust's cut
    base), and is as wide as the model within that span. Whichever of the two fills the
    frame first sets the distance: in a portrait frame that is the width, and the picture
    then shows more below the shoulders, with the head still at the top, down to just above
    a bust's cut base (its sides are cropped by up to 5 % each rather than its base shown).
    Models up to
    :data:`BUST_MAX_HEIGHT_M` tall are heads or busts at natural size; taller ones are figures
    whose head is 1/7.5 of their height, unless the position (3,) of a humanoid ``neck``
    bone is given: the head is then the crown-to-neck height over :data:`NECK_TO_CROWN` (a
    cartoon robot's big head frames like a person's).

    Raises:
        ValueError: an unknown framing.
    """
    if framing not in FRAMINGS:
        raise ValueError(f"unknown framing {framing!r}; expected one of {tuple(FRAMINGS)}")
    pos = np.asarray(positions, np.float64)
    lo, hi = pos.min(axis=0), pos.max(axis=0)
    size = hi - lo
    top = hi[1]
    bust = size[1] <= BUST_MAX_HEIGHT_M
    head = HEAD_HEIGHT_M if bust else size[1] / 7.5
    if not bust and neck is not None and top - float(neck[1]) > 0:
        head = (top - float(neck[1])) / NECK_TO_CROWN
    bottom = top - FRAMINGS[framing] * head
    if bust:
        bottom = max(bottom, lo[1] + 0.1 * size[1])
    inside = pos[(pos[:, 1] >= bottom) & (pos[:, 1] <= top)]
    xlo, xhi = inside[:, 0].min(), inside[:, 0].max()
    upper = top + HEADROOM * head
    aspect = width / height
    tan_half = math.tan(math.radians(FOV_Y_DEG) / 2)
    half_h = 0.5 * (upper - bottom)
    half_w = 0.5 * (xhi - xlo) * 1.08
    front = hi[2]
    distance = max(half_h, half_w / aspect) / tan_half  # from the model's front plane
    if bust:  # hide a bust's cut base by cropping its sides, but by 5 % a side at most
        base = lo[1] + 0.03 * size[1]
        least = 0.45 * (xhi - xlo) / (aspect * tan_half)
        distance = min(distance, max((upper - base) / (2 * tan_half), least))
    centre_y = upper - distance * tan_half  # the head stays at the top edge
    eye = np.array([(xlo + xhi) / 2, centre_y, front + distance])
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
    if size[1] <= 0.45:  # a head with a neck stump: turn about the neck
        pivot_y, low, high = lo[1] + 0.2 * size[1], lo[1], lo[1] + 0.35 * size[1]
    else:
        scale = 1.0 if bust else size[1] / 1.7
        pivot_y = top - HEAD_TO_PIVOT_M * scale
        low, high = pivot_y - 0.07 * scale, pivot_y + 0.04 * scale
    pivot = np.array([eye[0], pivot_y, (lo[2] + hi[2]) / 2])
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
