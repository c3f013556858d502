"""The A/V offset of ``benchmarks/lip_sync_browser.py`` (``played_offset`` in
``benchmarks/av_offset.py``) on synthetic tracks placed as a browser plays them, with a known
shift: 25 fps frames put on screen at the next 60 Hz vsync, the sound as 128-sample render
quanta (their mean squares only), the picture shifted against the sound."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from tests.unit.test_lip_sync_client import RATE, _syllables, lsc

VSYNC_HZ = 60.0


def _played(shift_s: float, seed: int = 1, seconds: float = 6.0, start_s: float = 50.0):
    """(shown_s, opening, quanta_s, power): each frame on screen at the vsync after its 25 fps
    slot, showing the sound of ``shift_s`` before that moment."""
    t, env = _syllables(seconds, seed)
    rng = np.random.default_rng(seed + 1)
    slots = np.arange(int(seconds * 25) - 2) / 25.0
    shown = np.ceil(slots * VSYNC_HZ + 0.1) / VSYNC_HZ
    # the frame stands on screen until the next one: it shows its sound at mid-interval
    mid = shown + np.diff(shown, append=shown[-1] + 0.04) / 2
    opening = np.interp(mid - shift_s, t, env) * 400.0 + rng.normal(0, 3, shown.size)
    samples = np.interp(np.arange(int(seconds * RATE)) / RATE, t, env)
    pcm = samples * rng.normal(0, 0.1, samples.size)
    q = pcm[: pcm.size // lsc.QUANTUM * lsc.QUANTUM].reshape(-1, lsc.QUANTUM)
    quanta_s = start_s + np.arange(q.shape[0]) * lsc.QUANTUM / RATE
    return start_s + shown, opening, quanta_s, (q**2).mean(axis=1)


@pytest.mark.parametrize("shift_ms", [0.0, 20.0, 45.0, 80.0, -35.0])
def test_a_known_shift_comes_back_within_3_ms(shift_ms: float) -> None:
    got = lsc.played_offset(*_played(shift_ms / 1000.0))
    assert got.ms == pytest.approx(shift_ms, abs=3.0)
    assert got.corr > 0.8


def test_silence_is_no_reply() -> None:
    shown, opening, quanta_s, power = _played(0.0)
    with pytest.raises(ValueError, match="no reply audio"):
        lsc.played_offset(shown, opening, quanta_s, power * 0.0)


_BROWSER = Path(__file__).resolve().parents[2] / "benchmarks" / "lip_sync_browser.py"
_BSPEC = importlib.util.spec_from_file_location("lip_sync_browser", _BROWSER)
assert _BSPEC is not None and _BSPEC.loader is not None
lsb = importlib.util.module_from_spec(_BSPEC)
_BSPEC.loader.exec_module(lsb)


def _record(shift_s: float, frames: int | None = None) -> dict:
    """``COLLECT_JS``'s record of one reply played with ``shift_s``; ``frames`` keeps only the
    first that many frames shown (0: none, a reply under heavy load)."""
    shown, opening, quanta_s, power = _played(shift_s)
    keep = slice(None) if frames is None else slice(0, frames)
    return {
        "frames": [[s * 1000.0, i, o] for i, (s, o) in enumerate(zip(shown, opening, strict=True))][
            keep
        ],
        "quanta": [[q, p] for q, p in zip(quanta_s, power, strict=True)],
        "clock": [[0.0, 0.0], [1.0, 1000.0]],  # context time = page time
        "held": {"audio": 40.0, "video": 10.0},
        "outputLatency": 0.032,
        "targets": [0],
    }


def test_a_recorded_reply_gives_its_offset_and_its_target() -> None:
    got, facts = lsb.offset_of(_record(0.040))
    assert got.ms == pytest.approx(40.0, abs=3.0)
    assert facts["video_target_ms"] == 0.0  # the page's lowest hold, not a missing one
    assert np.isnan(lsb.last_target_ms([])) and np.isnan(lsb.last_target_ms([120, None]))


@pytest.mark.parametrize("frames", [0, 5])
def test_a_reply_with_too_few_frames_is_a_value_error(frames: int) -> None:
    """The benchmark skips such a reply (``ValueError``); none at all was an IndexError."""
    with pytest.raises(ValueError, match="too few"):
        lsb.offset_of(_record(0.0, frames))
