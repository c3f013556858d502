"""A bank's own speech server through the OpenAI-compatible ``POST {url}/audio/speech`` endpoint,
under the same per-sentence deadline and offline fallback as edge-tts
(:class:`engine.tts.online.OnlineTTS`).

Deployments that run a voice service on their own network (an OpenAI-compatible TTS server:
Kokoro-FastAPI, openedai-speech, vLLM-Omni, or a vendor's appliance) point ``url`` at its base
(``http://tts.bank.internal:8000/v1``). One request per sentence, JSON body as in OpenAI's API
reference ("Create speech": ``model``, ``input``, ``voice``, ``response_format``, ``speed``);
``Authorization: Bearer <key>`` when a key is configured. The key is read from the environment
variable the config names, kept in the request headers only, and never logged or put in an
error message. ``response_format`` ``pcm`` is raw int16 mono at 24 kHz (OpenAI's definition);
``wav``, ``mp3``, ``opus``, ``aac`` and ``flac`` are decoded with PyAV. Either way the audio is
resampled to the fallback's rate and lip-synced from the fallback's phonemes.
"""

from __future__ import annotations

import asyncio
import os

import httpx

from engine.tts.base import TTSError, TTSProvider
from engine.tts.online import DEFAULT_COOLDOWN_S, DEFAULT_DEADLINE_S, OnlineTTS, decode_audio

#: Rate of ``response_format: pcm`` in OpenAI's API reference (raw 24 kHz 16-bit mono).
PCM_RATE_HZ = 24_000
#: Formats the endpoint may be asked for (OpenAI's list).
FORMATS = frozenset({"pcm", "wav", "mp3", "opus", "aac", "flac"})
#: Most audio bytes accepted for one sentence (a 30 s WAV at 48 kHz is ~2.9 MB).
MAX_AUDIO_BYTES = 16 * 1024 * 1024


class OpenAISpeechTTS(OnlineTTS):
    """:class:`~engine.tts.base.TTSProvider` for an OpenAI-compatible speech endpoint.

    Args:
        url: base URL up to the API version, e.g. ``http://tts.bank.internal:8000/v1``.
        model: the server's model name (``tts-1``, ``kokoro`` …).
        voice: the server's voice name.
        fallback: the offline provider (sample rate, languages and sentence cuts).
        api_key_env: name of the environment variable holding the key ("" for none).
        response_format: one of :data:`FORMATS`.
        speed: 0.25-4.0, sent as ``speed``.
        deadline_s, cooldown_s: as for :class:`~engine.tts.online.OnlineTTS`.
        transport: httpx transport (tests may pass one; default: a real TCP connection).

    Raises:
        TTSError: ``bad-setting`` (empty URL or model, unknown format, speed out of range,
            the key's variable named but unset).
    """

    service = "openai-speech"

    def __init__(
        self,
        url: str,
        model: str,
        voice: str,
        fallback: TTSProvider,
        *,
        api_key_env: str = "",
        response_format: str = "wav",
        speed: float = 1.0,
        deadline_s: float = DEFAULT_DEADLINE_S,
        cooldown_s: float = DEFAULT_COOLDOWN_S,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(fallback, deadline_s=deadline_s, cooldown_s=cooldown_s)
        if not url or not model:
            raise TTSError("bad-setting", "openai speech voice needs tts url and model")
        if response_format not in FORMATS:
            raise TTSError("bad-setting", f"response_format must be one of {sorted(FORMATS)}")
        if not 0.25 <= speed <= 4.0:
            raise TTSError("bad-setting", f"speed must be 0.25-4.0, got {speed}")
        headers = {}
        if api_key_env:
            key = os.environ.get(api_key_env, "")
            if not key:
                raise TTSError("bad-setting", f"environment variable {api_key_env} is not set")
            headers["Authorization"] = f"Bearer {key}"
        self.endpoint = url.rstrip("/") + "/audio/speech"
        self.model, self.voice = model, voice
        self.response_format, self.speed = response_format, speed
        self._headers = headers
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:  # never show the headers (they hold the key)
        return f"OpenAISpeechTTS({self.endpoint!r}, model={self.model!r}, voice={self.voice!r})"

    def _http(self) -> httpx.AsyncClient:
        """The connection pool of the running event loop (made on first use in each loop)."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._client.is_closed or self._client_loop is not loop:
            self._client_loop = loop
            self._client = httpx.AsyncClient(
                headers=self._headers,
                timeout=httpx.Timeout(self.deadline_s),
                transport=self._transport,
            )
        return self._client

    async def aclose(self) -> None:
        """Close the HTTP connection pool (a new one opens on the next request)."""
        if self._client is not None:
            await self._client.aclose()

    async def fetch(self, sentence: str) -> bytes:
        """POST the sentence and return its audio as PCM (see :meth:`OnlineTTS.fetch`).

        Raises:
            httpx.HTTPError: connection failure or an error status.
            TTSError: ``synthesis-failed`` for an empty, oversized or undecodable body.
        """
        body = {
            "model": self.model,
            "input": sentence,
            "voice": self.voice,
            "response_format": self.response_format,
            "speed": self.speed,
        }
        response = await self._http().post(self.endpoint, json=body)
        response.raise_for_status()
        data = response.content
        if not data or len(data) > MAX_AUDIO_BYTES:
            raise TTSError("synthesis-failed", f"speech server sent {len(data)} bytes")
        if self.response_format == "pcm":
            raw = {"sample_rate": str(PCM_RATE_HZ), "ch_layout": "mono"}
            return await asyncio.to_thread(decode_audio, data, self.sample_rate, "s16le", raw)
        return await asyncio.to_thread(decode_audio, data, self.sample_rate)
