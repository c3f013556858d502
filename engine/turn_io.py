"""What a turn of the engine's turn loop (:mod:`engine.turns`) takes in and gives back.

Split out of :mod:`engine.turns` along the seam between the loop and its ports' data: a
transport's hearing stage (:class:`Utterance`) delivers a :class:`Heard`; every turn ends in a
:class:`TurnOutcome` (the ``dhe converse --json`` row). ``engine.turns`` re-exports all three.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from dialog import ReplyPlan
from engine.asr.whisper import Transcript
from engine.events import TurnMetrics


@dataclass(frozen=True, slots=True)
class Heard:
    """A spoken turn as the transport's hearing stage delivers it.

    Attributes:
        transcript: the final transcript; None when VAD found no speech (nothing decoded).
        t_eos_s: clock time (seconds) the visitor's speech ended, for a live turn's realtime
            timings; None for a recorded turn.
        extras: realtime timings of the hearing stage (ms), merged into the turn's metrics.
        noise: too short to be a question and unreadable: the turn gets no reply at all.
    """

    transcript: Transcript | None
    t_eos_s: float | None = None
    extras: Mapping[str, float | None] = field(default_factory=dict)
    noise: bool = False

    @property
    def text(self) -> str:
        """The transcript's text (``""`` when nothing was heard)."""
        return self.transcript.text if self.transcript else ""


class Utterance(Protocol):
    """A transport's hearing stage for one spoken turn (the file's recorded clip, or the live
    session's final decode). It publishes its own ``vad``/``endpoint``/``asr`` events and the
    :class:`~engine.events.FinalTranscript`; cancelling :meth:`hear` abandons its decode."""

    async def hear(self) -> Heard:
        """The turn, transcribed.

        Raises:
            ASRError: the model is missing or decoding failed.
        """
        ...


@dataclass(frozen=True, slots=True)
class TurnOutcome:
    """What one turn did (the ``dhe converse --json`` row is made of it).

    Attributes:
        turn_id: the turn.
        transcript: what the visitor said or typed (``""``: nothing heard).
        heard_language: the language ASR heard, None for a typed turn.
        intent: the dialog's intent, None when none (or a stage failed).
        language: the dialog's reply language.
        replies: the replies said (an apology after a failed stage).
        metrics: the turn's published timings.
    """

    turn_id: str
    transcript: str
    heard_language: str | None
    intent: str | None
    language: str
    replies: tuple[ReplyPlan, ...]
    metrics: TurnMetrics
