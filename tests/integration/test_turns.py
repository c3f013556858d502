"""The one turn loop with real parts: a recorded question heard by Silero VAD and faster-whisper,
the bank pack's dialog over the sandbox bank (real HTTP), Piper speaking, the avatar rendered
and muxed into an MP4 (the file transport's outbox). The event sequence of a turn is pinned the
way Home Assistant pins its pipeline runs: types and stages in order, timestamps monotonic.

A barge-in during a slow connector call (the sandbox's latency switch, a fault injected on
purpose) must leave no flow waiting for an answer that never comes."""

from __future__ import annotations

import asyncio
import time

import pytest

from avatar.egl import EGLUnavailableError
from connectors.router import Router
from engine.audio.decode import load_audio
from engine.config import AvatarConfig, EngineConfig
from engine.events import (
    Event,
    Interrupted,
    StageEvent,
    StageSpan,
    TTSAudio,
)
from engine.file_transport import FileOutbox, RecordedUtterance
from engine.hearing import Hearing
from engine.observers import EventBus
from engine.reply import ReplyHandle
from engine.show import Show
from engine.speaking import Speaker
from engine.turns import TurnRunner
from engine.voices import Voices
from tests.conftest import trained_dialog
from tests.support.sandbox import connector, inproc_logs, sandbox

__all__ = ["connector", "inproc_logs", "sandbox"]  # fixtures used by this module

pytestmark = pytest.mark.slow

CLIP = "audio/en/en_ljspeech_LJ001-0004_block_books.wav"
FAQ = "When are you open?"
#: Runs of these pairs are one entry in a pinned sequence (chunks and segments vary in number).
REPEATED = (("TTSAudio", "VisemeTrack"), ("SpeechStarted", "SpeechEnded"))


def token(event: Event) -> str:
    name = type(event).__name__
    if isinstance(event, StageEvent):
        return f"{event.stage}:{event.phase}"
    if isinstance(event, StageSpan):
        return f"{event.stage}:span"
    return name


def pinned(events: list[Event]) -> list[str]:
    """Event tokens in order, a run of a repeated pair kept once."""
    out: list[str] = []
    for tok in map(token, events):
        out.append(tok)
        if len(out) >= 4 and tuple(out[-2:]) in REPEATED and out[-4:-2] == out[-2:]:
            del out[-2:]
    return out


@pytest.fixture(scope="module")
def models(hearing: Hearing) -> tuple[Hearing, Voices]:
    """The models, the voices speaking live: the knowledge base's answers are prepared audio
    by default (engine.tts.prepared), made at once, so no reply here would be cut while its
    speech is still being made (a prepared reply's own barge-in has its test below)."""
    return hearing, Voices(EngineConfig(tts={"prepared_replies": False}).tts)


@pytest.fixture
def show(tmp_path):
    try:
        show = Show(AvatarConfig(width=128, height=128), tmp_path / "turn.mp4")
    except EGLUnavailableError as exc:
        pytest.skip(f"no EGL: {exc}")
    yield show
    show.abort()


def runner_for(connector: Router, show: Show, voices: Voices) -> tuple[TurnRunner, list[Event]]:
    events: list[Event] = []
    bus = EventBus()
    bus.subscribe(events.append)
    dialog = trained_dialog("bank").with_connector(connector).new_session("s1", "auto")
    outbox = FileOutbox(show)
    runner = TurnRunner(
        "s1", dialog=dialog, speaker=Speaker(voices, outbox, bus, "s1"), bus=bus, outbox=outbox
    )
    return runner, events


def assert_monotonic(events: list[Event]) -> None:
    times = [e.t_ns for e in events]
    assert times == sorted(times), "events out of time order"


