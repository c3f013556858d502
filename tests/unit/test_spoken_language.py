"""A session's spoken language: detected once, early, reused, forgotten when unsure (sans-IO)."""

from __future__ import annotations

from engine.asr.language import SpokenLanguage
from engine.asr.whisper import Transcript


def heard(text: str, language: str = "zh", logprob: float | None = -0.3) -> Transcript:
    return Transcript(text=text, language=language, avg_logprob=logprob, audio_ms=2000.0)


def test_detection_is_due_once_after_a_second_of_speech() -> None:
    spoken = SpokenLanguage("auto", detect_after_ms=1000.0)
    assert spoken.language is None
    assert not spoken.detection_due(900.0)
    assert spoken.detection_due(1000.0)
    assert not spoken.detection_due(1500.0)  # one in flight
    assert spoken.detected({"en": 0.02, "zh": 0.98}) == "zh"
    assert spoken.detections == 1
    assert not spoken.detection_due(5000.0)  # known: reused for every later turn
    spoken.heard(heard("我想查询余额"))
    assert spoken.language == "zh" and spoken.detections == 1


def test_unsure_detection_or_decode_asks_again() -> None:
    spoken = SpokenLanguage("auto")
    assert spoken.detection_due(1200.0)
    assert spoken.detected({"en": 0.45, "zh": 0.55}) is None  # below 0.7: not kept
    assert spoken.detection_due(1200.0)
    spoken.detected({"en": 0.9, "zh": 0.1})
    spoken.heard(heard("", "en", None))  # the visitor switched: an empty English decode
    assert spoken.language is None and spoken.detection_due(1200.0)
    spoken.detected({"zh": 1.0})
    spoken.heard(heard("嗯", logprob=-1.2))  # unsure decode
    assert spoken.language is None


def test_a_decode_without_a_language_teaches_it_and_a_set_language_never_changes() -> None:
    spoken = SpokenLanguage("auto")
    spoken.heard(heard("hello there", "en"))
    assert spoken.language == "en"
    fixed = SpokenLanguage("zh")
    assert fixed.language == "zh" and not fixed.detection_due(5000.0)
    fixed.heard(heard("", "zh", None))
    fixed.detected({"en": 1.0})
    assert fixed.language == "zh"
    spoken.forget()
    assert spoken.language is None
