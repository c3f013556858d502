"""``tts.voices.zh.spin``: onnxruntime's threads busy-wait only when asked, only for Kokoro."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from engine.config import EngineConfig
from engine.config_sections import VoiceConfig
from engine.tts.kokoro import SPIN, SPIN_KEY, SPIN_ON, session_options


def test_the_session_options_follow_the_setting() -> None:
    assert (SPIN, SPIN_ON) == ("0", "1")
    assert session_options().get_session_config_entry(SPIN_KEY) == "0"
    assert session_options(spin=False).get_session_config_entry(SPIN_KEY) == "0"
    assert session_options(spin=True).get_session_config_entry(SPIN_KEY) == "1"
    assert session_options(2, spin=True).intra_op_num_threads == 2
    assert session_options(None).intra_op_num_threads == 0  # one per core


def test_spin_is_off_by_default_and_set_by_name() -> None:
    assert EngineConfig().tts.voices["zh"].spin is False
    config = EngineConfig.model_validate({"tts": {"voices": {"zh": {"spin": True}}}})
    assert config.tts.voices["zh"].spin is True
    assert config.tts.voices["zh"].provider == "kokoro"


def test_spin_for_another_provider_or_not_a_bool_is_an_error() -> None:
    with pytest.raises(ValidationError, match=r"spin is a kokoro setting; .* provider is piper"):
        VoiceConfig(provider="piper", spin=True)
    with pytest.raises(ValidationError, match="spin"):
        VoiceConfig(provider="kokoro", voice="kokoro-82m", spin="sometimes")
