"""The server warms every domain pack before it is ready, not only ``dialog.domain``: a first
tax-hall visitor waited ~18 s for the tax pack to load on its offer (newcomer trial); and a
start that fails warms nothing more."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from engine.asr.whisper import ASRError
from engine.config import ConfigError, EngineConfig
from engine.server.protocol import ApiError
from engine.server.runtime import Runtime, _all_or_none
from engine.server.warmup import run_steps


async def test_every_pack_is_warmed_the_configured_one_first_and_a_broken_other_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runtime = Runtime(EngineConfig())  # never started: only the pack loading is exercised
    loaded: list[str] = []

    async def load(domain: str) -> object:  # stands in for the pack's load (seconds of CPU)
        loaded.append(domain)
        if domain == "tax":
            raise ApiError(400, "unknown-domain", "domain pack 'tax' is invalid; see the log")
        return object()

    runtime.dialog_engine = load  # type: ignore[method-assign]
    caplog.set_level("INFO")
    try:
        await runtime._warm_packs("bank")
        assert loaded == ["bank", "tax"]
        lines = [r.getMessage() for r in caplog.records]
        assert any(line.startswith("warm-up: dialog bank ") for line in lines), lines
        assert "warm-up: dialog tax not loaded: domain pack 'tax' is invalid; see the log" in lines

        loaded.clear()
        with pytest.raises(ApiError):  # the configured pack broken: the server must not go ready
            await runtime._warm_packs("tax")
        assert loaded == ["tax"]
    finally:
        await runtime.close()


async def test_a_failing_model_step_stops_the_pack_warm_up_beside_it() -> None:
    """newcomer10: after the ASR model failed to load, the failed server went on warming every
    pack (~12 s of CPU, 22 s under load). The failure now cancels the warm-up beside it: the
    pack already loading is the last one. The failing step is a fault injected on purpose."""
    runtime = Runtime(EngineConfig())  # never started: the start's side-by-side steps only
    loaded: list[str] = []

    async def load(domain: str) -> object:  # stands in for the pack's load (seconds of CPU)
        loaded.append(domain)
        await asyncio.sleep(0.3)
        return object()

    def broken_model() -> None:
        raise ASRError("model-load-failed", "model.bin is cut short (fault injected on purpose)")

    runtime.dialog_engine = load  # type: ignore[method-assign]
    try:
        with pytest.raises(ASRError, match="cut short"):  # its own error, not a group
            await _all_or_none(
                run_steps(runtime.asr_executor, [("ASR en", broken_model)]),
                runtime._warm_packs("bank"),
            )
        await asyncio.sleep(1.0)  # the next pack would have started by now
        assert loaded == ["bank"]
    finally:
        await runtime.close()


async def test_a_setting_naming_a_missing_model_fails_the_start_before_anything_warms(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    missing = "/nonexistent/whisper-small"
    config = EngineConfig(asr={"models": {"en": missing}}, sandbox={"embedded": False})
    runtime = Runtime(config, var=tmp_path)
    caplog.set_level("INFO", logger="engine.server")
    try:
        with pytest.raises(ConfigError, match=f"^config: asr.models.en: ASR model '{missing}'"):
            await runtime.start()
        assert not [r.getMessage() for r in caplog.records if "warm-up" in r.getMessage()]
        assert runtime._dialogs == {}
    finally:
        await runtime.close()
