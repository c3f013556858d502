"""A recorded MP4's mouth is in step with its sound as a viewer sees the file: the mouth's opening
per decoded video frame against the RMS of the decoded audio on screen with it
(``benchmarks/lip_sync.py``), through the whole path (voice, viseme timeline, renderer, H.264 +
AAC mux). newcomer12 measured the mouth one frame (40 ms) after the sound in every MP4; the same
measurement on a clip rendered one frame late shows that lag, so this test fails on it."""

from __future__ import annotations

from pathlib import Path

import pytest

import engine.avatar_preview
from benchmarks.lip_sync import measure, render_clip
from engine.show import frame_sample

TEXT = "Our branch is open Monday to Friday from nine to five."


def test_the_mouth_moves_with_its_sound_in_the_mp4(tmp_path: Path) -> None:
    m = measure(render_clip(TEXT, "en", tmp_path / "now.mp4"))
    assert m.best_lag == 0, m
    assert abs(m.lag_ms) < 20.0, m  # within half a frame
    assert m.corr[0] >= 0.7, m


def test_a_one_frame_late_mouth_is_measured_late(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Fault injected on purpose: every frame shows the pose of the frame before.
    monkeypatch.setattr(
        engine.avatar_preview, "frame_sample", lambda i, per: frame_sample(i - 1, per)
    )
    m = measure(render_clip(TEXT, "en", tmp_path / "late.mp4"))
    assert m.best_lag == 1, m
    assert 25.0 < m.lag_ms < 60.0, m
