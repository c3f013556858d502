"""The A/V offset estimate of ``benchmarks/lip_sync_client.py`` (``benchmarks/av_offset.py``)
on synthetic tracks whose shift is known: a mouth that follows a speech-like envelope, 25 fps
frames posed at the middle of their interval, 48 kHz noise shaped by that envelope, the
picture shifted against the sound."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "av_offset.py"
_SPEC = importlib.util.spec_from_file_location("av_offset", _PATH)
assert _SPEC is not None and _SPEC.loader is not None
lsc = importlib.util.module_from_spec(_SPEC)
sys.modules[_SPEC.name] = lsc  # dataclasses look their module up
_SPEC.loader.exec_module(lsc)

FPS = 25.0
RATE = 48_000


def _syllables(seconds: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A speech-like loudness: syllables of 120-300 ms with gaps, sampled every 1 ms."""
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, seconds, 0.001)
    env = np.zeros_like(t)
    at = 0.2
    while at < seconds - 0.5:
        length = rng.uniform(0.12, 0.3)
        inside = (t >= at) & (t < at + length)
        env[inside] = rng.uniform(0.4, 1.0) * np.sin(np.pi * (t[inside] - at) / length)
        at += length + rng.uniform(0.02, 0.25)
    return t, env


def _tracks(shift_s: float, seed: int = 1, seconds: float = 6.0, start_s: float = 100.0):
    """Frames (times, openings) and audio chunks (starts, 10 ms arrays) with the mouth
    ``shift_s`` after its sound."""
    t, env = _syllables(seconds, seed)
    rng = np.random.default_rng(seed + 1)
    n = int(seconds * FPS) - 2
    shown = start_s + np.arange(n) / FPS
    posed = np.arange(n) / FPS + 0.5 / FPS - shift_s  # the sound time each frame shows
    opening = np.interp(posed, t, env) * 400.0 + rng.normal(0, 3, n)
    samples = np.interp(np.arange(int(seconds * RATE)) / RATE, t, env)
    pcm = samples * rng.normal(0, 3000, samples.size)
    chunks = [pcm[i : i + 480] for i in range(0, pcm.size - 480, 480)]
    starts = start_s + np.arange(len(chunks)) * 480 / RATE
    return shown, opening, starts, chunks


@pytest.mark.parametrize("shift_ms", [0.0, 13.0, 40.0, 67.0, -30.0, -100.0])
def test_a_known_shift_comes_back_within_2_ms(shift_ms: float) -> None:
    shown, opening, starts, chunks = _tracks(shift_ms / 1000.0)
    got = lsc.av_offset(shown, opening, starts, chunks, FPS)
    assert got.ms == pytest.approx(shift_ms, abs=2.0)
    assert got.corr > 0.8


def test_dropped_frames_are_held_not_shifting_the_estimate() -> None:
    shown, opening, starts, chunks = _tracks(0.040, seed=3)
    keep = np.ones(shown.size, bool)
    keep[10::7] = False  # one frame in seven never arrives: the one before stays on screen
    got = lsc.av_offset(shown[keep], opening[keep], starts, chunks, FPS)
    assert got.ms == pytest.approx(40.0, abs=8.0)


def test_flat_or_short_input_is_refused() -> None:
    shown, opening, starts, chunks = _tracks(0.0)
    with pytest.raises(ValueError, match="flat"):
        lsc.av_offset(shown, np.zeros_like(opening), starts, chunks, FPS)
    with pytest.raises(ValueError, match="too few"):
        lsc.av_offset(shown[:10], opening[:10], starts, chunks, FPS)


def test_sender_reports_map_rtp_time_across_a_wrap() -> None:
    """RTP timestamps that wrap past 2**32 map onto the sender's clock like those that do not."""
    first = 2**32 - 4800  # 0.1 s before the wrap at 48 kHz
    ts = lsc.unwrap([first, (first + 9600) % 2**32])
    assert ts[1] - ts[0] == 9600
    reports = [(1000.0, first), (1000.5, (first + 24000) % 2**32)]
    clock, spread = lsc.sender_clock(reports, ts, RATE)
    assert clock == pytest.approx([1000.0, 1000.2])
    assert spread == pytest.approx(0.0, abs=1e-6)
