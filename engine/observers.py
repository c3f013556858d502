"""An in-process event bus and the observer that turns stage events into per-turn timings.

Observers see every published event synchronously and must be cheap (no I/O); they never change
what the session does (pipecat's observers). Every event's ``t_ns`` is the time it was
published, so a bus's events arrive in ``t_ns`` order; stages timed elsewhere arrive as one
:class:`~engine.events.StageSpan` each.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol

from engine.events import (
    STAGES,
    Event,
    Reply,
    Stage,
    StageEvent,
    StageSpan,
    TTSAudio,
    TurnMetrics,
    now_ns,
)

Observer = Callable[[Event], None]


class _Labelled(Protocol):
    language: str

    def set_language(self, language: str) -> None: ...


def label_follows_replies(label: _Labelled) -> Observer:
    """An observer that switches the video's AI mark (:class:`avatar.label.CornerLabel`) — and,
    given a session's media, the avatar's name badge — to each :class:`~engine.events.Reply`'s
    language, so a session in ``auto`` shows "AI生成" from its first Mandarin answer on (the
    mark must be in a language the viewer reads)."""

    def observe(event: Event) -> None:
        if isinstance(event, Reply) and event.language != label.language:
            label.set_language(event.language)

    return observe


class EventBus:
    """Fan-out of events to observers, in subscription order."""

    def __init__(self) -> None:
        self._observers: list[Observer] = []

    def subscribe(self, observer: Observer) -> None:
        """Add an observer; it sees every event published afterwards."""
        self._observers.append(observer)

    def publish(self, event: Event) -> None:
        """Deliver ``event`` to every observer."""
        for observer in self._observers:
            observer(event)

    @contextmanager
    def stage(self, session_id: str, turn_id: str, stage: Stage) -> Iterator[None]:
        """Publish ``stage`` start/end (:class:`~engine.events.StageEvent`) of turn
        ``turn_id`` of session ``session_id`` around a block; the end is published on error
        too, and the error goes on."""
        self.publish(StageEvent(session_id=session_id, turn_id=turn_id, stage=stage, phase="start"))
        try:
            yield
        finally:
            self.publish(
                StageEvent(session_id=session_id, turn_id=turn_id, stage=stage, phase="end")
            )

    def span(self, session_id: str, turn_id: str, stage: Stage, start_ns: int, end_ns: int) -> None:
        """Publish a stage that was timed elsewhere (e.g. inside the dialog room) as a
        :class:`~engine.events.StageSpan`.

        Args:
            session_id: the session; turn_id: its turn.
            stage: which stage (``vad`` … ``send``, :data:`~engine.events.Stage`).
            start_ns: when it began, end_ns: when it ended; monotonic ns, the base of every
                event's ``t_ns`` (:func:`~engine.events.now_ns`).
        """
        self.publish(
            StageSpan(
                session_id=session_id,
                turn_id=turn_id,
                stage=stage,
                start_ns=start_ns,
                end_ns=end_ns,
            )
        )


class TurnMetricsObserver:
    """Derives :class:`TurnMetrics` from StageEvents, StageSpans, Reply and TTSAudio events.

    A stage that runs several times in one turn (two connector calls, two replies) reports the
    sum of its durations. ``tts_first_audio_ms`` is from the turn's first ``tts`` start to its
    first TTSAudio.
    """

    def __init__(self) -> None:
        self._open: dict[tuple[str, str], int] = {}
        self._sums: dict[str, dict[str, float]] = defaultdict(dict)
        self._tts_start: dict[str, int] = {}
        self._first_audio: dict[str, float] = {}
        self._reply_turn: dict[str, str] = {}

    def __call__(self, event: Event) -> None:
        """Observe one event."""
        if isinstance(event, StageEvent):
            key = (event.turn_id, event.stage)
            if event.phase == "start":
                self._open[key] = event.t_ns
                if event.stage == "tts":
                    self._tts_start.setdefault(event.turn_id, event.t_ns)
            elif key in self._open:
                self._add(event.turn_id, event.stage, event.t_ns - self._open.pop(key))
        elif isinstance(event, StageSpan):
            self._add(event.turn_id, event.stage, event.end_ns - event.start_ns)
        elif isinstance(event, Reply):
            self._reply_turn[event.reply_id] = event.turn_id
        elif isinstance(event, TTSAudio):
            turn_id = self._reply_turn.get(event.reply_id)
            if turn_id and turn_id not in self._first_audio and turn_id in self._tts_start:
                self._first_audio[turn_id] = (event.t_ns - self._tts_start[turn_id]) / 1e6

    def _add(self, turn_id: str, stage: str, duration_ns: int) -> None:
        sums = self._sums[turn_id]
        sums[stage] = sums.get(stage, 0.0) + duration_ns / 1e6

    def metrics(self, session_id: str, turn_id: str) -> TurnMetrics:
        """Timings of one turn: every stage of :data:`STAGES` (None if it did not run), then
        ``tts_first_audio_ms``."""
        sums = self._sums.get(turn_id, {})
        timings: list[tuple[str, float | None]] = [
            (stage, round(sums[stage], 1) if stage in sums else None) for stage in STAGES
        ]
        first = self._first_audio.get(turn_id)
        timings.append(("tts_first_audio_ms", round(first, 1) if first is not None else None))
        return TurnMetrics(
            session_id=session_id, turn_id=turn_id, timings_ms=tuple(timings), t_ns=now_ns()
        )
