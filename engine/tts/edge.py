"""Online neural voices through ``edge-tts`` (Microsoft Edge's read-aloud service), always under a
deadline and always backed by an offline voice.

A kiosk cannot wait on the network: each sentence must arrive from the service within
``deadline_s`` or that sentence is spoken by the offline fallback (Piper or espeak-ng) instead,
and after a failure the service is skipped for ``cooldown_s`` so every later sentence does not
pay the deadline again. The service sends MP3 (24 kHz mono) and word boundaries, not phonemes:
the audio is decoded with PyAV to the fallback's sample rate, and the mouth shapes come from the
fallback's phonemes for the same sentence (espeak-ng is fast), stretched to the online audio's
length. Sending text to an online service is an operator's choice: the provider is off by
default (``tts.voices.<lang>.provider: edge``) and replies may contain a visitor's data.
"""

from __future__ import annotations

import asyncio
import io
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import av
import numpy as np

from avatar.visemes import VisemeCue, VisemeTrack
from engine.tts.base import TTSChunk, TTSError, TTSProvider
from engine.tts.sentences import split_sentences

log = logging.getLogger(__name__)

#: Default time allowed for one sentence's audio to arrive (s).
DEFAULT_DEADLINE_S = 2.0
#: After a failure, the online service is not tried again for this long (s).
DEFAULT_COOLDOWN_S = 60.0


def decode_mp3(data: bytes, sample_rate: int) -> bytes:
    """Decode MP3 bytes to int16 mono PCM at ``sample_rate`` Hz.

    Raises:
        TTSError: ``synthesis-failed`` when the bytes are not decodable audio.
    """
    try:
        with av.open(io.BytesIO(data), format="mp3") as container:
            resampler = av.AudioResampler(format="s16", layout="mono", rate=sample_rate)
            parts = []
            for frame in container.decode(audio=0):
                parts.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(frame))
            parts.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(None))
    except (av.error.FFmpegError, ValueError) as exc:
        raise TTSError("synthesis-failed", f"online voice sent undecodable audio: {exc}") from exc
    if not parts:
        raise TTSError("synthesis-failed", "online voice sent no audio")
    return np.concatenate(parts).astype("<i2").tobytes()


def stretch_track(track: VisemeTrack, num_samples: int) -> VisemeTrack:
    """``track`` with every cue scaled so the track ends at ``num_samples`` (same rate)."""
    if not track.cues or track.num_samples <= 0:
        return track
    k = num_samples / track.num_samples
    cues = tuple(
        VisemeCue(c.viseme, round(c.start_sample * k), round(c.end_sample * k)) for c in track.cues
    )
    return VisemeTrack(track.sample_rate, tuple(c for c in cues if c.end_sample > c.start_sample))


def _communicate(text: str, voice: str) -> Any:
    import edge_tts

    return edge_tts.Communicate(text, voice, connect_timeout=5, receive_timeout=10)


class EdgeTTS:
    """:class:`~engine.tts.base.TTSProvider` for edge-tts voices (e.g. ``zh-CN-XiaoxiaoNeural``)
    with an offline fallback.

    Args:
        voice: the edge-tts voice name.
        fallback: the offline provider; its sample rate and languages are this provider's.
        deadline_s: most seconds one sentence's online audio may take to arrive.
        cooldown_s: seconds the service is skipped after a failure.
        communicate: makes the edge-tts ``Communicate`` for ``(text, voice)`` (tests inject a
            failing one on purpose; the default talks to the real service).
    """

    def __init__(
        self,
        voice: str,
        fallback: TTSProvider,
        *,
        deadline_s: float = DEFAULT_DEADLINE_S,
        cooldown_s: float = DEFAULT_COOLDOWN_S,
        communicate: Callable[[str, str], Any] = _communicate,
    ) -> None:
        self.voice = voice
        self.fallback = fallback
        self.sample_rate: int = fallback.sample_rate
        self.languages: frozenset[str] = fallback.languages
        self.deadline_s = deadline_s
        self.cooldown_s = cooldown_s
        self._communicate = communicate
        self._skip_until = 0.0
        #: Sentences spoken online and by the fallback since start (for logs and tests).
        self.counts = {"online": 0, "fallback": 0}

    async def _online(self, sentence: str) -> bytes:
        audio = bytearray()
        async for message in self._communicate(sentence, self.voice).stream():
            if message.get("type") == "audio":
                audio.extend(message["data"])
        return bytes(audio)

    async def _fallback_chunks(self, sentence: str, language: str) -> list[TTSChunk]:
        return [c async for c in self.fallback.synthesize(sentence, language)]

    async def synthesize(self, text: str, language: str) -> AsyncIterator[TTSChunk]:
        """Yield one chunk per sentence: online audio when it arrives within the deadline,
        else the fallback's (see :class:`~engine.tts.base.TTSProvider`).

        Raises:
            TTSError: only when the fallback fails too.
        """
        if language not in self.languages:
            raise TTSError("unsupported-language", f"no fallback voice for {language!r}")
        split = getattr(self.fallback, "split", split_sentences)  # cut as the fallback cuts
        for sentence in split(text):
            offline = asyncio.ensure_future(self._fallback_chunks(sentence, language))
            pcm = None
            if time.monotonic() >= self._skip_until:
                try:
                    data = await asyncio.wait_for(self._online(sentence), self.deadline_s)
                    pcm = await asyncio.to_thread(decode_mp3, data, self.sample_rate)
                except Exception as exc:  # network, service and decode errors alike
                    self._skip_until = time.monotonic() + self.cooldown_s
                    reason = "deadline passed" if isinstance(exc, TimeoutError) else repr(exc)
                    log.warning(
                        "edge-tts voice %s failed (%s); offline voice for %.0f s",
                        self.voice,
                        reason,
                        self.cooldown_s,
                    )
            chunks = await offline  # the phonemes (and, without online audio, the speech)
            if pcm is None:
                self.counts["fallback"] += 1
                for chunk in chunks:
                    yield chunk
                continue
            self.counts["online"] += 1
            cues = [
                VisemeCue(c.viseme, c.start_sample + offset, c.end_sample + offset)
                for chunk, offset in zip(chunks, _offsets(chunks), strict=True)
                for c in chunk.visemes.cues
            ]
            track = VisemeTrack(self.sample_rate, tuple(cues))
            yield TTSChunk(
                pcm=pcm,
                sample_rate=self.sample_rate,
                visemes=stretch_track(track, len(pcm) // 2),
                text=sentence,
            )


def _offsets(chunks: list[TTSChunk]) -> list[int]:
    out, total = [], 0
    for chunk in chunks:
        out.append(total)
        total += chunk.num_samples
    return out
