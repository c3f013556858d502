"""The engine's one event vocabulary (``docs/architecture.md``, "Events").

Every event is a frozen, slotted dataclass carrying the ``session_id`` it belongs to and
``t_ns``, a monotonic timestamp (``time.monotonic_ns()``) taken when it was created.

Three kinds:

* :class:`ControlEvent` — urgent; overtakes data and is never dropped (speech onsets and ends,
  end of turn, interruption, session state, presence, gestures, session errors).
* :class:`DataEvent` — ordered; the events of a cancelled reply are dropped.
* :class:`Observation` — timings and metrics for observers, off the data path.

No dicts travel on the bus; payload fields are typed and carry their unit in the name or the
docstring. The events the visitor's page sees are serialised by :mod:`engine.server.protocol`
(one function per message type); the rest stay inside the engine.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from avatar.visemes import VisemeTrack as VisemeTimeline

#: Stage names, in pipeline order; used as keys wherever timings are reported.
STAGES: tuple[str, ...] = ("vad", "endpoint", "asr", "dialog", "connector", "tts", "avatar", "send")

Stage = Literal["vad", "endpoint", "asr", "dialog", "connector", "tts", "avatar", "send"]

#: A session's states: ``idle → listening → thinking → speaking``, ``interrupted`` on barge-in,
#: ``ended`` at the end (``greeting`` while the avatar greets a visitor who arrived).
SessionState = Literal[
    "idle", "greeting", "listening", "thinking", "speaking", "interrupted", "ended"
]


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
    """The reply ``reply_id`` was cut after ``played_samples`` output samples.

    Attributes:
        reason: ``barge-in`` (the visitor spoke over it), ``new-turn`` (a typed line or keypad
            entry replaced it) or ``session-ended``.
    """

    reply_id: str
    played_samples: int
    reason: str = "barge-in"


@dataclass(frozen=True, slots=True, kw_only=True)
class StateChanged(ControlEvent):
    """The session entered ``state``.

    Attributes:
        reason: why the session ended (``ended`` only): ``deleted``, ``idle-timeout`` …
        bargein_ms: visitor speech onset → reply audio flushed, ms (``interrupted`` by speech).
    """

    state: SessionState
    reason: str | None = None
    bargein_ms: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionError(ControlEvent):
    """Something the visitor's page must know went wrong outside a turn's stages (a refused
    message, a timeout that ends the session, an internal failure); ``code`` is stable."""

    code: str
    message: str


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
    #: The dialog waits for the one-time code: every number in ``text`` is hidden whole where
    #: it is shown or logged (:func:`dialog.sensitive.mask_line`).
    code: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class FinalTranscript(DataEvent):
    """ASR result of one visitor turn (empty when nothing was understood)."""

    text: str
    language: str
    #: Mean log-probability per token of the kept segments (Whisper), or None when empty.
    avg_logprob: float | None = None
    #: The dialog waits for the one-time code (as :attr:`PartialTranscript.code`).
    code: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Reply(DataEvent):
    """What the avatar will say and show for one turn."""

    reply_id: str
    turn_id: str
    text: str
    language: str
    emotion: str = "neutral"
    gesture: str | None = None
    #: A card for the screen (``{"kind": …, display fields}``, JSON values); already masked.
    #: A read-only mapping (``types.MappingProxyType``).
    card: Mapping[str, Any] | None = None


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
class StageSpan(Observation):
    """A stage timed elsewhere (inside the dialog room, on an ASR thread, by the transport),
    published once it is known: it ran from ``start_ns`` to ``end_ns`` (monotonic ns, the base
    of ``t_ns``; ``t_ns`` is when the span was published)."""

    turn_id: str
    stage: Stage
    start_ns: int
    end_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class StageError(Observation):
    """A stage failed with a stable ``code``; the turn ends with a spoken fallback."""

    turn_id: str
    stage: Stage
    code: str
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TurnMetrics(Observation):
    """Per-turn stage durations in milliseconds (None where a stage did not run), then the
    transport's figures (``reply_first_audio_ms`` …); ``intent`` is the dialog's, if any.
    ``interrupted``: the turn was cut (barge-in, a new turn) before its replies were handed to
    the transport; the timings are those of the stages it finished."""

    turn_id: str
    timings_ms: tuple[tuple[str, float | None], ...]
    intent: str | None = None
    interrupted: bool = False

    def as_dict(self) -> dict[str, float | None]:
        """The timings as a plain dict, keys in :data:`STAGES` order plus extras."""
        return dict(self.timings_ms)
