"""engine.turns.TurnRunner, the one turn loop, on the bank pack's knowledge base (no business
system needed) and the real Piper voice, onto an in-memory outbox (no device, no socket).

The hearing stage here hands the runner a given result (:class:`GivenHearing`): the loop is
under test, not ASR (tests/integration/test_turns.py runs it with real Whisper). A failing ASR
is a fault injected on purpose."""

from __future__ import annotations

import asyncio
import time

import pytest

from dialog import SessionClosedError, TrialStopped
from dialog.chat import take_turn
from engine.asr.whisper import ASRError, Transcript
from engine.config import EngineConfig
from engine.events import (
    STAGES,
    Event,
    Interrupted,
    Reply,
    StageError,
    StageEvent,
    StageSpan,
    TTSAudio,
    TurnMetrics,
)
from engine.foresight import Foresight, prepare
from engine.observers import EventBus
from engine.reply import ReplyHandle
from engine.speaking import Speaker
from engine.turns import APOLOGIES, Heard, TurnRunner
from engine.voices import Voices
from tests.conftest import trained_dialog
from tests.support.outbox import MemoryOutbox

FAQ = "When are you open?"  # several sentences from the knowledge base


class GivenHearing:
    """A hearing stage whose result is given (or whose ASR fails, on purpose)."""

    def __init__(self, result: Heard | ASRError) -> None:
        self.result = result

    async def hear(self) -> Heard:
        if isinstance(self.result, ASRError):
            raise self.result
        return self.result


@pytest.fixture(scope="module")
def voices() -> Voices:
    """The default voices speaking live: the knowledge base's answers are prepared audio by
    default (engine.tts.prepared), which this module's memory outbox takes in at once, so a
    reply could never be cut while its speech is still being made."""
    return Voices(EngineConfig(tts={"prepared_replies": False}).tts)


class Turn:
    """A runner over a fresh session, with every event it publishes."""

    def __init__(self, voices: Voices) -> None:
        self.events: list[Event] = []
        bus = EventBus()
        bus.subscribe(self.events.append)
        self.dialog = trained_dialog("bank").new_session("s1", "auto")
        self.outbox = MemoryOutbox()
        speaker = Speaker(voices, self.outbox, bus, "s1")
        self.runner = TurnRunner(
            "s1", dialog=self.dialog, speaker=speaker, bus=bus, outbox=self.outbox
        )

    def kinds(self) -> list[str]:
        out = []
        for e in self.events:
            name = type(e).__name__
            if isinstance(e, StageEvent | StageSpan):
                name += f":{e.stage}" + (f":{e.phase}" if isinstance(e, StageEvent) else "")
            if not out or out[-1] != name or name not in ("TTSAudio", "VisemeTrack"):
                out.append(name)
        return out


async def test_a_typed_turn_is_dialog_reply_speech_metrics(voices, caplog) -> None:
    caplog.set_level("INFO", logger="engine.turn_metrics")  # the logger README names
    turn = Turn(voices)
    handle = ReplyHandle("s1-t1")
    outcome = await turn.runner.typed_turn(handle, FAQ, "auto")
    kinds = turn.kinds()
    assert kinds[:4] == ["StageSpan:dialog", "Reply", "StageEvent:tts:start", "TTSAudio"]
    assert kinds[-2:] == ["StageEvent:tts:end", "TurnMetrics"]
    metrics = turn.events[-1]
    assert isinstance(metrics, TurnMetrics) and metrics.intent == "faq"
    timings = metrics.as_dict()
    assert list(timings) == [*STAGES, "tts_first_audio_ms"]  # a typed turn has no extras
    assert timings["dialog"] > 0 and timings["tts"] > 0 and timings["asr"] is None
    assert "9" in outcome.replies[0].text and outcome.intent == "faq"
    assert outcome.transcript == FAQ and outcome.heard_language is None
    assert handle.first_audio.done() and handle.played.done()
    audio = [e for e in turn.events if isinstance(e, TTSAudio)]
    assert sum(e.num_samples for e in audio) == turn.outbox.clock > 48_000  # seconds of speech
    assert [e.start_sample for e in audio] == [start for _, start, _ in turn.outbox.chunks]
    ts = [e.t_ns for e in turn.events]
    assert ts == sorted(ts)
    logged = [r.getMessage() for r in caplog.records if r.name == "engine.turn_metrics"]
    assert logged == [f"session s1 turn s1-t1 timings {timings}"]


