"""What a soak run of ``dhe serve`` saw (``benchmarks/soak.py``): the samples taken during the
run, the sessions, errors and injected faults, the growth after warm-up, and the summary
printed at the end."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Sample:
    """One line of the report."""

    t_s: float
    sessions: int
    errors: int
    rss_mb: float
    fds: int
    children: int
    zombies: int


@dataclass(slots=True)
class SoakReport:
    """What a soak run saw."""

    duration_s: float
    #: sessions completed per scenario (each scenario the run has, from 0)
    sessions: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    injected: dict[str, int] = field(default_factory=lambda: {"sandbox-kill": 0, "abrupt": 0})
    sandbox_back_s: float | None = None
    samples: list[Sample] = field(default_factory=list)
    warmup_s: float = 0.0

    @property
    def completed(self) -> int:
        """Sessions completed, all scenarios together."""
        return sum(self.sessions.values())

    def after_warmup(self) -> list[Sample]:
        """The samples from the end of the warm-up on (at least the last two)."""
        later = [s for s in self.samples if s.t_s >= self.warmup_s]
        return later if len(later) >= 2 else self.samples[-2:]

    def rss_growth(self) -> float:
        """RSS growth after warm-up, as a fraction."""
        later = self.after_warmup()
        return later[-1].rss_mb / later[0].rss_mb - 1.0

    def fd_growth(self) -> int:
        """Open descriptors at the end minus after warm-up."""
        later = self.after_warmup()
        return later[-1].fds - later[0].fds


def summary(report: SoakReport) -> str:
    """The report as printed lines: sessions, errors, faults, RSS/descriptor growth, samples."""
    later = report.after_warmup()
    lines = [
        f"sessions completed: {report.completed} ({', '.join(f'{k} {v}' for k, v in report.sessions.items())})",
        f"errors: {len(report.errors)}",
        *(f"  {e}" for e in report.errors[:20]),
        f"injected faults: {report.injected['sandbox-kill']} sandbox kill(s) "
        f"(back after {report.sandbox_back_s} s), {report.injected['abrupt']} abrupt disconnects",
        f"RSS after warm-up ({report.warmup_s:.0f} s): {later[0].rss_mb:.1f} MB -> "
        f"{later[-1].rss_mb:.1f} MB ({100 * report.rss_growth():+.1f} %)",
        f"open fds after warm-up: {later[0].fds} -> {later[-1].fds} "
        f"(min {min(s.fds for s in later)}, max {max(s.fds for s in later)}); "
        f"zombies seen: {max(s.zombies for s in report.samples)}",
    ]
    return "\n".join(lines)
