"""A bank's own speech server (engine/tts/openai_speech.py) against a scripted stand-in that
speaks real HTTP on 127.0.0.1 (aiohttp): audio formats, the key, the per-sentence deadline and
the offline fallback. The stand-in's slow and failing answers are faults injected on purpose;
its audio is real speech (espeak-ng's English voice, a voice unlike the fallback's Mandarin)."""

from __future__ import annotations

import asyncio
import io
import logging
import time
import wave
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import numpy as np
import pytest
from aiohttp import web

from engine.show import resample_pcm
from engine.tts.base import TTSChunk, TTSError
from engine.tts.espeak import EspeakTTS
from engine.tts.openai_speech import OpenAISpeechTTS

KEY = "sk-test-7f3a9c1e5b2d4f60"  # a made-up key: it must never reach a log line
TEXT = "您好，欢迎光临。请问需要办理什么业务？"


@dataclass
class _Server:
    """Scripted speech endpoint: answers each POST per ``mode`` and records the requests."""

    speech: bytes  # int16 mono PCM at 16 kHz
    mode: str = "wav"
    requests: list[dict] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append({"body": body, "auth": request.headers.get("Authorization")})
        if self.mode == "hang":  # answers long after any deadline (teardown waits for it)
            await asyncio.sleep(3)
        if self.mode in ("500", "401"):
            return web.json_response({"error": {"message": "no"}}, status=int(self.mode))
        if body["response_format"] == "pcm":  # OpenAI: raw int16 at 24 kHz
            return web.Response(body=resample_pcm(self.speech, 16_000, 24_000).tobytes())
        buf = io.BytesIO()
        with wave.open(buf, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(16_000)
            out.writeframes(self.speech)
        return web.Response(body=buf.getvalue(), content_type="audio/wav")


@pytest.fixture(scope="module")
def speech(espeak: EspeakTTS) -> bytes:
    """One second-ish of real English speech at 16 kHz (espeak-ng en-us)."""
    english = EspeakTTS(voices={"en": "en-us"})
    (chunk,) = english.synthesize_all("Good morning.", "en")
    return resample_pcm(chunk.pcm, chunk.sample_rate, 16_000).tobytes()


@pytest.fixture
async def server(speech: bytes) -> AsyncIterator[_Server]:
    script = _Server(speech)
    app = web.Application()
    app.router.add_post("/v1/audio/speech", script.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    script.url = f"http://127.0.0.1:{port}/v1"
    yield script
    await runner.cleanup()


def _voice(server: _Server, fallback: EspeakTTS, **kw) -> OpenAISpeechTTS:
    return OpenAISpeechTTS(server.url, "tts-1", "zh-female-1", fallback, **kw)


async def _speak(tts: OpenAISpeechTTS, text: str = TEXT) -> list[TTSChunk]:
    try:
        return [c async for c in tts.synthesize(text, "zh")]
    finally:
        await tts.aclose()


@pytest.mark.parametrize("fmt", ["wav", "pcm"])
async def test_server_audio_is_spoken_and_lip_synced(
    server: _Server, espeak: EspeakTTS, speech: bytes, fmt: str, monkeypatch, caplog
) -> None:
    monkeypatch.setenv("DHE_TEST_TTS_KEY", KEY)
    caplog.set_level(logging.DEBUG)
    tts = _voice(server, espeak, api_key_env="DHE_TEST_TTS_KEY", response_format=fmt)
    chunks = await _speak(tts)
    assert tts.counts == {"online": 2, "fallback": 0}
    assert [c.text for c in chunks] == espeak.split(TEXT)  # cut as the fallback cuts
    assert [r["body"]["input"] for r in server.requests] == [c.text for c in chunks]
    first = server.requests[0]
    assert first["auth"] == f"Bearer {KEY}"
    assert {k: first["body"][k] for k in ("model", "voice", "response_format")} == {
        "model": "tts-1",
        "voice": "zh-female-1",
        "response_format": fmt,
    }
    want_s = len(speech) / 2 / 16_000
    for chunk in chunks:
        assert chunk.sample_rate == espeak.sample_rate
        assert abs(chunk.duration_s - want_s) < 0.02, (chunk.duration_s, want_s)
        samples = np.frombuffer(chunk.pcm, dtype="<i2").astype(np.float64)
        assert np.sqrt(np.mean(samples**2)) > 500  # the server's speech, not silence
        # mouth shapes of the Mandarin sentence, stretched over the server's audio
        assert abs(chunk.visemes.num_samples - chunk.num_samples) <= 1
        assert {"aa", "sil"} <= {c.viseme for c in chunk.visemes.cues}
    assert KEY not in caplog.text and KEY not in repr(tts)


async def test_slow_server_falls_back_within_the_deadline(
    server: _Server, espeak: EspeakTTS
) -> None:
    server.mode = "hang"
    tts = _voice(server, espeak, deadline_s=0.5)
    t0 = time.perf_counter()
    chunks = await _speak(tts)
    elapsed = time.perf_counter() - t0
    assert tts.counts == {"online": 0, "fallback": 2}
    assert len(server.requests) == 1  # the second sentence skipped the server (cool-down)
    assert elapsed < 0.5 + 2.0, elapsed  # one deadline, not one per sentence
    offline = espeak.synthesize_all(TEXT, "zh")
    for got, want in zip(chunks, offline, strict=True):
        assert got.text == want.text
        assert abs(got.duration_s - want.duration_s) < 0.1 * want.duration_s


@pytest.mark.parametrize("status", ["500", "401"])
async def test_error_status_falls_back(
    server: _Server, espeak: EspeakTTS, status: str, monkeypatch, caplog
) -> None:
    monkeypatch.setenv("DHE_TEST_TTS_KEY", KEY)
    server.mode = status
    tts = _voice(server, espeak, api_key_env="DHE_TEST_TTS_KEY")
    chunks = await _speak(tts, "您好。")
    assert tts.counts == {"online": 0, "fallback": 1} and chunks[0].duration_s > 0.3
    assert status in caplog.text and KEY not in caplog.text


async def test_unreachable_server_falls_back(espeak: EspeakTTS) -> None:
    tts = OpenAISpeechTTS("http://127.0.0.1:9/v1", "tts-1", "x", espeak, deadline_s=1.0)
    chunks = await _speak(tts, "您好。")
    assert tts.counts["fallback"] == 1 and chunks


def test_bad_settings_are_refused(espeak: EspeakTTS, monkeypatch) -> None:
    monkeypatch.delenv("DHE_TEST_TTS_KEY", raising=False)
    with pytest.raises(TTSError, match="DHE_TEST_TTS_KEY is not set"):
        OpenAISpeechTTS("http://x/v1", "m", "v", espeak, api_key_env="DHE_TEST_TTS_KEY")
    with pytest.raises(TTSError, match="response_format"):
        OpenAISpeechTTS("http://x/v1", "m", "v", espeak, response_format="ogg")
    with pytest.raises(TTSError, match="url and model"):
        OpenAISpeechTTS("", "m", "v", espeak)


def test_config_builds_the_provider_over_an_offline_voice(monkeypatch) -> None:
    from engine.config import EngineConfig
    from engine.voices import Voices

    monkeypatch.setenv("DHE_TEST_TTS_KEY", KEY)
    zh = {
        "provider": "openai",
        "url": "http://tts.bank.internal:8000/v1",
        "model": "tts-1",
        "voice": "zh-female-1",
        "api_key_env": "DHE_TEST_TTS_KEY",
        "deadline_s": 1.5,
        "fallback": {"provider": "espeak", "voice": "cmn-latn-pinyin"},
    }
    config = EngineConfig(tts={"voices": {"zh": zh}})
    assert KEY not in config.model_dump_json()  # the config holds the variable's name
    tts = Voices(config.tts).for_language("zh")
    assert isinstance(tts, OpenAISpeechTTS) and isinstance(tts.fallback, EspeakTTS)
    assert tts.endpoint == "http://tts.bank.internal:8000/v1/audio/speech"
    assert (tts.deadline_s, tts.sample_rate) == (1.5, tts.fallback.sample_rate)
