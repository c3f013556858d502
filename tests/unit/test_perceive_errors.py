"""``dhe perceive`` on a file that is neither image nor video: one plain reason, no errno."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.perception.perceive import UnreadableFile, perceive_file


def test_not_media_says_invalid_data_without_errno(tmp_path: Path) -> None:
    path = tmp_path / "notaudio.wav"
    path.write_text("this is not audio, an image or a video\n" * 20)
    with pytest.raises(UnreadableFile) as info:
        perceive_file(path)  # fails before any model loads
    assert str(info.value) == f"{path}: not an image or a video (FFmpeg: invalid data)"
