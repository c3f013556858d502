"""engine.audio.pauses.PauseLimiter: silences inside a reply's speech are kept short, at the
joins too, and the visemes move with the audio (exact sample sequences, sans-IO)."""

from __future__ import annotations

import numpy as np

from avatar.visemes import VisemeCue, VisemeTrack
from engine.audio.pauses import PauseLimiter

RATE = 22_050


def tone(ms: float) -> np.ndarray:
    n = round(ms * RATE / 1000)
    return (0.3 * 32767 * np.sin(2 * np.pi * 220 * np.arange(n) / RATE)).astype(np.int16)


def quiet(ms: float) -> np.ndarray:
    return np.zeros(round(ms * RATE / 1000), np.int16)


def silences_ms(pcm: np.ndarray, frame_ms: float = 10.0) -> list[float]:
    """Lengths of the silent runs (frames with RMS < 0.005), as a client would measure."""
    frame = round(RATE * frame_ms / 1000)
    n = pcm.size // frame
    rms = np.sqrt(np.mean((pcm[: n * frame].astype(np.float32) / 32768).reshape(n, frame) ** 2, 1))
    runs, run = [], 0
    for silent in rms < 0.005:
        if silent:
            run += 1
        elif run:
            runs.append(run * frame_ms)
            run = 0
    return runs + ([run * frame_ms] if run else [])


def test_a_long_pause_in_the_opening_is_cut_to_the_opening_limit() -> None:
    limiter = PauseLimiter(first_max_pause_ms=140, max_pause_ms=260, first_window_ms=1600)
    piece = np.concatenate([tone(400), quiet(280), tone(600), quiet(180)])
    out, _ = limiter.limit(piece, RATE)
    assert max(silences_ms(out[: round(1.0 * RATE)])) <= 140
    assert out.size < piece.size
    assert abs(limiter.trailing_ms - 140) <= 10  # what the next piece's join adds to


def test_joins_count_the_silence_the_previous_piece_ended_with() -> None:
    limiter = PauseLimiter(first_max_pause_ms=140, max_pause_ms=260, first_window_ms=500)
    first, _ = limiter.limit(np.concatenate([quiet(60), tone(800), quiet(200)]), RATE)
    second, _ = limiter.limit(np.concatenate([quiet(150), tone(500), quiet(600)]), RATE)
    joined = np.concatenate([first, second])
    runs = silences_ms(joined)
    assert max(runs) <= 260 + 10, runs  # 200 + 150 ms of join became one 260 ms pause
    assert runs[0] == 10.0 and len(runs) == 3, runs  # the 60 ms lead-in cut to 10, join, tail
    voice_at = int(np.flatnonzero(first)[0])
    assert round(0.01 * RATE) <= voice_at <= round(0.011 * RATE), voice_at  # 10 ms frames


def test_short_pauses_and_the_voice_are_left_alone() -> None:
    limiter = PauseLimiter()
    piece = np.concatenate([tone(300), quiet(100), tone(300)])
    out, _ = limiter.limit(piece, RATE)
    assert np.array_equal(out, piece)


def test_visemes_move_with_the_audio() -> None:
    limiter = PauseLimiter(first_max_pause_ms=100, max_pause_ms=100, first_window_ms=0)
    piece = np.concatenate([tone(200), quiet(500), tone(200)])
    s = lambda ms: round(ms * RATE / 1000)  # noqa: E731
    track = VisemeTrack(
        RATE,
        (
            VisemeCue("aa", 0, s(200)),
            VisemeCue("sil", s(200), s(700)),
            VisemeCue("O", s(700), s(900)),
        ),
    )
    out, moved = limiter.limit(piece, RATE, track)
    assert moved is not None
    removed = piece.size - out.size
    assert abs(removed - s(400)) <= s(20)  # the run is found in whole 10 ms frames
    aa, pause, o = moved.cues
    assert (aa.start_sample, aa.end_sample) == (0, s(200))
    assert pause.end_sample - pause.start_sample == s(500) - removed
    assert (o.start_sample, o.end_sample) == (s(700) - removed, s(900) - removed)
    assert o.end_sample == out.size
