"""What the camera sees, as the dialog takes it, against the sandbox bank over real HTTP:
a thumbs up answers a yes/no confirmation (the ticket is in the bank's database, the audit
says "confirmed by gesture"), a gesture anywhere else changes nothing, and frustration or
sadness at a turn brings an empathetic line and the offer of a person (both languages)."""

from __future__ import annotations

import pytest

from connectors.embedded import SandboxCluster
from connectors.router import Router
from dialog import DialogEngine
from dialog.chat import take_turn
from tests.conftest import trained_dialog
from tests.support.sandbox import connector, inproc_logs, sandbox, sandbox_rows

__all__ = ["connector", "inproc_logs", "sandbox"]  # fixtures used by this module


@pytest.fixture
def engine(connector: Router) -> DialogEngine:
    return trained_dialog("bank").with_connector(connector)


def _tickets(cluster: SandboxCluster) -> int:
    return sandbox_rows(cluster, "bank", "SELECT COUNT(*) FROM queue_tickets")[0][0]


async def test_thumbs_up_confirms_a_queue_number(
    engine: DialogEngine, sandbox: SandboxCluster
) -> None:
    session = engine.new_session("t-gesture-yes")
    assert not session.accepts_gesture("Thumb_Up")  # nothing asked yet
    nothing = await session.handle_gesture("Thumb_Up")
    assert nothing.replies == [] and session.state.stack == ()
    await session.handle_text("I need a queue number")
    turn = await session.handle_text("cash")
    assert turn.replies[-1].card and turn.replies[-1].card["kind"] == "confirm"
    # a thumbs up is not a counter service: at the service question it would mean nothing,
    # at the confirmation it is the answer
    assert session.accepts_gesture("Thumb_Up") and session.accepts_gesture("Thumb_Down")
    assert not session.accepts_gesture("Victory") and not session.accepts_gesture("Wave")
    before = _tickets(sandbox)
    turn = await session.handle_gesture("Thumb_Up")
    ticket = next(r.card for r in turn.replies if r.card and r.card["kind"] == "queue_ticket")
    assert _tickets(sandbox) == before + 1 and ticket["number"]
    audit = [(e.kind, e.detail) for e in session.audit]
    assert ("gesture", "confirmed by gesture") in audit
    session.close()
    assert not session.accepts_gesture("Thumb_Up")


async def test_thumbs_down_declines_the_queue_number(engine: DialogEngine) -> None:
    session = engine.new_session("t-gesture-no")
    await session.handle_text("I need a queue number")
    await session.handle_text("cards")
    turn = await session.handle_gesture("Thumb_Down")
    assert "queue" in turn.reply_text.lower() or "number" in turn.reply_text.lower()
    assert not [r for r in turn.replies if r.card and r.card["kind"] == "queue_ticket"]
    assert ("gesture", "declined by gesture") in [(e.kind, e.detail) for e in session.audit]
    session.close()


@pytest.mark.parametrize(
    ("language", "question", "emotion", "words"),
    [
        ("en", "What are your opening hours?", "angry", "frustrating"),
        ("en", "What are your opening hours?", "sad", "sorry"),
        ("zh", "你们几点开门？", "angry", "转人工服务"),
    ],
)
async def test_frustration_or_sadness_brings_empathy_once_per_episode(
    engine: DialogEngine, language: str, question: str, emotion: str, words: str
) -> None:
    session = engine.new_session(f"t-empathy-{language}-{emotion}", language)
    calm = await take_turn(session, question, emotion="neutral")
    upset = await take_turn(session, question, emotion=emotion)
    assert len(upset.replies) == len(calm.replies) + 1
    line = upset.replies[0]
    assert words in line.text and line.emotion == "concerned" and line.language == language
    assert [r.text for r in upset.replies[1:]] == [r.text for r in calm.replies]
    assert all(r.emotion != "happy" for r in upset.replies)
    again = await take_turn(session, question, emotion=emotion)  # still upset: said once
    assert len(again.replies) == len(calm.replies)
    await take_turn(session, question, emotion="neutral")
    later = await take_turn(session, question, emotion=emotion)  # a new episode
    assert later.replies[0].text == line.text
    no_camera = await take_turn(session, question)
    assert [r.text for r in no_camera.replies] == [r.text for r in calm.replies]
    session.close()


@pytest.mark.parametrize("emotion", ["angry", "sad"])
async def test_a_visitor_who_arrives_frowning_is_greeted_without_a_smile_or_wave(
    engine: DialogEngine, emotion: str
) -> None:
    """newcomer10: a visitor read as angry at arrival got the greeting's broad smile and wave.
    The greeting now takes the emotion known at arrival: the empathetic line first, a concerned
    face, no wave; a calm or unseen visitor gets the greeting as written."""
    session = engine.new_session(f"t-greet-{emotion}", "en")
    plain = await session.greet()
    assert [(r.emotion, r.gesture) for r in plain.replies] == [("happy", "wave")]
    assert (await session.greet("neutral")).replies == plain.replies
    upset = await session.greet(emotion)
    assert [r.text for r in upset.replies[1:]] == [plain.replies[0].text]
    assert upset.replies[0].emotion == "concerned"
    assert all(r.emotion != "happy" and r.gesture != "wave" for r in upset.replies)
    session.close()
