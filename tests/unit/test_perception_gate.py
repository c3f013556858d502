"""The sans-IO pieces that put perception into a live session: the speaker gate (is an onset
the visitor's?), its place between the endpointer and turn taking, and the reactions policy
(what the session does about what the camera sees). Times are given by hand: these cores are
about time windows; the real models on real clips are in tests/integration."""

from __future__ import annotations

import asyncio

import pytest

from engine.events import EmotionChanged, GestureDetected, PresenceChanged, SpeakerCheck
from engine.observers import EventBus
from engine.perception.reactions import (
    AnswerGesture,
    Express,
    Greet,
    Leave,
    SessionView,
    StopReply,
    react,
)
from engine.perception.speaker import SpeakerGate
from engine.server.endpointing import Onset, OnsetPending, PartialDue, TurnEnded
from engine.server.speaker_gate import GatedDecisions

TALKING = [0.002, 0.04, 0.01, 0.06, 0.02, 0.05, 0.003, 0.045]  # lip gaps, articulating
STILL = [0.02, 0.021, 0.02, 0.019, 0.02, 0.021, 0.02, 0.02]  # resting, slightly open


def _gate(gaps: list[float | None], *, present: bool = True, step_s: float = 0.125) -> SpeakerGate:
    gate = SpeakerGate(present=present)
    for i, gap in enumerate(gaps):
        gate.frame(i * step_s, gap)
    return gate


def test_gate_admits_moving_lips_and_refuses_still_ones():
    onset = 0.3
    talking = _gate(TALKING).judge(onset, 1.0)
    assert (talking.verdict, talking.reason) == ("admit", "lips move") and talking.score == 1.0
    still = _gate(STILL).judge(onset, 1.0)
    assert (still.verdict, still.reason) == ("refuse", "lips still") and still.score < 0.2


def test_gate_waits_for_video_that_covers_the_onset_but_not_forever():
    gate = _gate(TALKING[:4])  # frames up to 0.375 s
    assert gate.judge(0.3, 0.55).verdict == "wait"  # no frame from 0.3 + cover_s yet
    assert gate.judge(0.3, 0.3 + gate.max_wait_s).verdict != "wait"  # the camera stalled
    assert gate.judge(0.3, 0.55, final=True).verdict != "wait"  # the speech is over


def test_gate_waits_longer_for_video_on_a_busy_cpu():
    slow = _gate(STILL[:3], step_s=0.5)  # 2 fps: frames at 0, 0.5, 1.0 s
    assert slow.wait_limit_s() == pytest.approx(3 * 0.5 + slow.cover_s)
    assert slow.judge(0.9, 0.9 + slow.max_wait_s).verdict == "wait"  # one face frame so far
    for i, gap in enumerate(STILL[3:6], start=3):
        slow.frame(i * 0.5, gap)
    assert slow.judge(0.9, 2.5).verdict == "refuse"  # judged on the still lips, not admitted
    assert _gate(STILL, step_s=0.1).wait_limit_s() == slow.max_wait_s
    assert _gate(STILL, step_s=2.0).wait_limit_s() == slow.max_wait_cap_s


def test_gate_without_camera_admits_and_without_a_visitor_refuses():
    assert SpeakerGate().judge(1.0, 1.5).reason == "no camera"
    stale = _gate(STILL)  # last frame at 0.875 s
    assert stale.judge(2.0, 2.0 + stale.stale_s + 0.1).verdict == "admit"
    nobody = _gate([None] * 8, present=False).judge(0.3, 1.0)
    assert (nobody.verdict, nobody.reason) == ("refuse", "nobody at the screen")
    # the visitor is there but turned away: the gate waits for a face as long as it may, then
    # nothing to judge by: their speech counts
    turned = _gate([None] * 8)
    assert turned.judge(0.3, 1.0).verdict == "wait"
    away = turned.judge(0.3, 0.3 + turned.max_wait_s)
    assert (away.verdict, away.reason) == ("admit", "face not seen (0 of 8 frames)")
    gate = _gate(STILL)
    gate.reset()  # consent withdrawn
    assert gate.judge(0.3, 1.0).reason == "no camera"


class _Turns:
    """Records what reaches turn taking, and how often the endpointer was told to forget."""

    def __init__(self) -> None:
        self.decisions: list[object] = []
        self.forgotten = 0

    def forward(self, decision: object, t_end: float) -> None:
        self.decisions.append(decision)

    def forget(self) -> None:
        self.forgotten += 1


def _gated(
    gate: SpeakerGate, clock, t0: float = 0.0
) -> tuple[GatedDecisions, _Turns, list[SpeakerCheck]]:
    """The gate between a recording endpointer and turn taking; stream sample n arrived at
    ``t0 + n / 16000``."""
    turns, bus, checks = _Turns(), EventBus(), []
    bus.subscribe(lambda e: checks.append(e) if isinstance(e, SpeakerCheck) else None)
    time_of = lambda sample: t0 + sample / 16000  # noqa: E731
    gated = GatedDecisions("s1", bus, gate, turns.forward, turns.forget, time_of, clock)
    return gated, turns, checks


def test_decisions_pass_unchanged_without_camera():
    async def run() -> _Turns:
        gated, turns, _ = _gated(SpeakerGate(), lambda: 1.0)
        for d in (Onset(4800, False), PartialDue(0, 9600), TurnEnded(0, 16000, 14000)):
            gated.on_decision(d, 1.0)
        return turns

    turns = asyncio.run(run())
    assert [type(d).__name__ for d in turns.decisions] == ["Onset", "PartialDue", "TurnEnded"]


