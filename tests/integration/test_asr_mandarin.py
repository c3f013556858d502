"""Mandarin ASR: multilingual Whisper `base` + OpenCC on the zh clips of ../shared/data.

Only clips whose reference is a human label or a documented demo reference are scored
(MANIFEST.md: the others are another model's output). Character error rate compares Simplified
characters with punctuation and spaces removed (``docs/architecture.md``, "Data, privacy,
configuration").
"""

from __future__ import annotations

import re

import jiwer
import pytest

from engine import models as model_store
from engine.asr.language import SpokenLanguage
from engine.asr.whisper import DecodeControl, WhisperASR, to_simplified
from engine.audio.decode import load_audio
from engine.audio.vad import SileroVAD, SpeechSegmenter, speech_segments
from engine.hearing import Hearing
from tests.conftest import require_path

pytestmark = pytest.mark.slow


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate over Simplified characters, punctuation and spaces removed."""

    def norm(text: str) -> str:
        return re.sub(r"[\W_]+", "", to_simplified(text))

    return jiwer.cer(norm(reference), norm(hypothesis))


@pytest.fixture(scope="module")
def hearing(hearing: Hearing) -> Hearing:
    """The run's shared hearing (tests/conftest.py), once ``base`` is known to be unpacked."""
    spec = model_store.load_manifest()["whisper-base"]
    require_path(model_store.models_dir() / spec.name / "model.bin", "whisper-base (dhe models zh)")
    return hearing


@pytest.fixture(scope="module")
def asr(hearing: Hearing) -> WhisperASR:
    """``base`` as configured: the short encoder window (``asr.window_s.zh``, 8 s)."""
    model = hearing.asr_for("zh")
    assert model.settings.window_s == 8.0
    return model


def test_traditional_is_converted() -> None:
    assert to_simplified("我認為跑步最重要的就是給我帶來了身體健康") == (
        "我认为跑步最重要的就是给我带来了身体健康"
    )


def test_mandarin_clips_cer(asr: WhisperASR, transcripts, shared_data) -> None:
    rows = [
        r
        for r in transcripts
        if r["language"] == "zh" and r["reference_kind"].startswith(("human", "demo_reference"))
    ]
    assert len(rows) >= 3
    scores = []
    for row in rows:
        audio = load_audio(shared_data / "audio" / row["file"])
        segments = speech_segments(SileroVAD().process(audio), SpeechSegmenter())
        pad = 2400  # vad.pad_ms, 150 ms: the span a live session decodes
        audio = audio[max(0, segments[0][0] - pad) : segments[-1][1] + pad]
        result = asr.transcribe(audio, language="zh")
        assert result.language == "zh"
        # Output is Simplified: no character changes under Traditional→Simplified conversion.
        assert to_simplified(result.text) == result.text
        scores.append(cer(row["reference"], result.text))
        print(f"CER {scores[-1]:6.1%}  {row['file']}  {result.text}")
    mean = sum(scores) / len(scores)
    print(f"mean CER {mean:.1%}")
    assert mean <= 0.091  # no worse than Whisper's own 30 s window on whole clips


def test_language_detection_routes_mandarin(asr: WhisperASR, shared_data) -> None:
    audio = load_audio(shared_data / "audio/zh/zh_paddlespeech_running_health.wav")
    language, prob = asr.detect_language(audio)
    assert language == "zh" and prob > 0.5
    english = load_audio(shared_data / "audio/en/en_ljspeech_LJ001-0004_block_books.wav")
    assert asr.detect_language(english)[0] == "en"


def test_auto_language_routes_each_clip(hearing: Hearing, shared_data) -> None:
    """`auto`: English is kept from tiny.en; Mandarin goes through detection to `base`."""
    zh = hearing.transcribe(
        load_audio(shared_data / "audio/zh/zh_paddlespeech_running_health.wav"), "auto"
    )
    assert zh.language == "zh"
    assert cer("我认为跑步最重要的就是给我带来了身体健康", zh.text) < 0.15
    en = hearing.transcribe(
        load_audio(shared_data / "audio/en/en_ljspeech_LJ001-0004_block_books.wav"), "auto"
    )
    assert en.language == "en" and "block books" in en.text


def test_short_window_detection_names_each_language(hearing: Hearing, shared_data) -> None:
    """The early detection reads about a second of speech over a 5 s window."""
    zh = load_audio(shared_data / "audio/zh/zh_funasr_welcome_asr_model.wav")[:24_000]
    en = load_audio(shared_data / "audio/en/en_ljspeech_LJ001-0006_fine_typography.wav")[:24_000]
    zh_probs, en_probs = hearing.detect_language(zh), hearing.detect_language(en)
    assert set(zh_probs) == {"en", "zh"} and sum(zh_probs.values()) == pytest.approx(1.0)
    assert zh_probs["zh"] > 0.9 and en_probs["en"] > 0.9


def test_detected_language_is_reused_within_a_session(hearing: Hearing, shared_data) -> None:
    """A session on `auto` detects Mandarin once, early in its first turn; every later decode
    goes straight to `base` in Mandarin — no English first pass, no second detection."""
    spoken: SpokenLanguage = hearing.spoken_language("auto")
    first = load_audio(shared_data / "audio/zh/zh_paddlespeech_running_health.wav")
    assert not spoken.detection_due(speech_ms=500.0)
    assert spoken.detection_due(speech_ms=1100.0)  # during the turn, ~1 s into the speech
    assert spoken.detected(hearing.detect_language(first[:24_000])) == "zh"
    heard = hearing.transcribe_for(spoken, first)
    assert (
        heard.language == "zh"
        and cer("我认为跑步最重要的就是给我带来了身体健康", heard.text) < 0.15
    )
    second = load_audio(
        shared_data / "audio/zh/zh_aishell1_BAC009S0724W0121_guangzhou_realestate.wav"
    )
    assert not spoken.detection_due(speech_ms=3000.0)  # known: no detection in later turns
    english = hearing.asr_for("en")
    english_decodes = english.decodes
    again = hearing.transcribe_for(spoken, second)
    assert again.language == "zh" and cer("广州市房地产中介协会分析", again.text) < 0.25
    assert spoken.detections == 1 and spoken.language == "zh"
    assert english.decodes == english_decodes  # tiny.en never ran for the second turn
    # A partial caption of speech cut mid-word (here silence: empty) forgets nothing, and
    # with the language unknown a partial decodes nothing at all.
    caption = hearing.transcribe_for(spoken, second[:8000] * 0.0, DecodeControl(partial=True))
    assert not caption.text and spoken.language == "zh"
    base_decodes = hearing.asr_for("zh").decodes
    unknown = hearing.spoken_language("auto")
    assert not hearing.transcribe_for(unknown, second, DecodeControl(partial=True)).text
    assert (english.decodes, hearing.asr_for("zh").decodes) == (english_decodes, base_decodes)
