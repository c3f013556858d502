"""The online edge-tts voice under its deadline (engine/tts/edge.py).

This machine has no route to the service, so the online path is exercised with faults injected
on purpose (a service that never answers, one that fails at once, one that sends garbage) and
with real MP3 audio encoded here by PyAV for the decoder; the fallback is the real espeak-ng
Mandarin voice.
"""

from __future__ import annotations

import asyncio
import io
import time

import av
import numpy as np
import pytest

from engine.tts.edge import EdgeTTS, decode_mp3, stretch_track
from engine.tts.espeak import EspeakTTS

SENTENCES = "您好，欢迎光临。请问需要办理什么业务？"


class _Service:
    """An edge-tts ``Communicate`` stand-in that fails on purpose, or streams given bytes."""

    calls = 0

    def __init__(self, mode: str, data: bytes = b"") -> None:
        self.mode, self.data = mode, data

    def __call__(self, text: str, voice: str) -> _Service:
        _Service.calls += 1
        return self

    async def stream(self):
        if self.mode == "hang":
            await asyncio.sleep(3600)
        if self.mode == "refuse":
            raise ConnectionRefusedError("no route to speech.platform.bing.com")
        yield {"type": "WordBoundary", "offset": 0, "duration": 1, "text": "x"}
        yield {"type": "audio", "data": self.data}


def _mp3(pcm: bytes, rate: int) -> bytes:
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp3") as out:
        stream = out.add_stream("mp3", rate=24000, layout="mono")
        frame = av.AudioFrame.from_ndarray(
            np.frombuffer(pcm, dtype="<i2").reshape(1, -1), format="s16", layout="mono"
        )
        frame.sample_rate = rate
        resampler = av.AudioResampler(format="s16p", layout="mono", rate=24000)
        for f in [*resampler.resample(frame), *resampler.resample(None)]:
            for packet in stream.encode(f):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buf.getvalue()


async def _speak(tts: EdgeTTS, text: str) -> list:
    return [c async for c in tts.synthesize(text, "zh")]


def test_unreachable_service_falls_back_within_the_deadline(espeak: EspeakTTS) -> None:
    tts = EdgeTTS("zh-CN-XiaoxiaoNeural", espeak, deadline_s=0.5, communicate=_Service("hang"))
    _Service.calls = 0
    t0 = time.perf_counter()
    chunks = asyncio.run(_speak(tts, SENTENCES))
    elapsed = time.perf_counter() - t0
    assert tts.counts == {"online": 0, "fallback": 2}
    assert _Service.calls == 1  # the second sentence skipped the service (cool-down)
    assert elapsed < 0.5 + 2.0, elapsed  # one deadline, not one per sentence
    offline = espeak.synthesize_all(SENTENCES, "zh")
    # espeak-ng's output varies slightly from call to call; compare sentences and lengths.
    assert [c.text for c in chunks] == [c.text for c in offline]
    for got, want in zip(chunks, offline, strict=True):
        assert got.visemes.cues and abs(got.duration_s - want.duration_s) < 0.1 * want.duration_s


@pytest.mark.parametrize("mode", ["refuse", "garbage"])
def test_failing_or_garbled_service_falls_back(espeak: EspeakTTS, mode: str) -> None:
    service = _Service("ok" if mode == "garbage" else mode, data=b"\x00not an mp3" * 50)
    tts = EdgeTTS("zh-CN-XiaoxiaoNeural", espeak, communicate=service)
    chunks = asyncio.run(_speak(tts, "您好。"))
    assert tts.counts["fallback"] == 1 and chunks and chunks[0].duration_s > 0.3


def test_online_audio_is_decoded_and_lip_synced(espeak: EspeakTTS) -> None:
    (offline,) = espeak.synthesize_all("您好，欢迎光临。", "zh")
    slow = offline.pcm + offline.pcm  # "online" audio twice as long as the offline voice
    tts = EdgeTTS("zh-CN-XiaoxiaoNeural", espeak, communicate=_Service("ok", _mp3(slow, 22050)))
    (chunk,) = asyncio.run(_speak(tts, "您好，欢迎光临。"))
    assert tts.counts == {"online": 1, "fallback": 0}
    assert chunk.sample_rate == espeak.sample_rate
    assert abs(chunk.duration_s - 2 * offline.duration_s) < 0.15  # MP3 adds encoder padding
    # The same mouth shapes, stretched to the online audio's length.
    assert [c.viseme for c in chunk.visemes.cues] == [c.viseme for c in offline.visemes.cues]
    assert abs(chunk.visemes.num_samples - chunk.num_samples) <= 1


def test_decode_and_stretch_helpers(espeak: EspeakTTS) -> None:
    (offline,) = espeak.synthesize_all("好的。", "zh")
    pcm = decode_mp3(_mp3(offline.pcm, 22050), 16000)
    assert abs(len(pcm) / 2 / 16000 - offline.duration_s) < 0.1
    half = stretch_track(offline.visemes, offline.visemes.num_samples // 2)
    assert half.num_samples == offline.visemes.num_samples // 2


def test_config_builds_an_edge_voice_over_the_offline_one(espeak: EspeakTTS) -> None:
    from engine.config import EngineConfig
    from engine.tts.base import TTSError
    from engine.voices import Voices

    zh = {
        "provider": "edge",
        "voice": "zh-CN-XiaoxiaoNeural",
        "deadline_s": 1.5,
        "fallback": {"provider": "espeak", "voice": "cmn-latn-pinyin"},
    }
    tts = Voices(EngineConfig(tts={"voices": {"zh": zh}}).tts).for_language("zh")
    assert isinstance(tts, EdgeTTS) and isinstance(tts.fallback, EspeakTTS)
    assert (tts.deadline_s, tts.sample_rate) == (1.5, 22050)
    loop = {**zh, "fallback": {"provider": "edge", "voice": "x"}}
    with pytest.raises(TTSError, match="fallback must be offline"):
        Voices(EngineConfig(tts={"voices": {"zh": loop}}).tts).for_language("zh")
