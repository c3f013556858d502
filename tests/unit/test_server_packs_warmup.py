"""The server warms every domain pack before it is ready, not only ``dialog.domain``: a first
tax-hall visitor waited ~18 s for the tax pack to load on its offer (newcomer trial)."""

from __future__ import annotations

import pytest

from engine.config import EngineConfig
from engine.server.protocol import ApiError
from engine.server.runtime import Runtime


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
