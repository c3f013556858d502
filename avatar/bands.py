"""A body step's bands and a frame's draw passes (sans-IO numpy; no GL).

:class:`avatar.pose_hold.PoseHold` sweeps a small body step over several frames in horizontal
bands (:class:`Sweep`), each a draw pass of its own beside the frame's other boxes, and joins
boxes that overlap into one pass where that draws no more (:func:`merge`).
"""

from __future__ import annotations

from avatar import screen_box
from avatar.frame_cost import FrameCost
from avatar.screen_box import MARGIN_PX, Box, union

#: A sweep's band is at least a share of the step's box, so that frames with little else to
#: draw sweep it in at most this many: the body waits for the sweep, and its next step grows
#: by 0.2-0.3 px of breathing for each frame the sweep takes.
MAX_BANDS = 4
#: Margin of the partial boxes: FXAA's edge taps reach up to 4 px (``SPAN_MAX`` / 2,
#: :mod:`avatar.gl_fxaa`) from a changed pixel.
PART_MARGIN_PX = MARGIN_PX + 2


class Sweep:
    """The rows of a body step's box still to draw, in bands from the top down.

    Args:
        box: the area the step changed (its box and the last one's).
        band_px: the largest band, pixels; raised to a :data:`MAX_BANDS`-th of ``box``.
        least_px: the smallest band, pixels; raised to a third of the largest (a portrait
            frame's body box is larger: its sweep takes as many frames).
    """

    __slots__ = ("box", "least", "rows", "top")

    def __init__(self, box: Box, band_px: int, least_px: int) -> None:
        width = max(box[2] - box[0], 1)
        self.box, self.top = box, box[1]
        self.rows = -(-max(band_px, -(-screen_box.area(box) // MAX_BANDS)) // width)
        self.least = min(max(least_px // width, self.rows // 3, 1), self.rows)

    @property
    def rest(self) -> Box:
        """The part of the box not drawn yet."""
        return (self.box[0], self.top, self.box[2], self.box[3])

    @property
    def done(self) -> bool:
        """Every row of the box has been drawn (:attr:`top` reached its bottom edge)."""
        return self.top >= self.box[3]

    def fits(self, room_ms: float, cost: FrameCost) -> int:
        """How many new rows a band costing at most ``room_ms`` holds (at most :attr:`rows`)."""
        x0, _, x1, y1 = self.box
        margin = PART_MARGIN_PX
        start = max(self.top - margin, self.box[1])
        return min(self.rows, cost.rows_within((x0, start, x1, y1), room_ms) - 2 * margin)

    def take(self, room_ms: float, cost: FrameCost) -> Box:
        """The next band: as many new rows as a pass of ``room_ms`` holds, at most
        :attr:`rows` and at least :attr:`least`, with :data:`PART_MARGIN_PX` rows more on
        either side, so the anti-aliasing along a cut is redone once both sides are new."""
        x0, y0, x1, y1 = self.box
        margin = PART_MARGIN_PX
        rows = max(self.fits(room_ms, cost), self.least)
        end = self.top + rows
        if y1 - end < 2 * margin:  # no sliver left for a pass of its own
            end = y1
        band = (x0, max(self.top - margin, y0), x1, min(end + margin, y1))
        self.top = end
        return band


def merge(boxes: list[Box]) -> tuple[Box, ...]:
    """The non-empty ``boxes``, two that overlap joined into their union where it is no
    larger than the two apart (each box is one draw pass; an overlap is drawn twice)."""
    out: list[Box] = []
    for box in boxes:
        if screen_box.area(box) == 0:
            continue
        joined = True
        while joined:
            joined = False
            for k, other in enumerate(out):
                both = union(box, other)
                if screen_box.overlaps(box, other) and screen_box.area(both) <= (
                    screen_box.area(box) + screen_box.area(other)
                ):
                    box, joined = both, True
                    del out[k]
                    break
        out.append(box)
    return tuple(out)
