"""Hand gestures from the landmark track: per-frame naming, debouncing and waves. Sans-IO.

Per frame (:func:`name_hand`): MediaPipe's canned classifier names the hand (Closed_Fist,
Open_Palm, Pointing_Up, Thumb_Down, Thumb_Up, Victory, ILoveYou); when it says "None", an open
hand is still recognised from finger shape (:mod:`engine.perception.hand_shape`), since the
canned head only knows upright palms. Anything else — HaGRID's "four", "rock", "call" — is
"None".

Over time (:class:`GestureDebouncer`): a gesture fires once when the same hand has shown it
for ``hold_ms`` over at least ``min_frames`` frames; a hand passing through a pose for a frame
or two fires nothing. It can fire again only after the hand showed something else.

:class:`WaveDetector`: an open palm moving side to side — at least two reversals of the
wrist's horizontal motion, each swing at least half a hand width, within ``window_ms`` —
fires ``Wave``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from engine.perception.hand_shape import hand_shape
from engine.perception.observations import FrameObservation, HandObservation

#: Canned score below which the canned name is not trusted (MediaPipe's own examples show
#: gestures at 0.5 and above).
MIN_CANNED_SCORE = 0.5

WAVE = "Wave"


@dataclass(frozen=True, slots=True)
class NamedHand:
    """One hand's gesture in one frame."""

    hand: str
    name: str
    score: float
    wrist_x: float
    width: float


def name_hand(hand: HandObservation, width: int, height: int) -> NamedHand:
    """The gesture one hand shows in one frame (``"None"`` when none).

    Args:
        hand: the models' view of the hand.
        width, height: frame size in pixels (finger angles need the true aspect ratio).
    """
    name, score = "None", hand.score
    if hand.gesture != "None" and hand.score >= MIN_CANNED_SCORE:
        name = hand.gesture
    else:
        shape = hand_shape(hand.landmarks, width, height)
        if shape.open_palm:
            # Score: how far the bendiest finger is from the straightness limit, in [0.5, 1].
            worst = max(shape.bend_deg[f] for f in ("index", "middle", "ring", "pinky"))
            name, score = "Open_Palm", 0.5 + 0.5 * max(0.0, 1.0 - worst / 30.0)
    return NamedHand(hand.hand, name, round(float(score), 3), hand.wrist_x, hand.width)


def _on_a_face(hand: HandObservation, frame: FrameObservation) -> bool:
    """True when the hand's centre lies inside a face box: a hand touching the face (covering
    the mouth, wiping an eye) is not a gesture made at the screen."""
    cx = float(hand.landmarks[:, 0].mean()) * frame.width
    cy = float(hand.landmarks[:, 1].mean()) * frame.height
    return any(x <= cx <= x + w and y <= cy <= y + h for x, y, w, h in (f.box for f in frame.faces))


def name_hands(frame: FrameObservation) -> list[NamedHand]:
    """Every hand of the frame named (:func:`name_hand`); a hand on a face is ``"None"``."""
    named = []
    for hand in frame.hands:
        if _on_a_face(hand, frame):
            named.append(NamedHand(hand.hand, "None", hand.score, hand.wrist_x, hand.width))
        else:
            named.append(name_hand(hand, frame.width, frame.height))
    return named


@dataclass(slots=True)
class _Streak:
    name: str
    since_ms: int
    frames: int
    best: float
    lo_x: float
    hi_x: float
    fired: bool = False


