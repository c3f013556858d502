"""``tts.voices.zh.spin`` (onnxruntime threads busy-waiting) reaches Kokoro's sessions and
leaves the audio as it was, bit for bit (so it needs no intelligibility run)."""

from __future__ import annotations

import numpy as np

from engine.config import EngineConfig
from engine.tts.kokoro import SPIN_KEY, KokoroTTS
from engine.voices import Voices


def test_spinning_sessions_speak_the_same_audio(kokoro: KokoroTTS) -> None:
    config = EngineConfig.model_validate(
        {"tts": {"voices": {"zh": {"spin": True}}, "prepared_replies": False}}
    )
    spinning = Voices(config.tts).for_language("zh")
    assert isinstance(spinning, KokoroTTS) and spinning.spin and not kokoro.spin
    for session in (spinning._predictor, spinning._decoder):
        assert session.get_session_options().get_session_config_entry(SPIN_KEY) == "1"
    for session in (kokoro._predictor, kokoro._decoder):
        assert session.get_session_options().get_session_config_entry(SPIN_KEY) == "0"
    clause = "您2024年度的个人所得税汇算已经审核完成，"
    ours = kokoro.synthesize_sentence(clause, "zh")
    theirs = spinning.synthesize_sentence(clause, "zh")
    a, b = (np.frombuffer(c.pcm, np.int16) for c in (ours, theirs))
    assert a.size > 24_000 and np.array_equal(a, b)
    assert ours.visemes == theirs.visemes


def test_spinning_keeps_the_prepared_replies_key() -> None:
    """The same audio, so the prepared replies stay (engine.tts.prepared_key)."""
    from engine.config_sections import VoiceConfig
    from engine.tts.prepared_key import voice_fingerprint

    still = VoiceConfig(provider="kokoro", voice="kokoro-82m")
    spinning = VoiceConfig(provider="kokoro", voice="kokoro-82m", spin=True)
    other = VoiceConfig(provider="kokoro", voice="kokoro-82m", opening="eager")
    key = voice_fingerprint(still, "zh")
    assert voice_fingerprint(spinning, "zh") == key != voice_fingerprint(other, "zh")


def test_a_fallback_voice_spinning_keeps_the_key() -> None:
    """``spin`` nested in a configured fallback voice is left out of the key too (review
    finding, session 19: only the top level's was); the fallback's other settings count."""
    from engine.config_sections import VoiceConfig
    from engine.tts.prepared_key import voice_fingerprint

    def voice(**fallback: object) -> VoiceConfig:
        return VoiceConfig(
            provider="kokoro",
            voice="kokoro-82m",
            fallback=VoiceConfig(provider="kokoro", voice="kokoro-82m", **fallback),
        )

    key = voice_fingerprint(voice(), "zh")
    assert voice_fingerprint(voice(spin=True), "zh") == key
    assert voice_fingerprint(voice(opening="eager"), "zh") != key
    assert voice_fingerprint(VoiceConfig(provider="kokoro", voice="kokoro-82m"), "zh") != key
