"""What a visitor hears of a reply, from the audio frames an aiortc client received (sans-IO).

The client keeps ``(arrival s, rms in int16 units)`` per received frame
(``tests.support.visitor.Received.audio``); the server sends one frame per Opus packet of
``engine.server.clock.FRAME_SAMPLES``. Silence is a frame with RMS < 0.005 of full scale and
sound one above 0.01, the thresholds of the team's black-box probe, so figures compare.
Used by ``benchmarks/realtime_latency.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.server.clock import FRAME_SAMPLES, MEDIA_RATE_HZ

FRAME_S = FRAME_SAMPLES / MEDIA_RATE_HZ  # one received frame (s)
SILENT_RMS = 0.005 * 32768  # int16 units
SOUND_RMS = 0.01 * 32768
#: A silent run at least this long separates two pieces (sentences) of a reply; shorter ones
#: are stops and breaths inside words (a heuristic: pieces are not marked in the audio).
PIECE_GAP_S = 0.08


@dataclass(frozen=True, slots=True)
class Silence:
    """A silent run inside a reply: ``start_s`` after the reply's first sound, ``length_ms``."""

    start_s: float
    length_ms: float


def reply_frames(
    audio: list[tuple[float, float]], after: float, until: float | None = None
) -> list[tuple[float, float]]:
    """The frames of the reply that starts at the first sound after loop time ``after``, up to
    its last sound before ``until``; empty when nothing was heard."""
    frames = [(t, rms) for t, rms in audio if t > after and (until is None or t <= until)]
    loud = [i for i, (_, rms) in enumerate(frames) if rms > SOUND_RMS]
    return frames[loud[0] : loud[-1] + 1] if loud else []


def silences(frames: list[tuple[float, float]]) -> list[Silence]:
    """Silent runs inside ``frames`` (from :func:`reply_frames`), in order; a run's length is
    its frame count times :data:`FRAME_S` (arrival times jitter; the frames' audio does not)."""
    if not frames:
        return []
    out, run_start = [], None
    for i, (_, rms) in enumerate(frames):
        if rms < SILENT_RMS and run_start is None:
            run_start = i
        elif rms >= SILENT_RMS and run_start is not None:
            out.append(Silence(run_start * FRAME_S, (i - run_start) * FRAME_S * 1e3))
            run_start = None
    return out


def longest(runs: list[Silence], before_s: float | None = None) -> float:
    """The longest silent run (ms) starting before ``before_s`` (all when None); 0 if none."""
    lengths = [s.length_ms for s in runs if before_s is None or s.start_s < before_s]
    return max(lengths, default=0.0)


@dataclass(frozen=True, slots=True)
class ReplyShape:
    """Where to barge into a reply, in seconds after its first sound."""

    mid_first_piece_s: float
    first_gap_s: float
    mid_second_piece_s: float


def reply_shape(frames: list[tuple[float, float]]) -> ReplyShape | None:
    """The middle of the first piece, of the first gap between pieces (a silent run of at least
    :data:`PIECE_GAP_S`) and of the second piece; None for a reply of one piece."""
    gaps = [s for s in silences(frames) if s.length_ms >= PIECE_GAP_S * 1e3]
    if len(gaps) < 1:
        return None
    first = gaps[0]
    gap_end = first.start_s + first.length_ms / 1e3
    second_end = gaps[1].start_s if len(gaps) > 1 else len(frames) * FRAME_S
    return ReplyShape(
        mid_first_piece_s=first.start_s / 2,
        first_gap_s=first.start_s + first.length_ms / 2e3,
        mid_second_piece_s=(gap_end + second_end) / 2,
    )


def heard_between(audio: list[tuple[float, float]], start: float, end: float) -> float:
    """Seconds of sound (frames above :data:`SOUND_RMS`) that arrived in (``start``, ``end``]."""
    return sum(FRAME_S for t, rms in audio if start < t <= end and rms > SOUND_RMS)


def last_sound(audio: list[tuple[float, float]], start: float, end: float) -> float | None:
    """Arrival time of the last sound frame in (``start``, ``end``], or None."""
    times = [t for t, rms in audio if start < t <= end and rms > SOUND_RMS]
    return times[-1] if times else None