async def test_a_reply_prepared_on_the_same_words_is_used_and_on_other_words_dropped(
    voices,
) -> None:
    turn = Turn(voices)
    words = Transcript("Thank you.", "en", -0.1, 900.0)  # a short reply
    audit = turn.dialog.audit
    foresight = Foresight.start((0, 1), turn.dialog, voices, words, "auto", lambda: None)
    prepared = await foresight.task
    assert prepared is not None and prepared.speech is not None
    assert turn.dialog.audit == audit  # the trial changed nothing yet
    heard = Heard(words, time.monotonic(), {}, noise=False)
    outcome = await turn.runner.spoken_turn(
        ReplyHandle("s1-t1"), GivenHearing(heard), "auto", foresight
    )
    assert outcome is not None and outcome.replies == tuple(prepared.turn.replies)
    assert len(turn.dialog.audit) > len(audit)  # the trial's turn is the session's now
    assert outcome.metrics.as_dict()["reply_prepared_ms"] is not None
    assert turn.kinds().index("StageSpan:dialog") < turn.kinds().index("StageEvent:tts:start")
    assert sum(isinstance(e, TTSAudio) for e in turn.events) >= 1
    # The visitor's final words differ from the pause's: the prepared reply is not said, the
    # turn is answered as usual, with its realtime timings.
    other = Turn(voices)
    foresight = Foresight.start((0, 1), other.dialog, voices, words, "auto", lambda: None)
    t_eos = time.monotonic() - 0.3  # the visitor stopped speaking 300 ms ago
    heard = Heard(
        Transcript("Goodbye.", "en", -0.1, 1200.0),
        t_eos,
        {"final_transcript_ms": 250.0},
    )
    outcome = await other.runner.spoken_turn(
        ReplyHandle("s1-t2"), GivenHearing(heard), "auto", foresight
    )
    assert outcome is not None and outcome.transcript == "Goodbye."
    assert outcome.heard_language == "en" and outcome.replies != tuple(prepared.turn.replies)
    timings = outcome.metrics.as_dict()
    assert "reply_prepared_ms" not in timings and timings["final_transcript_ms"] == 250.0
    assert 300.0 <= timings["reply_text_ms"] <= timings["reply_first_audio_ms"]


async def test_no_reply_is_prepared_where_the_turn_calls_the_bank(voices) -> None:
    session = trained_dialog("bank").new_session("s-trial", "en")
    await session.handle_text("What's my balance?")  # the flow now asks for the card digits
    state, audit = session.state, session.audit
    with pytest.raises(TrialStopped):  # the digits would send a code: a connector call
        await take_turn(session.trial(), "4417")
    words = Transcript("4417", "en", -0.1, 900.0)
    assert await prepare(session, voices, words, "auto", lambda: None) is None
    assert session.state is state and session.audit == audit  # the trials changed nothing


async def test_noise_gets_no_reply(voices) -> None:
    turn = Turn(voices)
    heard = Heard(Transcript("", "en", None, 300.0), time.monotonic(), noise=True)
    assert await turn.runner.spoken_turn(ReplyHandle("s1-t1"), GivenHearing(heard), "auto") is None
    assert turn.events == [] and turn.outbox.chunks == []


