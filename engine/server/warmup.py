"""Server start: run each per-turn path once, so the first visitor's turn after ``/healthz``
turns 200 is as fast as later ones.

Loading a model is not enough: CTranslate2 and onnxruntime allocate their buffers and pick
kernels on the first inference (a first Whisper decode here costs a few hundred ms more than the
next), and libvpx/libx264 set up their tables on the first encoder opened in the process. The
voices warm themselves (``engine.voices.Voices.warm_up``) and the dialog's sentence encoder runs
while the pack is embedded at load. Everything here is blocking: run it on the executor of the
model it uses, never on the event loop; :func:`run_steps` does so one step at a time, so a
server stopped during its warm-up starts no further step.
"""

from __future__ import annotations

import asyncio
import fractions
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import Executor
from typing import TypeVar

import av
import numpy as np

from engine.audio.vad import SAMPLE_RATE_HZ as ASR_RATE_HZ
from engine.hearing import Hearing

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Seconds of audio a warm-up decodes: a short turn, inside the shortest encoder window.
WARM_AUDIO_S = 2.0


async def run_steps(executor: Executor, steps: Iterable[tuple[str, Callable[[], object]]]) -> None:
    """Run blocking ``steps`` (label, function) one after another on ``executor``, each logged
    at INFO with its time (``warm-up: LABEL N ms``), so the console shows progress through a
    start that takes minutes on a loaded machine. Cancelling the caller stops before the next
    step: the one already running finishes on its thread (a thread cannot be interrupted),
    nothing new starts, so a stop during warm-up is prompt."""
    loop = asyncio.get_running_loop()
    for label, step in steps:
        t0 = time.perf_counter()
        await loop.run_in_executor(executor, step)
        log.info("warm-up: %s %.0f ms", label, (time.perf_counter() - t0) * 1e3)


async def timed(label: str, work: Awaitable[T]) -> T:
    """Await ``work`` and log ``warm-up: LABEL N ms`` at INFO (start-up progress)."""
    t0 = time.perf_counter()
    result = await work
    log.info("warm-up: %s %.0f ms", label, (time.perf_counter() - t0) * 1e3)
    return result


def warm_audio(seconds: float = WARM_AUDIO_S) -> np.ndarray:
    """Quiet, seeded noise: float32 (n,) at 16 kHz (a decode of it is thrown away)."""
    rng = np.random.default_rng(0)
    return (0.01 * rng.standard_normal(int(seconds * ASR_RATE_HZ))).astype(np.float32)


def warm_hearing(hearing: Hearing, languages: tuple[str, ...]) -> None:
    """One decode per ASR language, and one language detection when Mandarin is heard.

    Raises:
        ASRError: a model that cannot decode (the server must not go ready with it).
    """
    audio = warm_audio()
    for language in languages:
        t0 = time.perf_counter()
        hearing.asr_for(language).transcribe(audio, language=language, fallback=False)
        log.info("warm-up: %s decode %.0f ms", language, (time.perf_counter() - t0) * 1e3)
    if "zh" in languages:
        hearing.detect_language(audio)


def warm_video_encoders(width: int, height: int) -> None:
    """Encode one frame with the VP8 and H.264 encoders (the codecs a session may negotiate:
    :class:`~engine.server.video_codec.AvatarVp8Encoder`, aiortc's H.264), so the first
    session does not pay the libraries' first-use setup."""
    from aiortc.codecs.h264 import H264Encoder

    from engine.server.video_codec import AvatarVp8Encoder

    frame = av.VideoFrame(width, height, "yuv420p")
    for plane in frame.planes:
        plane.update(bytes(plane.buffer_size))
    frame.pts, frame.time_base = 0, fractions.Fraction(1, 90_000)
    for encoder in (AvatarVp8Encoder(), H264Encoder()):
        encoder.encode(frame)
