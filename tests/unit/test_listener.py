"""engine.server.listening.Listener on a real recorded clip (LJ Speech, ../shared/data), fed
through an in-memory track: 48 kHz Opus-rate frames → 16 kHz → Silero VAD → endpointing
decisions. No network, no peer connection; the avatar's busy state is set on the listener the
way the session sets it from its reply handle, never asked per window."""

from __future__ import annotations

import fractions
from concurrent.futures import ThreadPoolExecutor

import av
import numpy as np
import pytest
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from engine.audio.decode import load_audio
from engine.audio.vad import SileroVAD, SpeechSegmenter, speech_segments
from engine.server.endpointing import (
    Decision,
    Endpointer,
    EndpointSettings,
    Onset,
    SpeculateFinal,
    TurnEnded,
)
from engine.server.listening import REANCHOR_S, Listener
from tests.support.visitor_mic import FRAME, RATE_HZ, to_48k

pytestmark = pytest.mark.needs_data

CLIP = "audio/en/en_ljspeech_LJ001-0004_block_books.wav"


class ClipTrack(MediaStreamTrack):
    """A microphone that plays ``pcm`` (int16, 48 kHz) as 20 ms frames, unpaced, then ends."""

    kind = "audio"

    def __init__(self, pcm: np.ndarray) -> None:
        super().__init__()
        self._pcm = pcm
        self._n = 0

    async def recv(self) -> av.AudioFrame:
        start = self._n * FRAME
        if start >= self._pcm.size:
            raise MediaStreamError
        chunk = np.zeros(FRAME, np.int16)
        part = self._pcm[start : start + FRAME]
        chunk[: part.size] = part
        frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate, frame.pts = RATE_HZ, start
        frame.time_base = fractions.Fraction(1, RATE_HZ)
        self._n += 1
        return frame


@pytest.fixture(scope="module")
def speech(shared_data) -> np.ndarray:
    """The clip at 16 kHz with 1.2 s of silence after it (the end of the visitor's turn)."""
    clip = load_audio(shared_data / CLIP)
    return np.concatenate([clip, np.zeros(int(1.2 * 16000), np.float32)])


@pytest.fixture(scope="module")
def executor():
    pool = ThreadPoolExecutor(max_workers=1)
    yield pool
    pool.shutdown()


async def listen(speech: np.ndarray, executor, *, avatar_busy: bool) -> tuple[Listener, list]:
    decisions: list[Decision] = []
    listener = Listener(
        Endpointer(EndpointSettings(speculative_after_ms=120.0)),
        None,
        executor,
        lambda decision, t_end: decisions.append(decision),
    )
    listener.avatar_busy = avatar_busy
    await listener.run(ClipTrack(to_48k(speech)))
    return listener, decisions


async def test_a_spoken_turn_is_an_onset_a_speculation_and_an_end(speech, executor) -> None:
    listener, decisions = await listen(speech, executor, avatar_busy=False)
    kinds = [type(d).__name__ for d in decisions]
    assert kinds[0] == "Onset" and kinds[-1] == "TurnEnded", kinds
    assert kinds.count("Onset") == kinds.count("TurnEnded") >= 1
    onset = decisions[0]
    assert isinstance(onset, Onset) and onset.barge_in is False
    # The offline segmenter over the same audio places the speech where the stream found it.
    offline = speech_segments(SileroVAD().process(speech), SpeechSegmenter())
    assert abs(onset.start_sample - offline[0][0]) <= 0.25 * 16000
    end = decisions[-1]
    assert isinstance(end, TurnEnded)
    assert abs(end.speech_end_sample - offline[-1][1]) <= 0.25 * 16000
    assert end.end_sample > end.speech_end_sample > end.start_sample
    # the final decode started during the endpoint wait, for the audio the turn ended with
    speculations = [d for d in decisions if isinstance(d, SpeculateFinal)]
    assert (speculations[-1].start_sample, speculations[-1].end_sample) == (
        end.start_sample,
        end.end_sample,
    )
    # every sample kept, addressed by stream position (the last 20 ms frame is zero-padded)
    assert 0 <= listener.buffer.end - speech.size < 320
    assert listener.vad_ms > 0.0


async def test_while_the_avatar_is_busy_an_onset_is_a_barge_in(speech, executor) -> None:
    _, decisions = await listen(speech, executor, avatar_busy=True)
    onsets = [d for d in decisions if isinstance(d, Onset)]
    assert onsets and all(o.barge_in for o in onsets)


def test_the_arrival_clock_comes_back_after_a_stall(executor) -> None:
    """A 1 s stall delays 50 frames, read in a burst; frames on time again bring the echo
    guard's arrival clock back within REANCHOR_S of their arrival (it stayed 1 s late)."""
    listener = Listener(Endpointer(EndpointSettings()), None, executor, lambda d, t: None)
    frame = np.zeros(320, np.float32)  # 20 ms at 16 kHz
    now_s = 100.0
    for _ in range(50):
        now_s += 0.02
        listener._arrived(now_s, frame)
    now_s += 1.0  # the loop stalls: the next 50 frames wait in the receiver
    for _ in range(50):
        listener._arrived(now_s, frame)
    assert listener.time_of(listener.buffer.end) >= now_s - 1e-6  # late, as they arrived
    for _ in range(50):
        now_s += 0.02
        listener._arrived(now_s, frame)
    assert 0.0 <= listener.time_of(listener.buffer.end) - now_s <= REANCHOR_S
    assert abs(listener.earliest_time_of(listener.buffer.end) - now_s) < 1e-6
