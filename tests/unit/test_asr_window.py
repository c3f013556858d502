"""The shortened-window decode's pure parts: window size and the loop guard
(engine.asr.windowed). The decodes themselves are covered by tests/integration/test_asr_whisper.py,
which runs the default config (English on a 10 s window)."""

from __future__ import annotations

import pytest

from engine.asr.windowed import FULL_WINDOW_FRAMES, compression_ratio, repeats_itself, window_frames


def test_window_is_at_least_the_minimum_and_the_speech_plus_a_tail() -> None:
    assert window_frames(16_000 * 2, 10.0) == 1000  # 2 s of speech: the 10 s minimum
    assert window_frames(16_000 * 9, 10.0) == 9 * 100 + 1 + 200  # 9 s: speech + 2 s tail
    assert window_frames(16_000 * 29, 10.0) == FULL_WINDOW_FRAMES  # never beyond 30 s


@pytest.mark.parametrize(
    "text",
    [
        # seen from tiny.en on short windows (speech + 1 s, speech + 0.5 s)
        "Can I talk to a person? Can I talk to a person?",
        "And it is worth mention in passing that as an example of fine typography, "
        "that as an example of fine typography,",
        "when are you open open open open open open",
        "正是因为存在绝对正义正是因为存在绝对正义",
    ],
)
def test_a_phrase_said_twice_in_a_row_is_a_loop(text: str) -> None:
    assert repeats_itself(text)


@pytest.mark.parametrize(
    "text",
    [
        "And so my fellow Americans ask not what your country can do for you ask what you "
        "can do for your country",  # repeats words, not back to back
        "very very good",
        "hello hello",
        "my balance",
        "他一定在家因为灯亮着就是有一种推理或者解释的那种感觉",
        "谢谢谢谢",
    ],
)
def test_ordinary_speech_is_not_a_loop(text: str) -> None:
    assert not repeats_itself(text)


def test_compression_ratio_flags_long_loops_only() -> None:
    assert compression_ratio("How do I reset my online banking password? " * 20) > 2.4
    assert compression_ratio("How do I reset my online banking password?") < 2.4
    assert compression_ratio("") == 0.0
