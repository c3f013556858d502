"""engine.server.turn_taking.TurnTaking with a session that does not want a turn heard (a typed
turn's reply is under way): that speech is neither decoded nor answered, and the next speech is
heard as usual. Real endpointing decisions and transcriber; the decode is a stand-in that
records its calls (the scheduling is under test, not Whisper)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from engine.asr.whisper import DecodeControl, Transcript
from engine.events import EndOfTurn, PartialTranscript, SpeechEnded, SpeechStarted
from engine.observers import EventBus
from engine.server.endpointing import (
    Endpointer,
    EndpointSettings,
    Onset,
    PartialDue,
    SpeculateFinal,
    TurnEnded,
)
from engine.server.listening import Listener
from engine.server.transcribing import InflightCounter, Transcriber
from engine.server.turn_taking import LiveUtterance, TurnTaking


class Sink:
    """A session that hears only when ``hear`` says so, recording what reaches it."""

    def __init__(self) -> None:
        self.hear = True
        self.onsets: list[bool] = []
        self.turns: list[LiveUtterance] = []

    def speech_started(self, onset_s: float, barge_in: bool) -> bool:
        self.onsets.append(barge_in)
        return self.hear

    def turn_ended(self, utterance: LiveUtterance) -> None:
        self.turns.append(utterance)


class Events:
    def __init__(self) -> None:
        self.seen: list[object] = []

    def __call__(self, event: object) -> None:
        self.seen.append(event)

    def kinds(self) -> list[type]:
        return [type(e) for e in self.seen]


@pytest.fixture
def executor():
    pool = ThreadPoolExecutor(max_workers=1)
    yield pool
    pool.shutdown(wait=False, cancel_futures=True)


async def test_speech_the_session_does_not_hear_is_not_decoded_or_answered(executor) -> None:
    calls: list[int] = []

    def decode(audio: np.ndarray, control: DecodeControl) -> Transcript:
        calls.append(audio.size)
        return Transcript("hello", "en", -0.1, audio.size / 16.0)

    bus, events, sink = EventBus(), Events(), Sink()
    bus.subscribe(events)
    listener = Listener(Endpointer(EndpointSettings()), None, executor, lambda d, t: None)
    listener.buffer.append(np.zeros(48_000, np.float32))
    transcriber = Transcriber(decode, executor, InflightCounter())
    turn_ids = iter(f"s-t{n}" for n in range(1, 10))
    taking = TurnTaking("s", bus, listener, transcriber, lambda: next(turn_ids), sink, lambda: 0.0)

    sink.hear = False  # a typed answer is playing: sound in the hall is not a turn
    taking.on_decision(Onset(1_000, barge_in=True), 1.0)
    taking.on_decision(PartialDue(1_000, 20_000), 1.5)
    taking.on_decision(SpeculateFinal(1_000, 24_000), 2.0)
    taking.on_decision(TurnEnded(1_000, 30_000, 24_000), 2.5)
    assert sink.onsets == [True] and sink.turns == []
    assert calls == []  # nothing decoded: no partial, no speculative or final decode
    assert events.kinds() == [SpeechStarted, SpeechEnded]
    assert PartialTranscript not in events.kinds() and EndOfTurn not in events.kinds()

    sink.hear = True  # the answer is over: the next speech is a turn again
    taking.on_decision(Onset(32_000, barge_in=False), 3.0)
    taking.on_decision(TurnEnded(32_000, 46_000, 44_000), 4.0)
    (utterance,) = sink.turns
    assert utterance.span == (32_000, 46_000)
    assert (await utterance.decode.future).text == "hello"
    assert events.kinds()[-2:] == [SpeechEnded, EndOfTurn]