async def test_a_failing_stage_is_one_error_event_and_a_spoken_apology(voices) -> None:
    turn = Turn(voices)
    failure = ASRError("model-not-found", "whisper-tiny.en is not unpacked")
    outcome = await turn.runner.spoken_turn(ReplyHandle("s1-t1"), GivenHearing(failure), "auto")
    errors = [e for e in turn.events if isinstance(e, StageError)]
    assert [(e.stage, e.code) for e in errors] == [("asr", "model-not-found")]
    replies = [e for e in turn.events if isinstance(e, Reply)]
    assert [r.text for r in replies] == [APOLOGIES["en"]] and replies[0].emotion == "apologetic"
    assert turn.outbox.chunks  # the apology was spoken
    assert isinstance(turn.events[-1], TurnMetrics) and turn.events[-1].intent is None
    assert outcome is not None and outcome.intent is None
    assert turn.kinds()[0] == "StageError"  # before anything of the apology


async def test_a_dialog_that_raises_costs_one_turn_not_the_session(voices, monkeypatch) -> None:
    """A fault injected on purpose: the dialog raises on one line (as an impossible date once
    did). That turn gets a dialog error event and the spoken apology; the next line is answered
    by the same session, its slots intact."""
    turn = Turn(voices)
    turn.dialog.state.slots["card_last4"] = "4417"
    real = turn.dialog.handle_text

    async def broken(text: str, **kwargs):
        if text == "30 February":
            raise ValueError("day is out of range for month")
        return await real(text, **kwargs)

    monkeypatch.setattr(turn.dialog, "handle_text", broken)
    outcome = await turn.runner.typed_turn(ReplyHandle("s1-t1"), "30 February", "en")
    errors = [e for e in turn.events if isinstance(e, StageError)]
    assert [(e.stage, e.code, e.message) for e in errors] == [("dialog", "internal", "ValueError")]
    assert [r.text for r in outcome.replies] == [APOLOGIES["en"]] and turn.outbox.chunks
    outcome = await turn.runner.typed_turn(ReplyHandle("s1-t2"), FAQ, "en")
    assert outcome.intent == "faq" and "9" in outcome.replies[0].text
    assert turn.dialog.state.slots["card_last4"] == "4417"


async def test_a_closed_session_is_not_apologised_for(voices) -> None:
    """The catch-all above is for defects: a turn racing the session's close still raises."""
    turn = Turn(voices)
    turn.dialog.close()
    with pytest.raises(SessionClosedError):
        await turn.runner.typed_turn(ReplyHandle("s1-t1"), FAQ, "en")
    assert not [e for e in turn.events if isinstance(e, StageError)]


async def test_an_interrupted_reply_stops_where_it_is_and_says_so(voices) -> None:
    turn = Turn(voices)
    speaking = asyncio.Event()
    turn.runner.bus.subscribe(lambda e: speaking.set() if isinstance(e, TTSAudio) else None)
    handle = ReplyHandle.start("s1-t1", lambda h: turn.runner.typed_turn(h, FAQ, "auto"))
    await speaking.wait()
    event = turn.runner.interrupt(handle, onset_s=time.monotonic(), reason="barge-in")
    await handle.wait()
    assert isinstance(event, Interrupted) and event.reply_id == "s1-t1-r0"
    assert event.played_samples == turn.outbox.cuts[0]
    assert handle.task is not None and handle.task.cancelled()
    after = turn.events[turn.events.index(event) + 1 :]
    # the figures the turn had (the debug table's column), then only the tts stage's end
    assert [type(e).__name__ for e in after] == ["TurnMetrics", "StageEvent"]
    metrics = after[0]
    assert isinstance(metrics, TurnMetrics) and metrics.interrupted and metrics.intent == "faq"
    timings = metrics.as_dict()
    assert timings["dialog"] > 0 and timings["tts"] is None  # tts was still under way
    assert [e for e in turn.events if isinstance(e, TurnMetrics)] == [metrics]
    assert turn.runner.interrupt(handle) is None  # nothing left to cut
