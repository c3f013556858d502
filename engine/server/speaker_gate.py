"""Who is speaking, live: the endpointer's decisions pass through the speaker gate on their way
to turn taking.

:class:`GatedDecisions` sits between :class:`~engine.server.listening.Listener` (VAD and
endpointing) and :class:`~engine.server.turn_taking.TurnTaking`. With the camera off it passes
every decision through unchanged. With the camera watching, each confirmed onset is judged by
the sans-IO :class:`~engine.perception.speaker.SpeakerGate` (does the visitor's mouth move with
the voice?):

* ``admit`` — the onset and the rest of that speech (partials, the end of the turn) go on;
  every onset is judged (an onset always begins new speech: the endpointer was idle);
* ``refuse`` — nothing reaches turn taking and the endpointer forgets the speech, so a
  passer-by talking behind the visitor neither starts a turn nor interrupts the avatar (a
  reply an :class:`~engine.server.endpointing.OnsetPending` already silenced gets an
  :class:`~engine.server.endpointing.OnsetDropped` and plays on);
* ``wait`` — video lags audio by its analysis time: the onset and what follows it are held
  (in order, nothing dropped, the audio stays in the listener's buffer) until a frame covers
  the onset (:meth:`GatedDecisions.frame_analysed`), the gate's longest wait runs out, or the
  speech ends.

Each judged onset is published as :class:`~engine.events.SpeakerCheck`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from engine.events import SpeakerCheck
from engine.observers import EventBus
from engine.perception.speaker import GateDecision, SpeakerGate
from engine.server.endpointing import Decision, Onset, OnsetDropped, OnsetPending, TurnEnded

log = logging.getLogger(__name__)

#: Receives each decision that passes, with the loop time its window ended.
DecisionSink = Callable[[Decision, float], None]


class GatedDecisions:
    """The speaker gate between a session's listener and its turn taking.

    Args:
        session_id: for events.
        bus: where :class:`SpeakerCheck` goes.
        gate: the session's gate core (the perception stage feeds it frames and presence).
        forward: turn taking's decision sink.
        forget_speech: makes the endpointer forget a refused speech (``Endpointer.reset``).
        time_of: loop time (s) at which a 16 kHz input-stream sample arrived, on time
            (``Listener.earliest_time_of``: a stall that delayed audio frames must not move
            the onset later than the video frames that show it).
        clock: the loop's clock (seconds).
    """

    def __init__(
        self,
        session_id: str,
        bus: EventBus,
        gate: SpeakerGate,
        forward: DecisionSink,
        forget_speech: Callable[[], None],
        time_of: Callable[[int], float],
        clock: Callable[[], float],
    ) -> None:
        self.session_id = session_id
        self.bus = bus
        self.gate = gate
        self.forward = forward
        self.forget_speech = forget_speech
        self.time_of = time_of
        self.clock = clock
        self._held: list[tuple[Decision, float]] = []  # an onset waiting for video, and after
        self._timer: asyncio.TimerHandle | None = None
        self._reply_held = False  # an OnsetPending went through; its Onset or drop has not

    def on_decision(self, decision: Decision, t_end: float) -> None:
        """The listener's decision sink (``t_end``: loop time its window ended)."""
        if self._held or isinstance(decision, Onset):
            self._held.append((decision, t_end))
            self._settle(final=isinstance(decision, TurnEnded))
            return
        if isinstance(decision, OnsetPending | OnsetDropped):
            self._reply_held = isinstance(decision, OnsetPending)
        self.forward(decision, t_end)

    def frame_analysed(self) -> None:
        """A camera frame was analysed (the gate has more video): judge a held onset again."""
        if self._held:
            self._settle()

    def _settle(self, *, final: bool = False) -> None:
        onset = self._held[0][0]
        assert isinstance(onset, Onset)
        onset_s = self.time_of(onset.start_sample)
        decision = self.gate.judge(onset_s, self.clock(), final=final)
        if decision.verdict == "wait":
            if self._timer is None:
                delay = max(0.0, onset_s + self.gate.wait_limit_s() - self.clock())
                self._timer = asyncio.get_running_loop().call_later(delay, self._waited)
            return
        self._cancel_timer()
        held, self._held = self._held, []
        log.info(
            "session %s: speech onset %s (%s, %.0f ms after it began)",
            self.session_id,
            decision.verdict,
            decision.reason,
            (self.clock() - onset_s) * 1000,
        )
        self._publish(decision)
        if decision.verdict == "refuse":
            self.forget_speech()
            if self._reply_held:  # the speech that silenced the reply was not the visitor's
                self._reply_held = False
                self.forward(OnsetDropped(), held[-1][1])
            return
        self._reply_held = False
        for item in held:
            self.forward(*item)

    def _waited(self) -> None:
        """The longest wait for video ran out: decide with the frames there are."""
        self._timer = None
        if self._held:
            self._settle(final=True)

    def _publish(self, decision: GateDecision) -> None:
        self.bus.publish(
            SpeakerCheck(
                session_id=self.session_id,
                visitor_speaking=decision.verdict == "admit",
                score=decision.score,
            )
        )

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def close(self) -> None:
        """Drop what is held (the session ends)."""
        self._cancel_timer()
        self._held.clear()
