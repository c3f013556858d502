"""Build the TTS provider for each reply language from config (``tts.voices``)."""

from __future__ import annotations

import threading
from collections.abc import Iterable

from engine.config import TTSConfig, VoiceConfig, offline_voice
from engine.tts.base import TTSError, TTSProvider
from engine.tts.model_paths import model_folder, piper_model_path
from engine.tts.prepared import attach

__all__ = ["Voices", "build_voice", "model_folder", "piper_model_path"]


_ONLINE = ("edge", "openai")


def build_voice(voice: VoiceConfig, language: str) -> TTSProvider:
    """One provider for one configured voice, loaded and warmed up (providers are imported
    only here, lazily: piper-tts and espeak-ng are GPL and stay behind the provider interface).

    Raises:
        TTSError: the voice cannot be found or loaded.
    """
    if voice.provider == "piper":
        from engine.tts.piper import PiperTTS

        speaker = int(voice.speaker) if (voice.speaker or "").isdigit() else voice.speaker
        tts = PiperTTS(
            piper_model_path(voice.voice), speaker=speaker, length_scale=voice.length_scale
        )
        tts.warm_up()
        return tts
    if voice.provider == "kokoro":
        from engine.tts.kokoro import DEFAULT_SPEAKER, KokoroTTS

        kokoro = KokoroTTS(
            model_folder(voice.voice),
            voice=voice.speaker or DEFAULT_SPEAKER,
            length_scale=voice.length_scale,
            opening=voice.opening,
            decoder=voice.decoder,
            spin=voice.spin,
        )
        kokoro.warm_up()
        return kokoro
    if voice.provider == "espeak":
        from engine.tts.espeak import EspeakTTS

        return EspeakTTS(voices={language: voice.voice})
    if voice.provider in _ONLINE:
        fallback_config = voice.fallback or offline_voice(language)
        if fallback_config.provider in _ONLINE:
            raise TTSError("engine-unavailable", "an online voice's fallback must be offline")
        fallback = build_voice(fallback_config, language)
        if voice.provider == "edge":
            from engine.tts.edge import EdgeTTS

            return EdgeTTS(voice.voice, fallback, deadline_s=voice.deadline_s)
        from engine.tts.openai_speech import OpenAISpeechTTS

        return OpenAISpeechTTS(
            voice.url,
            voice.model,
            voice.voice,
            fallback,
            api_key_env=voice.api_key_env,
            response_format=voice.response_format,
            deadline_s=voice.deadline_s,
        )
    raise TTSError("engine-unavailable", f"unknown TTS provider {voice.provider!r}")


class Voices:
    """Providers per language, built on first use and kept for the process."""

    def __init__(self, config: TTSConfig) -> None:
        self._config = config
        self._built: dict[str, TTSProvider] = {}
        self._lock = threading.Lock()

    def warm_up(self, languages: Iterable[str] = ("en", "zh")) -> None:
        """Load and warm the voices of ``languages`` now (blocking; run it on a worker thread
        at server start) so the first reply in each language does not pay the load: Kokoro
        ~2-4 s to load and ~1 s of first-run work, Piper ~0.6 s. Cheap once done: a second
        call returns at once."""
        for language in languages:
            self.for_language(language)

    def for_language(self, language: str, speaking_rate: float = 1.0) -> TTSProvider:
        """The provider for ``language`` (falls back to English's when none is configured).

        Args:
            language: the reply language.
            speaking_rate: 1.0 normal; below 1 slower ("speak slower" asks for 0.8). Piper and
                Kokoro voices scale phoneme durations by ``1 / speaking_rate`` (a copy that
                shares the loaded model); other providers speak at their own rate.

        Raises:
            TTSError: no voice for the language or it cannot be loaded.
        """
        if language not in self._config.voices:
            language = "en"
        with self._lock:  # a warm-up thread and the first reply may ask at once: load once
            if language not in self._built:
                if language not in self._config.voices:
                    raise TTSError(
                        "unsupported-language", f"no TTS voice configured for {language!r}"
                    )
                voice_config = self._config.voices[language]
                built = build_voice(voice_config, language)
                if self._config.prepared_replies:  # the fixed replies from the cache
                    built = attach(built, voice_config, language)
                self._built[language] = built
        base = self._built[language]
        rate = round(float(speaking_rate), 2)
        if rate == 1.0 or not hasattr(base, "with_length_scale"):
            return base
        key = f"{language}@{rate}"
        if key not in self._built:
            scale = (self._config.voices[language].length_scale or 1.0) / max(rate, 0.25)
            self._built[key] = base.with_length_scale(scale)
        return self._built[key]