@pytest.mark.needs_data
async def test_one_spoken_turn_as_a_pinned_event_sequence(
    connector, show, models, shared_data
) -> None:
    hearing, voices = models
    runner, events = runner_for(connector, show, voices)
    utterance = RecordedUtterance(
        hearing, load_audio(shared_data / CLIP), "auto", runner.bus, "s1", "s1-t1"
    )
    outcome = await runner.spoken_turn(ReplyHandle("s1-t1"), utterance, "auto")
    assert outcome is not None and "block books" in outcome.transcript.lower()
    replies = pinned(events).count("Reply")
    assert replies == len(outcome.replies) >= 1
    assert pinned(events) == [
        "vad:start",
        "vad:end",
        "endpoint:start",
        "endpoint:end",
        "SpeechStarted",
        "SpeechEnded",
        "EndOfTurn",
        "asr:start",
        "asr:end",
        "FinalTranscript",
        "dialog:span",
        *["Reply", "tts:start", "TTSAudio", "VisemeTrack", "tts:end"] * replies,
        "avatar:span",
        "send:span",
        "TurnMetrics",
    ]
    assert_monotonic(events)
    timings = outcome.metrics.as_dict()
    for stage in ("vad", "endpoint", "asr", "dialog", "tts", "avatar", "send"):
        assert timings[stage] is not None and timings[stage] >= 0, stage


async def test_one_barged_in_turn_as_a_pinned_event_sequence(connector, show, models) -> None:
    _, voices = models
    runner, events = runner_for(connector, show, voices)
    speaking = asyncio.Event()
    runner.bus.subscribe(lambda e: speaking.set() if isinstance(e, TTSAudio) else None)
    handle = ReplyHandle.start("s1-t1", lambda h: runner.typed_turn(h, FAQ, "auto"))
    await speaking.wait()  # the first sentence is out; the rest is being synthesized
    interrupted = runner.interrupt(handle, onset_s=time.monotonic(), reason="barge-in")
    await handle.wait()
    assert pinned(events) == [
        "dialog:span",
        "Reply",
        "tts:start",
        "TTSAudio",
        "VisemeTrack",
        "Interrupted",
        "TurnMetrics",  # marked interrupted: the figures the turn had
        "tts:end",
    ]
    assert_monotonic(events)
    assert isinstance(interrupted, Interrupted) and interrupted.reply_id == "s1-t1-r0"
    assert handle.interrupted.result().reason == "barge-in"


async def test_a_prepared_reply_is_cut_while_it_plays(connector, show) -> None:
    """The FAQ answer comes from the prepared-replies cache that setup builds: all of its
    speech is made at once (tts ends first), and a barge-in still cuts what has not played."""
    runner, events = runner_for(connector, show, Voices(EngineConfig().tts))
    speaking = asyncio.Event()
    runner.bus.subscribe(lambda e: speaking.set() if isinstance(e, TTSAudio) else None)
    handle = ReplyHandle.start("s1-t1", lambda h: runner.typed_turn(h, FAQ, "auto"))
    await speaking.wait()
    interrupted = runner.interrupt(handle, onset_s=time.monotonic(), reason="barge-in")
    await handle.wait()
    seen = pinned(events)
    assert isinstance(interrupted, Interrupted) and interrupted.reply_id == "s1-t1-r0"
    assert seen.index("tts:end") < seen.index("Interrupted"), seen


async def test_barge_in_during_a_slow_connector_call_leaves_no_flow_stuck(
    connector, sandbox, show, models
) -> None:
    _, voices = models
    runner, events = runner_for(connector, show, voices)
    asked = await runner.typed_turn(ReplyHandle("s1-t1"), "what's my balance", "auto")
    assert "last four digits" in asked.replies[0].text
    sandbox.set_faults("bank", {"latency_ms": 4000})  # the bank is slow to send the code
    handle = ReplyHandle.start("s1-t2", lambda h: runner.typed_turn(h, "4417", "auto"))
    await asyncio.sleep(1.0)  # bank.start_verification is in flight
    assert handle.active and not any(
        isinstance(e, StageSpan) and e.turn_id == "s1-t2" for e in events
    )
    runner.interrupt(handle, onset_s=time.monotonic(), reason="barge-in")
    await handle.wait()
    sandbox.set_faults("bank", None)
    again = await runner.typed_turn(ReplyHandle("s1-t3"), "4417", "auto")
    said = " ".join(r.text for r in again.replies)
    assert "ending in 1288" in said, said  # the flow goes on from the card digits
