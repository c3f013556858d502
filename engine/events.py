"""The engine's one event vocabulary (STYLE.md, "One vocabulary").

Every event is a frozen, slotted dataclass carrying the ``session_id`` it belongs to and
``t_ns``, a monotonic timestamp (``time.monotonic_ns()``) taken when it was created.

Three kinds:

* :class:`ControlEvent` — urgent; overtakes data and is never dropped (speech onsets and ends,
  end of turn, interruption, presence, gestures).
* :class:`DataEvent` — ordered; the events of a cancelled reply are dropped.
* :class:`Observation` — timings and metrics for observers, off the data path.

No dicts travel on the bus; payload fields are typed and carry their unit in the name or the
docstring.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

from avatar.visemes import VisemeTrack as VisemeTimeline

#: Stage names, in pipeline order; used as keys wherever timings are reported (DESIGN.md).
STAGES: tuple[str, ...] = ("vad", "endpoint", "asr", "dialog", "connector", "tts", "avatar", "send")

Stage = Literal["vad", "endpoint", "asr", "dialog", "connector", "tts", "avatar", "send"]


def now_ns() -> int:
    """Monotonic clock in nanoseconds, the time base of every event's ``t_ns``."""
    return time.monotonic_ns()


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Base of all events."""

    session_id: str
    t_ns: int = field(default_factory=now_ns)


@dataclass(frozen=True, slots=True, kw_only=True)
class ControlEvent(Event):
    """Urgent event: overtakes data events and is never dropped."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DataEvent(Event):
    """Ordered event: kept in order; a cancelled reply's data events are dropped."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Observation(Event):
    """Timing/metrics event for observers; never changes what the session does."""


# --- control -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SpeechStarted(ControlEvent):
    """VAD onset. ``sample``: position of the onset in the 16 kHz input stream (samples)."""

    sample: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SpeechEnded(ControlEvent):
    """VAD offset. ``sample``: position of the last speech sample, 16 kHz input stream."""

    sample: int


@dataclass(frozen=True, slots=True, kw_only=True)
class EndOfTurn(ControlEvent):
    """Endpointing decided the visitor finished. Samples are 16 kHz input-stream positions."""

    start_sample: int
    end_sample: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Interrupted(ControlEvent):
    """Barge-in: the reply ``reply_id`` was cut after ``played_samples`` output samples."""

    reply_id: str
    played_samples: int


# --- perception (engine.perception) ---


@dataclass(frozen=True, slots=True, kw_only=True)
class PresenceChanged(ControlEvent):
    """A visitor arrived at the screen (``present``) or left it.

    ``face_box``: the visitor's face ``(x, y, w, h)`` as fractions of the frame width and
    height (top-left origin); None when the visitor left.
    """

    present: bool
    face_box: tuple[float, float, float, float] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class GestureDetected(ControlEvent):
    """A held hand gesture: ``name`` is a MediaPipe canned name (``Thumb_Up``, ``Open_Palm``
    …) or ``Wave``; ``score`` in [0, 1]; ``hand`` is ``Left`` or ``Right``."""

    name: str
    score: float
    hand: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SpeakerCheck(ControlEvent):
    """Whether the speech heard now is the visitor's (their lips move with it); ``score`` in
    [0, 1]."""

    visitor_speaking: bool
    score: float


@dataclass(frozen=True, slots=True, kw_only=True)
class EmotionChanged(DataEvent):
    """The visitor's facial expression changed: ``emotion`` is one of ``neutral``, ``happy``,
    ``surprised``, ``sad``, ``angry`` (engine.perception.emotion); ``score`` in [0, 1]."""

    emotion: str
    score: float


# --- end perception ---


# --- data ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class PartialTranscript(DataEvent):
    """Interim ASR hypothesis while the visitor is still speaking."""

    text: str
    language: str


@dataclass(frozen=True, slots=True, kw_only=True)
class FinalTranscript(DataEvent):
    """ASR result of one visitor turn (empty when nothing was understood)."""

    text: str
    language: str
    #: Mean log-probability per token of the kept segments (Whisper), or None when empty.
    avg_logprob: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Reply(DataEvent):
    """What the avatar will say and show for one turn."""

    reply_id: str
    turn_id: str
    text: str
    language: str
    emotion: str = "neutral"
    gesture: str | None = None
    #: A card for the screen (kind + display fields); already masked.
    card: tuple[tuple[str, str], ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TTSAudio(DataEvent):
    """A chunk of synthesized reply speech placed on the session media clock."""

    reply_id: str
    pcm: bytes  # int16 mono, little-endian
    sample_rate: int  # Hz
    start_sample: int  # session media clock, in samples at ``sample_rate``

    @property
    def num_samples(self) -> int:
        """Number of samples in ``pcm``."""
        return len(self.pcm) // 2


@dataclass(frozen=True, slots=True, kw_only=True)
class VisemeTrack(DataEvent):
    """Viseme cues for one chunk of reply audio, on the same media clock as its TTSAudio."""

    reply_id: str
    track: VisemeTimeline
    start_sample: int


# --- observations --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class StageEvent(Observation):
    """A stage started or ended (Home Assistant's ``*-start``/``*-end`` pattern)."""

    turn_id: str
    stage: Stage
    phase: Literal["start", "end"]


@dataclass(frozen=True, slots=True, kw_only=True)
class StageError(Observation):
    """A stage failed with a stable ``code``; the turn ends with a spoken fallback."""

    turn_id: str
    stage: Stage
    code: str
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TurnMetrics(Observation):
    """Per-turn stage durations in milliseconds (None where a stage did not run)."""

    turn_id: str
    timings_ms: tuple[tuple[str, float | None], ...]

    def as_dict(self) -> dict[str, float | None]:
        """The timings as a plain dict, keys in :data:`STAGES` order plus extras."""
        return dict(self.timings_ms)
