"""Online voices under a per-sentence deadline, always backed by an offline voice.

A kiosk cannot wait on the network: each sentence's audio must arrive within ``deadline_s`` or
that sentence is spoken by the offline fallback instead, and after a failure the service is
skipped for ``cooldown_s`` so later sentences do not each pay the deadline again. The pieces are
cut as the fallback cuts them (same sentence splitter), the audio is decoded to the fallback's
sample rate, and the mouth shapes come from the fallback's phonemes for the same sentence:
either its cheap text-only estimate (``estimate_track``, e.g. Kokoro) or, for a fast fallback
such as espeak-ng, its own synthesis, stretched to the online audio's length.

Vendors subclass :class:`OnlineTTS` and implement :meth:`OnlineTTS.fetch` (one module per
vendor: ``edge.py``, ``openai_speech.py``).
"""

from __future__ import annotations

import asyncio
import io
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator

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


def decode_audio(
    data: bytes,
    sample_rate: int,
    container: str | None = None,
    options: dict[str, str] | None = None,
) -> bytes:
    """Decode compressed, containerised or raw audio (MP3, WAV, Opus, s16le …) to int16 mono PCM.

    Args:
        data: the file's bytes.
        sample_rate: Hz of the PCM returned (resampled with FFmpeg's resampler via PyAV).
        container: FFmpeg format name (``"mp3"``, ``"wav"``, ``"s16le"``); None lets FFmpeg
            probe.
        options: demuxer options, e.g. ``{"sample_rate": "24000", "ch_layout": "mono"}`` for
            raw ``s16le``.

    Returns:
        int16 little-endian mono samples.

    Raises:
        TTSError: ``synthesis-failed`` when the bytes are not decodable audio.
    """
    try:
        with av.open(io.BytesIO(data), format=container, options=options or {}) as source:
            resampler = av.AudioResampler(format="s16", layout="mono", rate=sample_rate)
            parts = []
            for frame in source.decode(audio=0):
                parts.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(frame))
            parts.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(None))
    except (av.error.FFmpegError, ValueError, IndexError) as exc:
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


def joined_track(chunks: list[TTSChunk], sample_rate: int) -> VisemeTrack:
    """The viseme tracks of consecutive chunks as one track (cues shifted by each offset)."""
    cues: list[VisemeCue] = []
    offset = 0
    for chunk in chunks:
        cues.extend(
            VisemeCue(c.viseme, c.start_sample + offset, c.end_sample + offset)
            for c in chunk.visemes.cues
        )
        offset += chunk.num_samples
    return VisemeTrack(sample_rate, tuple(cues))


class OnlineTTS(ABC):
    """:class:`~engine.tts.base.TTSProvider` for an online voice with an offline fallback.

    Args:
        fallback: the offline provider; its sample rate, languages and sentence cuts are this
            provider's.
        deadline_s: most seconds one sentence's online audio may take to arrive (decoded).
        cooldown_s: seconds the service is skipped after a failure.
    """

    #: Short name of the service for logs (``edge-tts``, ``openai-speech``).
    service = "online"

    def __init__(
        self,
        fallback: TTSProvider,
        *,
        deadline_s: float = DEFAULT_DEADLINE_S,
        cooldown_s: float = DEFAULT_COOLDOWN_S,
    ) -> None:
        self.fallback = fallback
        self.sample_rate: int = fallback.sample_rate
        self.languages: frozenset[str] = fallback.languages
        self.deadline_s = deadline_s
        self.cooldown_s = cooldown_s
        self._skip_until = 0.0
        #: Sentences spoken online and by the fallback since start (for logs and tests).
        self.counts = {"online": 0, "fallback": 0}

    @abstractmethod
    async def fetch(self, sentence: str) -> bytes:
        """The service's audio for one sentence as int16 mono PCM at :attr:`sample_rate`.

        Raises:
            Exception: any network, HTTP or decode error (the caller falls back).
        """

    async def _online_pcm(self, sentence: str) -> bytes | None:
        """The online PCM within the deadline, or None (and a cool-down) on any failure."""
        if time.monotonic() < self._skip_until:
            return None
        try:
            return await asyncio.wait_for(self.fetch(sentence), self.deadline_s)
        except Exception as exc:  # network, HTTP, service and decode errors alike → fallback
            self._skip_until = time.monotonic() + self.cooldown_s
            reason = "deadline passed" if isinstance(exc, TimeoutError) else _reason(exc)
            log.warning(
                "%s failed (%s); offline voice for %.0f s", self.service, reason, self.cooldown_s
            )
            return None

    async def _track(self, sentence: str, language: str, num_samples: int) -> VisemeTrack:
        """Mouth shapes for online audio of ``num_samples``: the fallback's, stretched."""
        estimate = getattr(self.fallback, "estimate_track", None)
        if estimate is not None:
            track = await asyncio.to_thread(estimate, sentence, language)
        else:
            chunks = [c async for c in self.fallback.synthesize(sentence, language)]
            track = joined_track(chunks, self.sample_rate)
        return stretch_track(track, num_samples)

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
            pcm = await self._online_pcm(sentence)
            if pcm is None:
                self.counts["fallback"] += 1
                async for chunk in self.fallback.synthesize(sentence, language):
                    yield chunk
                continue
            self.counts["online"] += 1
            track = await self._track(sentence, language, len(pcm) // 2)
            yield TTSChunk(pcm=pcm, sample_rate=self.sample_rate, visemes=track, text=sentence)


def _reason(exc: BaseException) -> str:
    """A failure's type and message for the log (messages here never hold credentials)."""
    return f"{type(exc).__name__}: {exc}"[:200]
