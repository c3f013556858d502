"""A spoken one-time code heard from a recorded turn (``dhe converse --audio``, the file
transport's :meth:`engine.hearing.Hearing.hear`) is logged and published with every number
hidden whole when the dialog waits for the code (review19: the live server's turn taking did
so since fixes19 #1, but the recorded turn's ``engine.transcript`` line at ``-v`` still printed
``heard (en): 123456``). Real Piper voice, real Whisper tiny.en."""

from __future__ import annotations

import logging

import pytest

from benchmarks.digit_answers import speak, spoken
from engine.events import Event, FinalTranscript
from engine.hearing import Hearing
from engine.observers import EventBus
from engine.server.messages import serialise
from engine.tts.piper import PiperTTS

CODE = "483192"


def test_a_spoken_code_is_hidden_in_the_log_and_the_caption(
    hearing: Hearing, piper_voice_path, caplog: pytest.LogCaptureFixture
) -> None:
    audio = speak(PiperTTS(piper_voice_path), spoken(CODE, "en"), "en")
    bus, events = EventBus(), list[Event]()
    bus.subscribe(events.append)
    with caplog.at_level(logging.INFO, logger="engine.transcript"):
        heard = hearing.hear(audio, "en", bus, "s", "s-t1", "digits", code=True)
    digits = "".join(ch for ch in heard.text if ch.isdigit())
    assert len(digits) >= 4, heard.text  # Whisper wrote the code as digits
    assert "heard (en): " in caplog.text
    assert digits[:4] not in caplog.text.replace(" ", "")
    final = [e for e in events if isinstance(e, FinalTranscript)]
    assert len(final) == 1 and final[0].code
    shown = serialise(final[0])
    assert shown is not None and not any(ch.isdigit() for ch in shown["text"]), shown
