"""How often to analyse a camera frame: 5–15 fps, slower when analysis gets expensive. Sans-IO.

Perception must never take the CPU that audio needs. The pacer keeps the analysis's share of
one core under ``cpu_share``: after each frame it is told how long the analysis took (wall
time on the worker thread, so contention from other work lengthens it) and spaces the next
frame so that ``analysis time / interval ≤ cpu_share``, within ``[1/max_fps, 1/min_fps]``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class FramePacer:
    """Adaptive frame interval.

    Args:
        min_fps, max_fps: bounds of the analysis rate (frames per second).
        cpu_share: fraction of one core the analysis may use on average.
        smoothing: weight of the newest timing in the running mean (exponential).
    """

    min_fps: float = 5.0
    max_fps: float = 15.0
    cpu_share: float = 0.5
    smoothing: float = 0.3
    _cost_ms: float | None = None
    _next_ms: float = 0.0

    @property
    def interval_ms(self) -> float:
        """Current spacing between analysed frames, in milliseconds."""
        fastest, slowest = 1000.0 / self.max_fps, 1000.0 / self.min_fps
        if self._cost_ms is None:
            return fastest
        return min(slowest, max(fastest, self._cost_ms / self.cpu_share))

    @property
    def fps(self) -> float:
        """Current analysis rate (frames per second)."""
        return 1000.0 / self.interval_ms

    def due(self, t_ms: float) -> bool:
        """Whether the frame at stream time ``t_ms`` should be analysed (others are dropped)."""
        return t_ms >= self._next_ms

    def analysed(self, t_ms: float, cost_ms: float) -> None:
        """Record that the frame at ``t_ms`` took ``cost_ms`` to analyse."""
        if self._cost_ms is None:
            self._cost_ms = cost_ms
        else:
            self._cost_ms += self.smoothing * (cost_ms - self._cost_ms)
        self._next_ms = t_ms + self.interval_ms
