"""``dhe converse`` loads the dialog, the voice (and ASR) and the renderer side by side
(``engine.converse._start``): when one of them fails, the others are awaited and the failure
that explains the run is the one raised. The failures here are faults injected on purpose
(a dialog, a renderer or a warm-up that raises); nothing else is faked."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from engine import converse
from engine.config import EngineConfig


class _Voices:
    """Warms in 0.3 s, then raises (fault injected on purpose); records that it finished."""

    def __init__(self) -> None:
        self.finished = threading.Event()

    def for_language(self, language: str) -> None:
        time.sleep(0.3)
        self.finished.set()
        raise RuntimeError("voice warm-up failed (fault injected on purpose)")


class _Show:
    """A renderer whose clean-up itself fails (fault injected on purpose)."""

    def __init__(self, *_args: object) -> None:
        pass

    def abort(self) -> None:
        raise OSError("the partial video cannot be removed (fault injected on purpose)")


def _broken_dialog(*_args: object, **_kwargs: object) -> None:
    raise ValueError("the dialog cannot load (fault injected on purpose)")


def _broken_show(*_args: object) -> None:
    raise ValueError("the renderer cannot start (fault injected on purpose)")


async def _start(tmp_path: Path, voices: _Voices) -> None:
    await converse._start(
        EngineConfig(),
        "bank",
        "en",
        [],
        tmp_path / "out.mp4",
        None,
        voices,
        None,  # type: ignore[arg-type]
    )


async def test_a_failing_clean_up_does_not_hide_the_dialogs_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(converse, "sentence_encoder", lambda _name: None)
    monkeypatch.setattr(converse.DialogEngine, "load", _broken_dialog)
    monkeypatch.setattr(converse, "Show", _Show)
    with pytest.raises(ValueError, match="the dialog cannot load"):
        await _start(tmp_path, _Voices())


async def test_a_renderer_that_fails_waits_for_the_warm_up_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The warm-up is awaited, so its own failure is retrieved ("Task exception was never
    retrieved" otherwise) and no model load runs on after the run has failed."""
    monkeypatch.setattr(converse, "sentence_encoder", lambda _name: None)
    monkeypatch.setattr(converse.DialogEngine, "load", lambda *_a, **_k: object())
    monkeypatch.setattr(converse, "Show", _broken_show)
    voices = _Voices()
    with pytest.raises(ValueError, match="the renderer cannot start"):
        await _start(tmp_path, voices)
    assert voices.finished.is_set()


def test_a_voice_file_that_is_not_there_is_a_setting_error(tmp_path: Path) -> None:
    """``dhe converse`` exited 1 (an internal failure) for a configured Piper voice file that
    does not exist; it is the setting's fault (exit 2, the setting named). A manifest voice
    not unpacked stays setup's job (``dhe models``)."""
    from engine.converse_inputs import setting_failure
    from engine.tts.base import TTSError
    from engine.tts.model_paths import piper_model_path

    gone = tmp_path / "none.onnx"
    config = EngineConfig(tts={"voices": {"en": {"provider": "piper", "voice": str(gone)}}})
    with pytest.raises(TTSError) as missing:
        piper_model_path(str(gone))
    said = setting_failure(missing.value, config, "c.yaml")
    assert said == f"tts.voices in c.yaml: Piper voice {gone} does not exist"
    default = EngineConfig()
    assert setting_failure(TTSError("model-not-found", "run `dhe models`"), default, None) is None