def test_an_onset_is_held_until_video_covers_it_then_passes_in_order():
    async def run() -> tuple[_Turns, list]:
        clock = [0.55]
        gate = _gate(TALKING[:4])  # video up to 0.375 s; the onset is at 0.3 s
        gated, turns, checks = _gated(gate, lambda: clock[0])
        gated.on_decision(Onset(4800, False), 0.55)
        gated.on_decision(PartialDue(2400, 9600), 0.6)
        assert turns.decisions == []  # held: the video does not show the onset yet
        for i, gap in enumerate(TALKING[4:], start=4):
            gate.frame(i * 0.125, gap)
            clock[0] = i * 0.125 + 0.05
            gated.frame_analysed()
        gated.on_decision(TurnEnded(2400, 16000, 14000), 1.0)
        return turns, checks

    turns, checks = asyncio.run(run())
    assert [type(d).__name__ for d in turns.decisions] == ["Onset", "PartialDue", "TurnEnded"]
    assert [c.visitor_speaking for c in checks] == [True]


def test_a_refused_onset_reaches_nobody_and_the_speech_is_forgotten():
    async def run() -> tuple[_Turns, list]:
        gate = _gate(STILL)
        gated, turns, checks = _gated(gate, lambda: 1.0)
        gated.on_decision(Onset(4800, True), 1.0)  # a barge-in by a passer-by
        return turns, checks

    turns, checks = asyncio.run(run())
    assert turns.decisions == [] and turns.forgotten == 1
    assert [c.visitor_speaking for c in checks] == [False]


def test_a_reply_silenced_by_a_refused_barge_in_plays_on():
    async def run() -> _Turns:
        gated, turns, _ = _gated(_gate(STILL), lambda: 1.0)
        gated.on_decision(OnsetPending(4800), 0.9)  # holds (silences) the avatar's reply
        gated.on_decision(Onset(4800, True), 1.0)  # the passer-by's: refused
        return turns

    turns = asyncio.run(run())
    assert [type(d).__name__ for d in turns.decisions] == ["OnsetPending", "OnsetDropped"]


def test_a_held_onset_is_decided_when_the_wait_runs_out():
    async def run() -> tuple[_Turns, list]:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        gate = SpeakerGate(present=True, max_wait_s=0.2, max_wait_cap_s=0.2)
        for i, gap in enumerate(TALKING[:3]):  # the camera stalls after 0.25 s
            gate.frame(t0 + i * 0.125, gap)
        gated, turns, checks = _gated(gate, loop.time, t0)
        gated.on_decision(Onset(4000, False), loop.time())  # speech from t0 + 0.25 s
        assert turns.decisions == []
        await asyncio.sleep(0.6)
        return turns, checks

    turns, checks = asyncio.run(run())
    assert [type(d).__name__ for d in turns.decisions] == ["Onset"]
    assert len(checks) == 1


@pytest.mark.parametrize(
    ("event", "view", "accepts", "expected"),
    [
        (PresenceChanged(session_id="s", present=True), SessionView(False, False), False, Greet()),
        # arriving while a typed question is answered, or after talking already: no greeting
        (PresenceChanged(session_id="s", present=True), SessionView(True, False), False, None),
        (PresenceChanged(session_id="s", present=True), SessionView(False, True), False, None),
        (PresenceChanged(session_id="s", present=False), SessionView(True, True), False, Leave()),
        (GestureDetected(session_id="s", name="Open_Palm", score=0.9, hand="Right"),
         SessionView(True, True), False, StopReply()),
        (GestureDetected(session_id="s", name="Open_Palm", score=0.9, hand="Right"),
         SessionView(False, True), False, None),
        (GestureDetected(session_id="s", name="Wave", score=0.9, hand="Left"),
         SessionView(False, False), False, Greet()),
        # newcomer11: every Wave of a waving visitor restarted the whole greeting
        (GestureDetected(session_id="s", name="Wave", score=0.9, hand="Left"),
         SessionView(False, True), False, Express("happy")),
        (GestureDetected(session_id="s", name="Wave", score=0.9, hand="Left"),
         SessionView(True, True), False, None),
        (GestureDetected(session_id="s", name="Thumb_Up", score=0.8, hand="Right"),
         SessionView(True, True), True, AnswerGesture("Thumb_Up")),
        (GestureDetected(session_id="s", name="Thumb_Up", score=0.8, hand="Right"),
         SessionView(False, True), False, None),
        (GestureDetected(session_id="s", name="Victory", score=0.8, hand="Right"),
         SessionView(False, True), False, None),
        (EmotionChanged(session_id="s", emotion="angry", score=0.4), SessionView(True, True),
         False, Express("concerned")),
        (EmotionChanged(session_id="s", emotion="sad", score=0.4), SessionView(False, True),
         False, Express("concerned")),
        (EmotionChanged(session_id="s", emotion="happy", score=0.5), SessionView(False, True),
         False, Express("happy")),
        # a reply keeps its own face unless the visitor frowns
        (EmotionChanged(session_id="s", emotion="happy", score=0.5), SessionView(True, True),
         False, None),
    ],
)  # fmt: skip
def test_reactions_policy(event, view, accepts, expected):
    assert react(event, view, lambda name: accepts) == expected
