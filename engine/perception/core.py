"""The perception core: frame observations in, perception events out. Sans-IO.

:class:`Perceiver` follows one visitor (:mod:`engine.perception.presence`), reports arrival
and departure, smooths the visitor's expression into emotion changes
(:mod:`engine.perception.emotion`), debounces gestures and waves
(:mod:`engine.perception.gestures`), and gives the visitor's face position for the avatar's
gaze. Time is the frames' stream time; nothing here reads a clock, sleeps or does I/O, so the
live stage and ``dhe perceive`` on a file share it unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.events import EmotionChanged, Event, GestureDetected, PresenceChanged
from engine.perception.emotion import EmotionSmoother, emotion_scores
from engine.perception.gestures import GestureDebouncer, WaveDetector, name_hands
from engine.perception.observations import Box, FaceObservation, FrameObservation
from engine.perception.presence import PresenceTracker, choose_visitor


@dataclass(frozen=True, slots=True)
class PerceptionSettings:
    """Tunables of the core (all times in milliseconds of stream time).

    Attributes:
        min_face_frac: a face shorter than this fraction of the frame height is a passer-by,
            not a visitor (0.1 ≈ 2 m from a webcam with a 45° vertical field of view); a
            visitor already present stays down to half of it, or while a hand is in view.
        present_after_ms / absent_after_ms: presence dwell times.
        emotion_window_ms / emotion_hold_ms: emotion smoothing (window, hold before change).
        gesture_hold_ms / gesture_min_frames: how long a pose must be held to fire.
    """

    min_face_frac: float = 0.1
    present_after_ms: int = 1000
    absent_after_ms: int = 5000
    emotion_window_ms: int = 1000
    emotion_hold_ms: int = 500
    gesture_hold_ms: int = 400
    gesture_min_frames: int = 3


@dataclass(frozen=True, slots=True)
class PerceptionStep:
    """What one frame changed.

    Attributes:
        events: perception events, in order (t_ns = the frame's stream time).
        visitor: the followed face in this frame, or None.
        gaze: the visitor's face centre as fractions of the frame (0.5, 0.5 = centre), or None.
    """

    events: list[Event]
    visitor: FaceObservation | None
    gaze: tuple[float, float] | None


def _normalised(box: Box, width: int, height: int) -> tuple[float, float, float, float]:
    x, y, w, h = box
    return (round(x / width, 4), round(y / height, 4), round(w / width, 4), round(h / height, 4))


@dataclass(slots=True)
class Perceiver:
    """One session's perception state.

    Args:
        session_id: stamped on every event.
        settings: :class:`PerceptionSettings`.
    """

    session_id: str
    settings: PerceptionSettings = field(default_factory=PerceptionSettings)
    presence: PresenceTracker = field(init=False)
    emotion: EmotionSmoother = field(init=False)
    gestures: GestureDebouncer = field(init=False)
    waves: WaveDetector = field(default_factory=WaveDetector)
    _followed: Box | None = None

    def __post_init__(self) -> None:
        s = self.settings
        self.presence = PresenceTracker(s.present_after_ms, s.absent_after_ms)
        self.emotion = EmotionSmoother(s.emotion_window_ms, s.emotion_hold_ms)
        self.gestures = GestureDebouncer(s.gesture_hold_ms, s.gesture_min_frames)

    def step(self, frame: FrameObservation, t_ns: int | None = None) -> PerceptionStep:
        """Feed one frame.

        Args:
            frame: the models' observations.
            t_ns: timestamp for the events (default: the frame's stream time in ns).
        """
        t_ms = frame.t_ms
        stamp = {"session_id": self.session_id, "t_ns": t_ms * 1_000_000 if t_ns is None else t_ns}
        events: list[Event] = []
        face, same = choose_visitor(
            frame.faces,
            frame.width,
            frame.height,
            previous=self._followed,
            min_face_frac=self.settings.min_face_frac,
        )
        if face is not None and not same and self._followed is not None:
            self.emotion.reset()  # another person: never carry the last one's expression over
        self._followed = face.box if face is not None else None
        box = _normalised(face.box, frame.width, frame.height) if face is not None else None
        seen = face is not None
        if not seen and self.presence.present:
            # a present visitor stays while their face is seen at half the arrival size (a step
            # back, a hand held out at arm's length) or a hand is in view: a thumbs down shown
            # at arm's length ended the session 4 s after it was answered (newcomer11)
            stays, _ = choose_visitor(
                frame.faces,
                frame.width,
                frame.height,
                min_face_frac=self.settings.min_face_frac / 2,
            )
            seen = stays is not None or bool(frame.hands)
        change = self.presence.update(t_ms, seen)
        if change is not None:
            events.append(
                PresenceChanged(present=change, face_box=box if change else None, **stamp)
            )
            if not change:
                self.emotion.reset()
        if face is not None:
            scores = emotion_scores(face.blendshapes)
            emotion = self.emotion.push(t_ms, scores, report=self.presence.present)
            if emotion is not None:
                events.append(EmotionChanged(emotion=emotion[0], score=emotion[1], **stamp))
        named = name_hands(frame)
        for hand in self.gestures.push(t_ms, named) + self.waves.push(t_ms, named):
            events.append(
                GestureDetected(name=hand.name, score=hand.score, hand=hand.hand, **stamp)
            )
        gaze = None
        if box is not None:
            gaze = (round(box[0] + box[2] / 2, 4), round(box[1] + box[3] / 2, 4))
        return PerceptionStep(events=events, visitor=face, gaze=gaze)
