"""engine.server.transcribing.Transcriber: which decodes run, which are reused, which give way.

The decode here is a plain function standing in for Whisper — the scheduling is under test, not
the model: it records each call and waits on its ``DecodeControl`` the way WhisperASR checks it
(a set ``abandon`` makes it raise DecodeAbandoned)."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from engine.asr.whisper import DecodeControl, Transcript
from engine.asr.windowed import DecodeAbandoned
from engine.observers import EventBus
from engine.reply import ReplyHandle
from engine.server.transcribing import InflightCounter, Transcriber
from engine.server.turn_taking import LiveUtterance


class Decoder:
    """Decodes to ``"<n> samples"`` once released (or raises when abandoned)."""

    def __init__(self) -> None:
        self.calls: list[int] = []
        self.release = threading.Event()

    def __call__(self, audio: np.ndarray, control: DecodeControl) -> Transcript:
        self.calls.append(audio.size)
        while not self.release.wait(0.005):
            if control.abandon.is_set():
                raise DecodeAbandoned()
        if control.abandon.is_set():
            raise DecodeAbandoned()
        return Transcript(f"{audio.size} samples", "en", -0.1, audio.size / 16.0)


@pytest.fixture
def executor():
    pool = ThreadPoolExecutor(max_workers=2)
    yield pool
    pool.shutdown(wait=False, cancel_futures=True)


def audio(n: int) -> np.ndarray:
    return np.zeros(n, np.float32)


async def test_the_speculative_decode_is_the_final_when_the_span_is_the_same(executor) -> None:
    decoder, inflight = Decoder(), InflightCounter()
    transcriber = Transcriber(decoder, executor, inflight)
    transcriber.speculate((0, 16000), audio(16000))
    final = transcriber.final((0, 16000), audio(16000))
    decoder.release.set()
    assert (await final.future).text == "16000 samples"
    assert decoder.calls == [16000]  # one decode, started during the endpoint wait
    assert final.ended_s is not None and inflight.count == 0
    timings = final.timings_ms(t_eos_s=final.submitted_s - 0.17)
    assert timings["asr_start_ms"] == pytest.approx(170.0, abs=0.2)
    assert timings["asr_wait_ms"] is None  # the stand-in never records when it got the model


async def test_speech_resuming_abandons_the_speculation_and_a_new_span_decodes_again(
    executor,
) -> None:
    decoder, inflight = Decoder(), InflightCounter()
    transcriber = Transcriber(decoder, executor, inflight)
    stale = transcriber.speculate((0, 8000), audio(8000))
    transcriber.resumed()  # the visitor's new words make it stale
    with pytest.raises(DecodeAbandoned):
        await stale.future
    transcriber.speculate((0, 12000), audio(12000))
    final = transcriber.final((0, 16000), audio(16000))  # the turn grew: not the same audio
    decoder.release.set()
    assert (await final.future).text == "16000 samples"
    while inflight.count:  # the abandoned decodes stop at their next check
        await asyncio.sleep(0.01)
    assert sorted(decoder.calls) == [8000, 12000, 16000] and not inflight.partials


async def test_partials_back_off_and_give_way_to_a_final(executor) -> None:
    decoder, inflight = Decoder(), InflightCounter()
    busy = [False]
    transcriber = Transcriber(decoder, executor, inflight, cpu_behind=lambda: busy[0])
    transcriber.turn_started()
    partial = transcriber.partial(audio(4000))
    assert partial is not None and inflight.count == 1 and len(inflight.partials) == 1
    assert transcriber.partial(audio(4000)) is None  # one decode in flight anywhere: no more
    final = transcriber.final((0, 16000), audio(16000))  # makes the running partial give way
    with pytest.raises(DecodeAbandoned):
        await partial
    decoder.release.set()
    assert (await final.future).text == "16000 samples"
    assert inflight.finals == 0 and inflight.count == 0


async def test_another_sessions_decode_blocks_partials_here(executor) -> None:
    decoder, inflight = Decoder(), InflightCounter()
    mine = Transcriber(decoder, executor, inflight)
    theirs = Transcriber(decoder, executor, inflight)
    their_final = theirs.final((0, 16000), audio(16000))
    assert inflight.finals == 1
    assert mine.partial(audio(4000)) is None  # the process's one CPU is for their final
    decoder.release.set()
    await their_final.future
    await asyncio.sleep(0)
    assert mine.partial(audio(4000)) is not None


async def test_an_interrupted_turn_abandons_its_final_decode(executor) -> None:
    """Barge-in during the final decode: cancelling the turn's one scope gives the decode up,
    and the process's count of decodes in flight stays true until it has stopped."""
    decoder, inflight = Decoder(), InflightCounter()
    decode = Transcriber(decoder, executor, inflight).final((0, 16000), audio(16000))
    now = time.monotonic()
    utterance = LiveUtterance(
        session_id="s1",
        turn_id="s1-t1",
        bus=EventBus(),
        decode=decode,
        span=(0, 16000),
        vad_ms=1.0,
        t_eos_s=now,
        t_endpoint_s=now,
        clock=time.monotonic,
    )
    handle = ReplyHandle.start("s1-t1", lambda h: utterance.hear())
    await asyncio.sleep(0.05)  # the decode is running
    assert inflight.count == 1
    handle.interrupt(onset_s=time.monotonic(), reason="barge-in")
    await handle.wait()
    assert decode.control.abandon.is_set()
    with pytest.raises(DecodeAbandoned):
        await decode.future
    assert inflight.count == 0 and not decoder.release.is_set()


async def test_a_turns_first_partial_runs_on_a_busy_machine_later_ones_wait(executor) -> None:
    """The visitor sees at once that they are heard: a turn's first interim caption is decoded
    even when the machine is behind (a kiosk's browser shares its CPU); later partials of the
    turn only when it is not."""
    decoder, inflight = Decoder(), InflightCounter()
    busy = [True]
    transcriber = Transcriber(decoder, executor, inflight, cpu_behind=lambda: busy[0])
    transcriber.turn_started()
    first = transcriber.partial(audio(4000))
    assert first is not None
    decoder.release.set()
    await first
    await asyncio.sleep(0)
    assert transcriber.partial(audio(8000)) is None  # behind: the second one waits
    busy[0] = False
    second = transcriber.partial(audio(8000))
    assert second is not None
    await second
    busy[0] = True
    transcriber.turn_started()  # the next turn gets its first partial again
    await asyncio.sleep(0)
    third = transcriber.partial(audio(4000))
    assert third is not None
    await third
    assert decoder.calls == [4000, 8000, 4000]
