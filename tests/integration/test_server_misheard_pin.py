"""A PIN whose cue word ASR mishears is hidden in the log and the caption (fixes19 #1).

"my pin is 4831" heard as "my pill is 4831" was logged at ``-v`` (``engine.transcript … heard
(en): my pill is 4831``) and shown in the caption in clear: the PIN's mask read only the word
"pin". A real ``dhe serve -v`` (English only), an aiortc visitor whose microphone plays Piper's
default voice saying the line (noise off, so the audio is the same every run); real
faster-whisper hears it. The PIN's digits must be in neither the caption, nor the log, nor the
reply; the reply warns about telling a PIN.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from benchmarks.digit_answers import speak
from engine.tts.piper import PiperTTS
from tests.support.server_process import ENGLISH_ONLY, ServerProcess
from tests.support.visitor import VisitorClient
from tests.support.visitor_mic import to_48k

pytestmark = [pytest.mark.slow]

PIN = "4831"


@pytest.fixture(scope="module")
def server():
    proc = ServerProcess(args=["-v"], settings=ENGLISH_ONLY)
    proc.start()
    yield proc
    proc.stop()


async def test_a_pin_under_a_misheard_cue_is_hidden(server, piper_voice_path) -> None:
    voice = PiperTTS(piper_voice_path)
    voice.settings = replace(voice.settings, noise_scale=0.0, noise_w_scale=0.0)
    clip = speak(voice, "My pill is 4 8 3 1.", "en")
    client = VisitorClient(server.base_url, decode_video=False)
    await client.connect()
    try:
        await client.wait_event(lambda m: m.get("type") == "state", timeout=30)
        client.mic.say(to_48k(clip))
        final = await client.wait_event(
            lambda m: m.get("type") == "transcript" and m.get("final"), timeout=90
        )
        reply = await client.wait_event(lambda m: m.get("type") == "reply", timeout=60)
    finally:
        await client.close()
    heard = [line for line in server.log if "heard (en)" in line]
    print(final["text"], "|", heard, "|", reply["text"])
    assert "••••" in final["text"] and PIN not in final["text"], final
    assert not any(c.isdigit() for c in final["text"].replace(" ", "")), final
    assert heard and all(PIN not in line and "••••" in line for line in heard), heard
    assert not any(PIN in line for line in server.log)
    assert PIN not in reply["text"] and "PIN" in reply["text"], reply
