"""An unknown voice names only the voices of the language it was set for (dialogfix18 #4):
``tts.voices.zh.speaker: zf_nobody`` listed the Japanese packs (``jf_alpha`` … ``jm_kumo``)
among the Mandarin ones, in ``dhe config check`` and in the error of ``dhe converse``/``serve``.
Read from the real ``kokoro-82m`` folder (its voice packs)."""

from __future__ import annotations

import pytest

from engine.cli import main
from engine.config import DEFAULT_CONFIG_PATH
from engine.tts.base import TTSError
from engine.tts.kokoro import KokoroTTS, load_voice_packs, unknown_voice, voices_for
from tests.conftest import model_folder

MANDARIN = [
    "zf_xiaobei", "zf_xiaoni", "zf_xiaoxiao", "zf_xiaoyi",
    "zm_yunjian", "zm_yunxi", "zm_yunxia", "zm_yunyang",
]  # fmt: skip


def test_only_mandarin_voices_are_offered_for_mandarin() -> None:
    packs = load_voice_packs(model_folder("kokoro-82m"))
    assert "jm_kumo" in packs  # the folder has Japanese packs too
    assert voices_for(packs, ["zh"]) == MANDARIN
    assert voices_for(packs, ["en"]) == []
    assert unknown_voice("x", packs, ["en"]) == (
        "unknown Kokoro voice 'x'; the model has no voice for en"
    )


def test_the_voice_error_names_no_japanese_voice() -> None:
    with pytest.raises(TTSError) as caught:
        KokoroTTS(model_folder("kokoro-82m"), voice="zf_nobody")
    assert str(caught.value).endswith(
        f"unknown Kokoro voice 'zf_nobody'; have {', '.join(MANDARIN)}"
    )
    assert "jf_" not in str(caught.value) and "jm_" not in str(caught.value)


def test_config_check_names_no_japanese_voice(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DHE_TTS__VOICES__ZH__SPEAKER", "zf_nobody")
    assert main(["config", "check", str(DEFAULT_CONFIG_PATH)]) == 1
    out = capsys.readouterr().out
    assert f"unknown Kokoro voice 'zf_nobody'; have {', '.join(MANDARIN)}" in out, out
    assert "jm_kumo" not in out and "jf_alpha" not in out
