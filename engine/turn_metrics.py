"""A session's turn metrics: what each turn has measured so far, published once per turn.

Every turn ends with exactly one :class:`~engine.events.TurnMetrics` on the session's bus:
when its reply has been delivered, or, when it is cut first, marked ``interrupted`` with the
figures it had (the stages it finished; the open one is None). The stage spans come from a
:class:`~engine.observers.TurnMetricsObserver` on the bus, the transport's own figures
(``avatar``, ``send``) from the outbox, and the realtime figures of a live turn (ms from the end
of the visitor's speech) from the turn itself. Split out of :mod:`engine.turns`, which runs the
turn: this module only keeps the books.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from engine.events import TurnMetrics
from engine.observers import EventBus, TurnMetricsObserver
from engine.speaking import Outbox

log = logging.getLogger(__name__)


def ms_between(a_s: float | None, b_s: float | None) -> float | None:
    """Milliseconds from ``a_s`` to ``b_s`` (seconds on one clock), 0.1 ms steps; None when
    either is unknown."""
    return None if a_s is None or b_s is None else round((b_s - a_s) * 1000.0, 1)


@dataclass(slots=True)
class _Unreported:
    """A turn whose metrics are not published yet: its realtime timings so far (ms, the dict
    the turn fills in) and the dialog's intent once decided."""

    extras: dict[str, float | None] = field(default_factory=dict)
    intent: str | None = None


class TurnLedger:
    """The open turns of one session and the one :class:`TurnMetrics` each ends with.

    Args:
        session_id: for events and log lines.
        bus: the session's event bus (a :class:`TurnMetricsObserver` is subscribed to it).
        outbox: the transport, whose ``timings()`` (ms) join each turn's metrics.
    """

    def __init__(self, session_id: str, bus: EventBus, outbox: Outbox) -> None:
        self.session_id = session_id
        self.bus = bus
        self.outbox = outbox
        self.timings = TurnMetricsObserver()
        bus.subscribe(self.timings)
        self._open: dict[str, _Unreported] = {}  # turn id → what it has measured so far

    def open(self, turn_id: str, extras: dict[str, float | None] | None = None) -> None:
        """A turn starts measuring (``extras``: its realtime timings so far, filled in later)."""
        self._open[turn_id] = _Unreported(extras if extras is not None else {})

    def forget(self, turn_id: str) -> None:
        """The turn was noise: no reply, no metrics."""
        self._open.pop(turn_id, None)

    def decided(self, turn_id: str, intent: str | None) -> None:
        """The dialog chose ``intent`` for the turn (it joins the metrics, even a cut turn's)."""
        if turn_id in self._open:
            self._open[turn_id].intent = intent

    def cut(self, turn_id: str) -> TurnMetrics | None:
        """The turn was interrupted: publish what it had, marked ``interrupted``; None when its
        metrics were already published."""
        unreported = self._open.pop(turn_id, None)
        if unreported is None:
            return None
        return self._publish(turn_id, unreported.extras, unreported.intent, interrupted=True)

    def close(
        self, turn_id: str, extras: dict[str, float | None], intent: str | None
    ) -> TurnMetrics:
        """The turn's reply was delivered: publish its metrics.

        Args:
            turn_id: the turn (its stage spans are looked up by it).
            extras: the turn's realtime figures, ms from the end of the visitor's speech by
                name (``reply_first_audio_ms`` …; None where not measured); they go after the
                stage and transport timings and override a same-named one.
            intent: the dialog's intent for the turn, or None.

        Returns:
            The :class:`~engine.events.TurnMetrics` published on the session's bus.
        """
        self._open.pop(turn_id, None)
        return self._publish(turn_id, extras, intent, interrupted=False)

    def _publish(
        self,
        turn_id: str,
        extras: dict[str, float | None],
        intent: str | None,
        *,
        interrupted: bool,
    ) -> TurnMetrics:
        timings = self.timings.metrics(self.session_id, turn_id).as_dict()
        timings.update(self.outbox.timings())
        timings.update(extras)
        metrics = TurnMetrics(
            session_id=self.session_id,
            turn_id=turn_id,
            timings_ms=tuple(timings.items()),
            intent=intent,
            interrupted=interrupted,
        )
        self.bus.publish(metrics)
        cut = " (interrupted)" if interrupted else ""
        log.info("session %s turn %s timings%s %s", self.session_id, turn_id, cut, timings)
        return metrics
