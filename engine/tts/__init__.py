"""Text-to-speech: sentence-streamed providers yielding PCM plus viseme tracks.

Import providers from their modules (``engine.tts.piper.PiperTTS``,
``engine.tts.kokoro.KokoroTTS``, ``engine.tts.espeak.EspeakTTS``, and the online
``engine.tts.edge.EdgeTTS`` / ``engine.tts.openai_speech.OpenAISpeechTTS``); this package only
exposes the interface, so importing it loads no GPL code and no model.
"""

from engine.tts.base import LanguageRouterTTS, SentenceTTS, TTSChunk, TTSError, TTSProvider
from engine.tts.sentences import SplitConfig, split_sentences

__all__ = [
    "LanguageRouterTTS",
    "SentenceTTS",
    "SplitConfig",
    "TTSChunk",
    "TTSError",
    "TTSProvider",
    "split_sentences",
]
