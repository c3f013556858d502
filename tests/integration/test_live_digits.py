"""A card tail said aloud at the card question, through a live session's own decoder.

The dialog's homophone reading (:func:`dialog.slot_values.extract_slot_value` at a ``digits``
slot) is tested on text in ``test_dialog_bank``; here the words come from real audio — Piper's
default voice saying the demo card's tail the way a hurried "four four" sounds, "for four one
seven" — decoded by :class:`engine.server.transcribing.SessionDecoder` (wired to the dialog
session's :meth:`~dialog.session.DialogSession.awaited_answer`, as
:func:`engine.server.hearing_parts.build_hearing` wires it for ``dhe serve``) under the
session's :class:`~engine.server.transcribing.Transcriber`, then answered by the dialog session
against the sandbox bank. The expected phone ending is read from the sandbox's SQLite.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest

from benchmarks.digit_answers import speak
from connectors.embedded import SandboxCluster
from connectors.router import Router
from dialog.entities import extract_digits
from dialog.session import DialogSession
from engine.asr.whisper import Transcript
from engine.hearing import Hearing
from engine.server.transcribing import InflightCounter, SessionDecoder, Transcriber
from engine.tts.piper import PiperTTS
from tests.conftest import trained_dialog
from tests.support.sandbox import connector, inproc_logs, sandbox, sandbox_rows

__all__ = ["connector", "inproc_logs", "sandbox"]  # fixtures used by this module

pytestmark = pytest.mark.slow

DEMO_LAST4 = "4417"


async def live_decode(session: DialogSession, hearing: Hearing, audio) -> tuple[str | None, str]:
    """One spoken turn's final decode as a live session makes it: the awaited slot type the
    decoder read, and the transcript."""
    seen: list[str | None] = []

    def awaited() -> str | None:
        seen.append(session.awaited_answer())
        return seen[-1]

    executor = ThreadPoolExecutor(max_workers=1)
    try:
        decoder = SessionDecoder(hearing, "en", awaited)
        heard: Transcript = (
            await Transcriber(decoder, executor, InflightCounter())
            .final((0, audio.size), audio)
            .future
        )
    finally:
        executor.shutdown()
    return seen[-1], heard.text


async def test_a_spoken_card_tail_is_read_at_the_card_question_only(
    connector: Router, sandbox: SandboxCluster, hearing: Hearing, piper_voice_path
) -> None:
    """fixes13: the live path had no test of its own. At the card question the decoder is
    told digits are awaited and "for 417" is the card 4417 (the sandbox texts the code to the
    demo customer's phone); the same audio with no question waiting reads no card."""
    voice = PiperTTS(piper_voice_path)
    # Piper samples its generator and duration noise afresh each run: with it on, Whisper heard
    # "for 417" three times in four and "for 1417" once, so the same audio would read no card.
    # Without it the audio, and so the transcript, is the same every run.
    voice.settings = replace(voice.settings, noise_scale=0.0, noise_w_scale=0.0)
    audio = speak(voice, "for four one seven", "en")
    phone = sandbox_rows(
        sandbox,
        "bank",
        "SELECT c.phone FROM customers c JOIN cards k ON k.customer_id = c.id WHERE k.last4 = ?",
        DEMO_LAST4,
    )[0][0]
    engine = trained_dialog("bank").with_connector(connector)

    asked = engine.new_session("live-digits-asked")
    await asked.handle_text("what's my balance")
    awaited, text = await live_decode(asked, hearing, audio)
    assert awaited == "digits"
    # the premise: written digits alone do not make the card of these words
    assert extract_digits(text, 4) != DEMO_LAST4, text
    turn = await asked.handle_text(text)
    assert asked.state.slots["card_last4"] == DEMO_LAST4, text
    assert f"ending in {phone[-4:]}" in " ".join(r.text for r in turn.replies)

    unasked = engine.new_session("live-digits-unasked")
    awaited, text_unasked = await live_decode(unasked, hearing, audio)
    assert awaited is None and text_unasked == text
    await unasked.handle_text(text_unasked)
    assert unasked.state.slots["card_last4"] is None
    assert unasked.state.slots["verification_id"] is None  # no code was sent for a card
