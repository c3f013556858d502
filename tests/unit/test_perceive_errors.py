"""``dhe perceive`` on a file that is neither image nor video: one plain reason, no errno."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.perception.perceive import UnreadableFile, perceive_file


def test_not_media_says_invalid_data_without_errno(tmp_path: Path) -> None:
    path = tmp_path / "notaudio.wav"
    path.write_text("this is not audio, an image or a video\n" * 20)
    with pytest.raises(UnreadableFile) as info:
        perceive_file(path)  # fails before any model loads
    assert str(info.value) == f"{path}: not an image or a video (FFmpeg: invalid data)"


def test_random_bytes_say_invalid_data_without_errno(tmp_path: Path) -> None:
    """Random bytes FFmpeg probes as some stream but cannot decode: the same plain reason."""
    path = tmp_path / "junk.png"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 20_000, dtype=np.uint8).tobytes())
    with pytest.raises(UnreadableFile) as info:
        perceive_file(path)  # fails before any model loads
    assert str(info.value) == f"{path}: not an image or a video (FFmpeg: invalid data)"
