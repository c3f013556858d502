"""engine.server.warmup: the start-up warm-ups run on this machine's codecs (real aiortc VP8 and
H.264 encoders through PyAV) and decode a fixed, quiet input."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from engine.server.warmup import WARM_AUDIO_S, run_steps, warm_audio, warm_video_encoders


def test_warm_audio_is_quiet_repeatable_16k_float32() -> None:
    first, again = warm_audio(), warm_audio()
    assert first.dtype == np.float32 and first.shape == (int(WARM_AUDIO_S * 16_000),)
    assert np.array_equal(first, again)
    assert 0.005 < float(np.sqrt(np.mean(first**2))) < 0.02  # quiet noise, not silence


def test_both_video_codecs_encode_a_frame() -> None:
    warm_video_encoders(64, 64)  # raises when aiortc's encoders change their interface


async def test_a_stop_during_warm_up_starts_no_further_step(
    caplog: pytest.LogCaptureFixture,
) -> None:
    started, release, ran = threading.Event(), threading.Event(), []

    def first() -> None:
        started.set()
        release.wait(10)
        ran.append("first")

    with ThreadPoolExecutor(1) as executor:
        task = asyncio.create_task(
            run_steps(executor, [("1", first), ("2", lambda: ran.append("second"))])
        )
        await asyncio.to_thread(started.wait, 10)
        task.cancel()  # the server stops while the first step runs
        release.set()
        await asyncio.sleep(0.1)
    assert task.cancelled() and ran == ["first"]  # the running step finished, no other began
    caplog.set_level("INFO", logger="engine.server.warmup")
    with ThreadPoolExecutor(1) as executor:  # each finished step is logged: start-up progress
        await run_steps(executor, [("turn check", lambda: None)])
    assert [r.getMessage().rsplit(" ", 2)[0] for r in caplog.records] == ["warm-up: turn check"]
