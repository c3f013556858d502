"""The A/V offset of ``benchmarks/lip_sync_browser.py`` (``played_offset`` in
``benchmarks/av_offset.py``) on synthetic tracks placed as a browser plays them, with a known
shift: 25 fps frames put on screen at the next 60 Hz vsync, the sound as 128-sample render
quanta (their mean squares only), the picture shifted against the sound."""

from __future__ import annotations

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
