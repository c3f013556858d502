"""Kokoro's silent edges are cut before the decoder: the durations and the three decoder
inputs stay in step (one aligned frame and two pitch/energy frames per duration unit)."""

from __future__ import annotations

import numpy as np

from engine.tts.kokoro import LEAD_UNITS, TRAIL_UNITS, trim_edges


def _inputs(units: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    frames = int(units.sum())
    aligned = np.arange(512 * frames, dtype=np.float32).reshape(1, 512, frames)
    pitch = np.arange(2 * frames, dtype=np.float32)[None, :]
    return aligned, pitch, -pitch


def test_edges_are_cut_to_the_kept_silence() -> None:
    units = np.array([18, 2, 3, 8, 9])
    aligned, pitch, energy = _inputs(units)
    cut, (a, p, e) = trim_edges(units, aligned, pitch, energy)
    head, tail = 18 - LEAD_UNITS, 9 - TRAIL_UNITS
    assert cut.tolist() == [LEAD_UNITS, 2, 3, 8, TRAIL_UNITS]
    assert units.tolist() == [18, 2, 3, 8, 9]  # the caller's array is left alone
    assert a.shape == (1, 512, cut.sum()) and p.shape == e.shape == (1, 2 * cut.sum())
    assert a[0, 0, 0] == aligned[0, 0, head] and a[0, 0, -1] == aligned[0, 0, 39 - tail]
    assert p[0, 0] == pitch[0, 2 * head] and p[0, -1] == pitch[0, 2 * (40 - tail) - 1]
    assert e[0, 0] == energy[0, 2 * head] and a.flags.c_contiguous


def test_short_edges_are_kept() -> None:
    units = np.array([LEAD_UNITS, 4, 1])
    aligned, pitch, energy = _inputs(units)
    cut, (a, p, e) = trim_edges(units, aligned, pitch, energy)
    assert cut.tolist() == units.tolist()
    assert a is aligned and p is pitch and e is energy
