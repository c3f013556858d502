"""Is the CPU behind? System-wide CPU utilisation from ``/proc/stat``, for skipping optional work.

Partial transcripts are optional: each is a full Whisper decode (~0.65 s of a 2-core CPU for
tiny.en, since Whisper pads to 30 s), so they are skipped when the machine is already busy —
otherwise they would delay the final transcript and make video frames drop. The arithmetic is
sans-IO (:func:`utilisation`); :class:`CpuLoad` reads the counters (Linux ``/proc/stat``, the
aggregate ``cpu`` line: user nice system idle iowait irq softirq steal …, in clock ticks).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

PROC_STAT = Path("/proc/stat")
#: Above this utilisation (0–1, all cores) optional work is skipped.
BUSY_FRACTION = 0.85


def utilisation(before: tuple[int, int], after: tuple[int, int]) -> float:
    """Busy fraction (0–1) between two ``(busy_ticks, total_ticks)`` samples."""
    busy, total = after[0] - before[0], after[1] - before[1]
    return busy / total if total > 0 else 0.0


def read_ticks(text: str) -> tuple[int, int]:
    """``(busy, total)`` ticks from the text of ``/proc/stat`` (idle + iowait count as idle).

    Raises:
        ValueError: no aggregate ``cpu`` line.
    """
    for line in text.splitlines():
        if line.startswith("cpu "):
            values = [int(v) for v in line.split()[1:]]
            idle = values[3] + (values[4] if len(values) > 4 else 0)
            total = sum(values[:8])
            return total - idle, total
    raise ValueError("no aggregate cpu line")


@dataclass(slots=True)
class CpuLoad:
    """Recent system CPU utilisation, refreshed at most every ``period_s`` seconds.

    Where ``/proc/stat`` is missing (not Linux) it reports 0.0: optional work always runs.
    """

    period_s: float = 1.0
    _last: tuple[int, int] | None = None
    _last_t: float = 0.0
    _value: float = 0.0

    def busy(self) -> float:
        """Utilisation (0–1) over roughly the last ``period_s`` seconds (cheap to call)."""
        now = time.monotonic()
        if self._last is not None and now - self._last_t < self.period_s:
            return self._value
        try:
            ticks = read_ticks(PROC_STAT.read_text())
        except (OSError, ValueError):
            return 0.0
        if self._last is not None:
            self._value = utilisation(self._last, ticks)
        self._last, self._last_t = ticks, now
        return self._value

    def behind(self) -> bool:
        """True when the CPU is too busy for optional work."""
        return self.busy() > BUSY_FRACTION
