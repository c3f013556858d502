"""Real faster-whisper tiny.en on the English clips of ../shared/data (WER ≤ 15 % each)."""

from __future__ import annotations

import jiwer
import numpy as np
import pytest
from whisper_normalizer.english import EnglishTextNormalizer

from engine.asr.whisper import WhisperASR
from engine.audio.decode import load_audio
from engine.hearing import Hearing
from engine.observers import EventBus

_normalise = EnglishTextNormalizer()


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate after the Whisper English text normaliser (``docs/architecture.md``)."""
    return jiwer.wer(_normalise(reference), _normalise(hypothesis))


@pytest.fixture(scope="module")
def asr() -> WhisperASR:
    return WhisperASR("whisper-tiny.en")


def test_english_clips_wer(transcripts, shared_data, hearing: Hearing) -> None:
    rows = [r for r in transcripts if r["language"] == "en"]
    assert len(rows) >= 6
    results = []
    for row in rows:
        audio = load_audio(shared_data / "audio" / row["file"])
        heard = hearing.hear(audio, "en", EventBus(), "s", "t")
        results.append((row["file"], wer(row["reference"], heard.text), heard.text))
    for name, score, text in results:
        print(f"WER {score:6.1%}  {name}  {text!r}")
    bad = [(n, s) for n, s, _ in results if s > 0.15]
    assert not bad, f"clips above 15 % WER: {bad}"


def test_silence_gives_empty_transcript(asr: WhisperASR, hearing: Hearing) -> None:
    silence = np.zeros(16000 * 3, np.float32)
    # Through the VAD gate: nothing decoded at all.
    assert hearing.hear(silence, "en", EventBus(), "s", "t").transcript is None
    # Straight into Whisper (gate bypassed): the guards still give "".
    assert asr.transcribe(silence).text == ""


def test_white_noise_gives_empty_transcript(asr: WhisperASR, hearing: Hearing) -> None:
    rng = np.random.default_rng(1)
    for level in (0.02, 0.1, 0.3):
        noise = (rng.standard_normal(16000 * 3) * level).astype(np.float32).clip(-1, 1)
        assert hearing.hear(noise, "en", EventBus(), "s", "t").text == ""
        assert asr.transcribe(noise).text == "", f"noise at {level} decoded as text"
