"""Hold a skinned avatar's joints still between sub-pixel moves, so most frames redraw only
the head or only the face parts whose blendshapes changed (sans-IO numpy; no GL).

Idle life (breathing, weight shifts, head sway) turns some joints a little every frame — a
tenth of a pixel or so on screen — and a frame whose body moved has to be drawn, anti-aliased
and cleared over the whole avatar. :class:`PoseHold` keeps two groups of palette entries, the
head (the ``neck`` humanoid bone and everything below it, else ``head``'s) and the body (the
rest), as they were last drawn until one of the group's joints would move by :data:`HOLD_PX`
pixels on screen; then the group takes the pose's entries. A joint's displacement is affine
over its bind box, so the largest step of any vertex is that of a box corner: joints move in
steps under half a pixel, below what the eye resolves at 25 fps, and where a vertex blends a
held joint with a live one the seam is off by less than that.

The area a frame must redraw follows: the whole avatar (this frame's box and the last one's)
when both groups moved; the body's boxes (the triangles with a vertex on a body joint: suit,
neck, shoulders) and the changed blendshapes' when only the body moved; the head's boxes when
only the head moved; else the boxes of the blendshapes whose weights changed (a mouth while
speaking, eyelids while blinking). Both groups moving at once would redraw the whole avatar:
a group whose step is still under :data:`DEFER_PX` then waits for the next frame (the body
for the head), so breathing and head motion take turns. The body also waits, while its step
is under :data:`DEFER_PX`, through frames whose blendshapes change: its box and a speaking
mouth's are drawn as one rectangle spanning the face and the suit, the costliest frame there
is (~180k pixels at 512x512, against ~120k for the body and ~37k for the mouth alone), so the
body steps in a frame that draws nothing else when one comes within a pixel of motion.

A body step under :data:`SPLIT_PX`, or any step of a body drifting under :data:`DEFER_PX` a
frame (breathing, a weight shift; not a gesture), is swept over several frames in horizontal
bands, top to bottom, each in its own draw pass: up to :data:`BAND_PX` pixels (or a
:data:`avatar.bands.MAX_BANDS`-th of the box) a frame, less where the frame's other box (the
head's step, the blendshapes') leaves less of a frame's budget. The budget is CPU, not pixels
(:mod:`avatar.frame_cost`: a pass's pixels and the triangles of the runs it issues; a face pixel
costs about three times a suit pixel): the cost of a head step's pass, the largest box that is
never split, so that a frame costs no more than a head step unless the body falls behind. A band
that does not fit beside the other box, at least :data:`LEAST_BAND_PX` pixels, waits for a frame
with room while the body is under :data:`YIELD_LAG_PX` behind its pose, and then goes with that
least: a speaking mouth's box (~37k pixels, ~15k triangles at 512x512) leaves room for none, so
a band beside it is rare. Once the body is that far behind with a sweep pending, a head step
under :data:`HEAD_WAIT_PX` waits a frame for the band. The body waits for its sweep before it
takes another step (unless it moves a pixel a frame: a gesture is drawn whole), and the head,
whose box reaches into the bands, waits unless it is a pixel behind. No frame then redraws the
whole body (~120k pixels at 512x512, ~11 ms CPU); until the sweep is done the rows below show
the last step, a seam of its size (1-3 px, p95 of the steps; 5-6 px at most in the speaking
benchmark) across the suit. A frame may so redraw several boxes (:attr:`PoseHold.parts`, one
pass each; two that overlap are drawn as their union when that is no larger).
"""

from __future__ import annotations

import numpy as np

from avatar import screen_box
from avatar.bands import PART_MARGIN_PX, Sweep, merge
from avatar.camera import Camera
from avatar.chunks import TriangleChunks
from avatar.frame_cost import FrameCost
from avatar.model import Avatar
from avatar.screen_box import (
    EMPTY,
    Box,
    ScreenBox,
    bounding,
    box_corners,
    morph_bounds,
    union,
)