@dataclass(slots=True)
class GestureDebouncer:
    """One event per held gesture (times are stream milliseconds).

    Args:
        hold_ms: the pose must be seen this long (first to latest frame).
        min_frames: … in at least this many frames.
        gap_ms: a hand missing from the analysed frames longer than this starts over.
        still_hands: … with the wrist within this many hand widths side to side: a hand that
            moves more is not held. A wave is an open palm swinging; its first 400 ms fired
            ``Open_Palm``, the "stop" gesture, and cut the avatar's greeting 1.3 s in
            (newcomer13). The same half hand width as a wave's smallest swing
            (:attr:`WaveDetector.min_swing_hands`), so a palm that swings enough to wave is
            never held.
    """

    hold_ms: int = 400
    min_frames: int = 3
    gap_ms: int = 400
    still_hands: float = 0.5
    _streaks: dict[str, _Streak] = field(default_factory=dict)
    _last_seen: dict[str, int] = field(default_factory=dict)

    def reset(self) -> None:
        """Forget every hand."""
        self._streaks.clear()
        self._last_seen.clear()

    def push(self, t_ms: int, hands: list[NamedHand]) -> list[NamedHand]:
        """Feed one frame's hands; returns the gestures that fire now.

        A hand is forgotten when an analysed frame shows it missing more than ``gap_ms``
        after it was last seen; a long interval between analysed frames (a busy CPU slows the
        analysis) is not itself a gap.
        """
        fired = []
        seen = {hand.hand for hand in hands}
        for name in [n for n in self._streaks if n not in seen]:
            if t_ms - self._last_seen[name] > self.gap_ms:
                del self._streaks[name], self._last_seen[name]
        for hand in hands:
            streak = self._streaks.get(hand.hand)
            self._last_seen[hand.hand] = t_ms
            x = hand.wrist_x
            if streak is not None and streak.name == hand.name:
                streak.lo_x, streak.hi_x = min(streak.lo_x, x), max(streak.hi_x, x)
                moved = streak.hi_x - streak.lo_x > self.still_hands * max(hand.width, 1e-3)
                if moved and not streak.fired:
                    streak = None  # a moving hand is not held: the hold starts over here
            if streak is None or streak.name != hand.name:
                self._streaks[hand.hand] = _Streak(hand.name, t_ms, 1, hand.score, x, x)
                continue
            streak.frames += 1
            streak.best = max(streak.best, hand.score)
            held = t_ms - streak.since_ms >= self.hold_ms and streak.frames >= self.min_frames
            if held and not streak.fired and streak.name != "None":
                streak.fired = True
                fired.append(
                    NamedHand(hand.hand, streak.name, streak.best, hand.wrist_x, hand.width)
                )
        return fired


@dataclass(slots=True)
class WaveDetector:
    """Side-to-side open-palm motion → ``Wave`` (times are stream milliseconds).

    Args:
        window_ms: the reversals must happen within this time (a wave lasts about 1 s).
        reversals: direction changes needed (2 = left-right-left).
        min_swing_hands: each swing must cover at least this many hand widths.
    """

    window_ms: int = 1500
    reversals: int = 2
    min_swing_hands: float = 0.5
    _track: dict[str, deque[tuple[int, float, float]]] = field(default_factory=dict)

    def reset(self) -> None:
        """Forget every hand."""
        self._track.clear()

    def push(self, t_ms: int, hands: list[NamedHand]) -> list[NamedHand]:
        """Feed one frame's hands; returns the waves detected now."""
        waves = []
        seen = set()
        for hand in hands:
            seen.add(hand.hand)
            if hand.name != "Open_Palm":
                self._track.pop(hand.hand, None)
                continue
            track = self._track.setdefault(hand.hand, deque())
            track.append((t_ms, hand.wrist_x, hand.width))
            while track and track[0][0] < t_ms - self.window_ms:
                track.popleft()
            if self._count_swings(track) >= self.reversals + 1:
                waves.append(NamedHand(hand.hand, WAVE, hand.score, hand.wrist_x, hand.width))
                track.clear()
        for gone in set(self._track) - seen:
            del self._track[gone]
        return waves

    def _count_swings(self, track: deque[tuple[int, float, float]]) -> int:
        """Swings of the wrist along x, each at least ``min_swing_hands`` hand widths long."""
        swings, direction = 0, 0
        lo = hi = extreme = track[0][1]
        for _, x, width in track:
            need = self.min_swing_hands * max(width, 1e-3)
            if direction == 0:
                lo, hi = min(lo, x), max(hi, x)
                if x - lo >= need or hi - x >= need:
                    direction, extreme, swings = (1 if x - lo >= need else -1), x, 1
            elif (x - extreme) * direction > 0:
                extreme = x
            elif abs(x - extreme) >= need:
                direction, extreme, swings = -direction, x, swings + 1
        return swings
