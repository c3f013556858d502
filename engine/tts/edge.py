"""Online neural voices through ``edge-tts`` (Microsoft Edge's read-aloud service), always under a
deadline and always backed by an offline voice (:class:`engine.tts.online.OnlineTTS`).

The service sends MP3 (24 kHz mono) and word boundaries, not phonemes: the audio is decoded with
PyAV to the fallback's sample rate, and the mouth shapes come from the fallback's phonemes for
the same sentence, stretched to the online audio's length. edge-tts can hang for minutes on a
black-holed network even with its own timeouts, hence the deadline. Sending text to an online
service is an operator's choice: the provider is off by default
(``tts.voices.<lang>.provider: edge``) and replies may contain a visitor's data.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from engine.tts.base import TTSProvider
from engine.tts.online import (
    DEFAULT_COOLDOWN_S,
    DEFAULT_DEADLINE_S,
    OnlineTTS,
    decode_audio,
    stretch_track,
)

__all__ = ["EdgeTTS", "decode_mp3", "stretch_track"]


def decode_mp3(data: bytes, sample_rate: int) -> bytes:
    """Decode MP3 bytes to int16 mono PCM at ``sample_rate`` Hz (:func:`decode_audio`).

    Raises:
        TTSError: ``synthesis-failed`` when the bytes are not decodable audio.
    """
    return decode_audio(data, sample_rate, "mp3")


def _communicate(text: str, voice: str) -> Any:
    import edge_tts

    return edge_tts.Communicate(text, voice, connect_timeout=5, receive_timeout=10)


class EdgeTTS(OnlineTTS):
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

    service = "edge-tts"

    def __init__(
        self,
        voice: str,
        fallback: TTSProvider,
        *,
        deadline_s: float = DEFAULT_DEADLINE_S,
        cooldown_s: float = DEFAULT_COOLDOWN_S,
        communicate: Callable[[str, str], Any] = _communicate,
    ) -> None:
        super().__init__(fallback, deadline_s=deadline_s, cooldown_s=cooldown_s)
        self.voice = voice
        self._communicate = communicate

    async def fetch(self, sentence: str) -> bytes:
        """The sentence's MP3 from the service, decoded to PCM (see :meth:`OnlineTTS.fetch`)."""
        audio = bytearray()
        async for message in self._communicate(sentence, self.voice).stream():
            if message.get("type") == "audio":
                audio.extend(message["data"])
        return await asyncio.to_thread(decode_mp3, bytes(audio), self.sample_rate)