#: The area of a frame that equals the last one.
#: Largest on-screen step of a held joint, pixels.
HOLD_PX = 0.5
#: A group that would move together with the other waits a frame while its step is under
#: this, pixels (one frame late, 40 ms at 25 fps).
DEFER_PX = 1.0
#: A body step under this, pixels, is drawn in bands over a few frames (a seam of that step
#: across the suit for 40 ms a band); a larger one is drawn whole unless the body drifts
#: (moves under :data:`DEFER_PX` a frame): a gesture, the first frames.
SPLIT_PX = 2.0
#: The largest band of a split body step, pixels: ~3 ms of llvmpipe CPU (~10 ms per 100k
#: pixels of suit at 512x512), or a :data:`avatar.bands.MAX_BANDS`-th of the step's box.
BAND_PX = 32_000
#: The smallest band, pixels (~2 ms of llvmpipe CPU across the suit at 512x512): a band that
#: goes where the budget has no room takes this many, so a sweep always moves on.
LEAST_BAND_PX = 10_000
#: While the body's pose is less than this many pixels from where it is drawn (so the seam of
#: its next step stays small), a band with no room in the budget waits for a frame with room
#: (the speaking benchmark's blendshapes change in 283 of its 750 frames) ...
YIELD_LAG_PX = 1.5
#: ... and once the body is that far behind, a head step under this many pixels waits while
#: a band goes (a nod's larger steps do not).
HEAD_WAIT_PX = 2.0


def _head_nodes(avatar: Avatar) -> np.ndarray:
    """Skeleton nodes at or below the ``neck`` bone (else ``head``); empty when unmapped."""
    skel = avatar.skeleton
    top = avatar.humanoid.get("neck", avatar.humanoid.get("head"))
    if skel is None or top is None:
        return np.zeros(0, np.int64)
    below = np.zeros(len(skel.names), bool)
    below[top] = True
    for level in skel.levels:  # parents come first
        inner = level[skel.parents[level] >= 0]
        below[inner] |= below[skel.parents[inner]]
    return np.flatnonzero(below)


def _touching(tris: np.ndarray, moving: np.ndarray) -> np.ndarray:
    """bool (V,): every vertex of a triangle (N, 3) that has a ``moving`` vertex."""
    out = np.zeros_like(moving)
    out[tris[moving[tris].any(axis=1)].ravel()] = True
    return out


class _Group:
    """Palette entries held together, with probe corners (E, 8, 3) of their bind boxes."""

    def __init__(self, avatar: Avatar, entries: np.ndarray) -> None:
        skin = avatar.skinning
        self.entries = entries
        corners = []
        for entry in entries:
            on = ((skin.joints == entry) & (skin.weights > 0)).any(axis=1)
            pts = skin.bind_positions[on] if on.any() else np.zeros((1, 3))
            corners.append(box_corners(pts.min(axis=0), pts.max(axis=0)))
        self.probes = np.asarray(corners, np.float64).reshape(-1, 8, 3)
        self.held: np.ndarray | None = None
        self.held_px: np.ndarray | None = None


class PoseHold:
    """Which palette a skinned avatar's frame draws, and the area it must redraw.

    Args:
        avatar: a skinned model (:attr:`Avatar.skinning` set).
        camera: its framing at this frame size.
        hold_px: the largest held step of a joint, pixels.
        band_px: the largest band of a body step under :data:`SPLIT_PX`, pixels.
        frame_ms: a frame's budget for a band and the head's or blendshapes' box together,
            estimated llvmpipe CPU ms (:class:`avatar.frame_cost.FrameCost`; default: the
            cost of the head's box at rest).
        chunks: the renderer's triangle runs (made here when None), whose boxes at rest
            estimate what a box costs.

    Attributes:
        enabled: ``False`` when the model has no ``neck``/``head`` bone; then :meth:`apply`
            holds nothing and redraws the whole avatar box each frame.
        head_drawn: whether the last :meth:`apply`'s area holds the whole head (an occlusion
            test of a part inside the head means something only then).
    """

    def __init__(
        self,
        avatar: Avatar,
        camera: Camera,
        hold_px: float = HOLD_PX,
        band_px: int = BAND_PX,
        frame_ms: float | None = None,
        chunks: TriangleChunks | None = None,
    ) -> None:
        skin, skel = avatar.skinning, avatar.skeleton
        if skin is None or skel is None:
            raise ValueError("PoseHold needs a skinned avatar")
        self.camera, self.hold_px = camera, hold_px
        self.band_px, self.least_px = band_px, LEAST_BAND_PX
        rest = np.broadcast_to(np.eye(4, dtype=np.float32), (skel.palette_nodes.size, 4, 4))
        chunks = chunks or TriangleChunks(avatar, camera)
        unmorphed = np.zeros(len(avatar.target_names), np.float32)
        self.cost = FrameCost(chunks.boxes(rest, unmorphed), chunks.count // 3)
        self.frame_ms = frame_ms
        self.yield_lag_px = YIELD_LAG_PX
        self.head_wait_px = HEAD_WAIT_PX
        # One bind-pose bound for the ~T + 3 boxes below (each would recompute it).
        bounds = morph_bounds(skin.bind_positions, avatar.morph_vertices, skin.morph_deltas)
        self.box = ScreenBox(avatar, camera, bounds=bounds)
        heads = _head_nodes(avatar)
        self.enabled = heads.size > 0
        self._prev: tuple[Box, Box, Box] | None = None
        self._weights: np.ndarray | None = None
        self.head_drawn = True
        #: The boxes the last :meth:`apply`'s frame redraws, one pass each (their union is
        #: the area it returns): a body step's band, the head's or blendshapes' box.
        self.parts: tuple[Box, ...] = ()
        self._sweep: Sweep | None = None  # the last body step's rows still to draw
        self._body_px: np.ndarray | None = None  # the body's probe pixels in the last frame
        self._target_on_screen: dict[int, Box] = {}  # target boxes under the held palette
        if not self.enabled:
            return
        head_entry = np.isin(skel.palette_nodes, heads)
        self._groups = (
            _Group(avatar, np.flatnonzero(~head_entry)),
            _Group(avatar, np.flatnonzero(head_entry)),
        )
        tris = avatar.indices.reshape(-1, 3)
        moving = np.zeros(avatar.positions.shape[0], bool)
        for k in range(4):
            moving |= (skin.weights[:, k] > 0) & head_entry[skin.joints[:, k]]
        moving[avatar.morph_vertices] = True
        self.head_box = ScreenBox(avatar, camera, _touching(tris, moving), PART_MARGIN_PX, bounds)
        moving[:] = False
        for k in range(4):
            moving |= (skin.weights[:, k] > 0) & ~head_entry[skin.joints[:, k]]
        self.body_box = ScreenBox(avatar, camera, _touching(tris, moving), PART_MARGIN_PX, bounds)
        self._target_boxes = []
        for deltas in skin.morph_deltas:
            moving[:] = False
            moving[avatar.morph_vertices[np.abs(deltas).max(axis=1) > 0]] = True
            box = ScreenBox(avatar, camera, _touching(tris, moving), PART_MARGIN_PX, bounds)
            self._target_boxes.append(box if moving.any() else None)
        if self.frame_ms is None:  # a head step's pass: the largest box that is never split
            self.frame_ms = self.cost.cost_ms(self.head_box.skinned(rest))

    @property
    def pending(self) -> bool:
        """Whether a body step's bands are still to be drawn (the next frame draws one,
        even with an unchanged pose)."""
        return self._sweep is not None

    def _pixels(self, group: _Group, palette: np.ndarray) -> np.ndarray:
        """Screen positions (E, 8, 2) of a group's probes under ``palette``, pixels."""
        m = palette[group.entries].astype(np.float64)
        world = np.einsum("bij,bkj->bki", m[:, :3, :3], group.probes) + m[:, None, :3, 3]
        vp = self.camera.view_proj.astype(np.float64)
        clip = world @ vp[:, :3].T + vp[:, 3]
        size = np.array([self.camera.width, self.camera.height]) * 0.5
        return clip[..., :2] / np.maximum(clip[..., 3:4], 1e-6) * size

    def _shift(self, group: _Group, palette: np.ndarray) -> tuple[np.ndarray, float]:
        """The group's probe pixels under ``palette`` and its largest step from the held ones
        (infinite when nothing is held)."""
        pixels = self._pixels(group, palette)
        if group.held is None:
            return pixels, np.inf
        return pixels, float(np.sqrt(((pixels - group.held_px) ** 2).sum(axis=-1)).max())

    def _hold(self, group: _Group, palette: np.ndarray, out: np.ndarray, take: bool, pixels):
        """Take the group's new entries (``take``) or put its held ones into ``out``."""
        if take:
            group.held, group.held_px = palette[group.entries].copy(), pixels
        else:
            out[group.entries] = group.held
        return take

    def _drifting(self, body_px: np.ndarray) -> bool:
        """Whether the body moved under :data:`DEFER_PX` since the last frame (breathing, a
        weight shift: not a gesture), from its probes' pixels (E, 8, 2) now and then."""
        last, self._body_px = self._body_px, body_px
        if last is None:
            return False
        return float(np.sqrt(((body_px - last) ** 2).sum(axis=-1)).max()) < DEFER_PX

    def _morphing(self, weights: np.ndarray) -> bool:
        """Whether a target with a box changed weight since the last frame."""
        if self._weights is None:
            return False
        changed = np.flatnonzero(weights != self._weights)
        return any(self._target_boxes[target] is not None for target in changed)

    def _morph_area(self, palette: np.ndarray, weights: np.ndarray) -> Box:
        """Union of the boxes of the targets whose weight changed (empty when none did); a
        target's box is projected once per palette (speech changes the same few targets
        frame after frame while the joints hold)."""
        boxes, changed = self._target_on_screen, []
        for target in np.flatnonzero(weights != self._weights).tolist():
            if (box := self._target_boxes[target]) is not None:
                if target not in boxes:
                    boxes[target] = box.skinned(palette)
                changed.append(boxes[target])
        return bounding(changed)

    def _yields(self, other: Box, room_ms: float, body_step: float) -> bool:
        """Whether the sweep's band waits this frame: it does not fit beside ``other`` and the
        body is under :attr:`yield_lag_px` behind its pose."""
        return (
            screen_box.area(other) > 0
            and body_step < self.yield_lag_px
            and self._sweep.fits(room_ms, self.cost) < self._sweep.least
        )

    def apply(self, palette: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, Box]:
        """The palette to draw and the area of the frame to redraw.

        Args:
            palette: float32 (P, 4, 4), the pose's joint palette.
            weights: float32 (T,), the frame's morph target weights.

        Returns:
            (float32 (P, 4, 4), (x0, y0, x1, y1) pixels): ``palette`` with the held entries,
            and the box outside which this frame equals the last one.
        """
        out = palette.copy()
        if not self.enabled:
            full = self.box.skinned(out)
            area = full if self._prev is None else union(full, self._prev[0])
            self._prev = (full, full, full)
            self.parts = (area,)
            return out, area
        (body_px, body_step), (head_px, head_step) = (self._shift(g, palette) for g in self._groups)
        drifting = self._drifting(body_px)
        move_body, move_head = body_step >= self.hold_px, head_step >= self.hold_px
        if move_body and move_head and body_step >= DEFER_PX and head_step < DEFER_PX:
            move_head = False  # the body now, the head next frame
        if move_body and body_step < DEFER_PX and (move_head or self._morphing(weights)):
            move_body = False  # waits for a frame that draws nothing else
        if move_body and self.pending and (body_step < SPLIT_PX or drifting):
            move_body = False  # the last step's bands first: none waits behind a newer step
        if move_head and head_step < DEFER_PX and self.pending:
            move_head = False  # the body's bands first: the head's box reaches into them
        if move_head and head_step < self.head_wait_px and body_step >= self.yield_lag_px:
            move_head = not self.pending  # a late body's band first
        body = self._hold(self._groups[0], palette, out, move_body, body_px)
        head = self._hold(self._groups[1], palette, out, move_head, head_px)
        if self._prev is not None and not body and not head:  # the same palette as last time
            full, head_box, body_box = self._prev
        else:
            full, head_box = self.box.skinned(out), self.head_box.skinned(out)
            body_box = self.body_box.skinned(out)
            self._target_on_screen.clear()
        self.head_drawn = self._prev is None or head
        if self._prev is None:
            rects = [full]
        else:
            rects = []
            if body:  # the new step's sweep holds what the last one's still had to draw
                moved = union(body_box, self._prev[2])
                if self._sweep is not None:
                    moved = union(moved, self._sweep.rest)
                self._sweep = None
                if body_step < SPLIT_PX or drifting:
                    self._sweep = Sweep(moved, self.band_px, self.least_px)
                else:
                    rects.append(moved)
            other = union(head_box, self._prev[1]) if head else self._morph_area(out, weights)
            room_ms = self.frame_ms - self.cost.cost_ms(other)
            if self._sweep is not None and self._yields(other, room_ms, 0.0 if body else body_step):
                rects.append(EMPTY)
            elif self._sweep is not None:  # a band takes what the other box leaves of the budget
                rects.append(self._sweep.take(room_ms, self.cost))
                if self._sweep.done:
                    self._sweep = None
            rects.append(other)
        self.parts = merge(rects)
        self._prev, self._weights = (full, head_box, body_box), weights.copy()
        return out, bounding(self.parts)
