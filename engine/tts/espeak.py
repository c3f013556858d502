"""espeak-ng TTS provider: offline Mandarin (pinyin voice) and a generic English fallback.

espeak-ng (GPL-3.0) is reached in this module only, through ``libespeak-ng.so.1`` (Debian
package ``espeak-ng`` / ``libespeak-ng1``) with :mod:`ctypes`. Why the library and not the
``espeak-ng`` command: the command prints phonemes (``-x``/``--ipa``) without times, and its
``--pho`` output needs an MBROLA voice; the library's *phoneme events*
(``espeakINITIALIZE_PHONEME_EVENTS | espeakINITIALIZE_PHONEME_IPA``) report each phoneme with
the exact output sample where it starts, from the same synthesis that produced the audio.

Chinese text is converted first: Arabic numbers to Chinese numerals (``cn2an``), then Han
characters to pinyin with tone numbers (``pypinyin``, ``nin2 hao3``), which the
``cmn-latn-pinyin`` voice reads. Latin words inside Chinese text are read as pinyin too (a
known limitation).

libespeak-ng is a process-wide singleton (one voice, one callback): every synthesis in the
process goes through one :class:`_EspeakLibrary` guarded by its lock.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import re
import threading

from avatar.phoneme_visemes import viseme_for_mandarin_phoneme, viseme_for_phoneme
from avatar.visemes import track_from_onsets
from engine.tts.base import SentenceTTS, TTSChunk, TTSError

# Constants from espeak-ng's public header speak_lib.h (1.51).
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_PHONEME_EVENTS = 0x0001
_INITIALIZE_PHONEME_IPA = 0x0002
_INITIALIZE_DONT_EXIT = 0x8000
_CHARS_UTF8 = 1
_POS_CHARACTER = 1
_EVENT_LIST_TERMINATED = 0
_EVENT_PHONEME = 7
_PARAM_RATE = 1

#: Word gaps shorter than this (s) keep the previous mouth shape (see ``track_from_alignment``).
MIN_PAUSE_S = 0.05

#: Default espeak-ng voice per language.
DEFAULT_VOICES: dict[str, str] = {"zh": "cmn-latn-pinyin", "en": "en-us"}

_ZH_PUNCT = str.maketrans(
    {"，": ", ", "。": ". ", "！": "! ", "？": "? ", "；": "; ", "：": ": ", "、": ", "}
)
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")


class _EventId(ctypes.Union):
    _fields_ = (("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8))


class _Event(ctypes.Structure):
    """``espeak_EVENT`` (speak_lib.h): ``sample`` is the output sample where the event falls."""

    _fields_ = (
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    )


class _Voice(ctypes.Structure):
    """``espeak_VOICE`` (speak_lib.h), used to select a voice by language code."""

    _fields_ = (
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_char_p),
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    )


_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


class _EspeakLibrary:
    """The loaded ``libespeak-ng`` in synchronous mode with IPA phoneme events."""

    def __init__(self, name: str) -> None:
        try:
            self._lib = ctypes.CDLL(name)
        except OSError as exc:
            raise TTSError(
                "engine-unavailable", f"libespeak-ng not found ({name}): install espeak-ng"
            ) from exc
        options = _INITIALIZE_PHONEME_EVENTS | _INITIALIZE_PHONEME_IPA | _INITIALIZE_DONT_EXIT
        rate = self._lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, None, options)
        if rate <= 0:
            raise TTSError("engine-unavailable", f"espeak_Initialize failed ({rate})")
        self.sample_rate: int = int(rate)
        self.lock = threading.Lock()
        self._pcm: list[bytes] = []
        self._onsets: list[tuple[str, int]] = []
        self._callback = _CALLBACK(self._on_audio)  # keep a reference: C holds the pointer
        self._lib.espeak_SetSynthCallback(self._callback)

    def _on_audio(self, wav: ctypes.Array, num_samples: int, events: ctypes.Array) -> int:
        if wav and num_samples > 0:
            self._pcm.append(ctypes.string_at(wav, num_samples * 2))
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            event = events[i]
            if event.type == _EVENT_PHONEME:
                symbol = bytes(event.id.string).split(b"\0")[0].decode("utf-8", "replace")
                self._onsets.append((symbol, int(event.sample)))
            i += 1
        return 0  # 0: continue synthesis

    def synth(self, text: str, voice: str, rate_wpm: int | None) -> tuple[bytes, list]:
        """Synthesize ``text``; returns int16 LE PCM and ``(phoneme, start_sample)`` onsets."""
        data = text.encode("utf-8")
        with self.lock:
            if self._lib.espeak_SetVoiceByName(voice.encode()) != 0 and (
                self._lib.espeak_SetVoiceByProperties(
                    ctypes.byref(_Voice(languages=voice.encode()))
                )
                != 0
            ):
                raise TTSError("engine-unavailable", f"espeak-ng voice {voice!r} not installed")
            if rate_wpm is not None:
                self._lib.espeak_SetParameter(_PARAM_RATE, int(rate_wpm), 0)
            self._pcm, self._onsets = [], []
            err = self._lib.espeak_Synth(
                data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
            )
            self._lib.espeak_Synchronize()
            if err != 0:
                raise TTSError("synthesis-failed", f"espeak_Synth returned {err} for {text!r}")
            return b"".join(self._pcm), self._onsets


@functools.cache
def _library(name: str) -> _EspeakLibrary:
    """The process's one handle on ``name`` (the C library is itself a singleton)."""
    return _EspeakLibrary(name)


def chinese_to_pinyin(text: str) -> str:
    """Chinese text → tone-numbered pinyin the ``cmn-latn-pinyin`` voice reads.

    Args:
        text: e.g. ``"您好，余额1,234.56元。"``.

    Returns:
        e.g. ``"nin2 hao3 , yu2 e2 yi1 qian1 ... yuan2 ."``; neutral tone is 5, ü is ``ü``.
    """
    import cn2an
    from pypinyin import Style, lazy_pinyin

    text = _THOUSANDS.sub("", text)
    with contextlib.suppress(ValueError, KeyError):  # odd formats: espeak reads the digits
        text = cn2an.transform(text, "an2cn")
    syllables = lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True, v_to_u=True)
    return " ".join(" ".join(syllables).translate(_ZH_PUNCT).split())


class EspeakTTS(SentenceTTS):
    """espeak-ng behind the :class:`~engine.tts.base.TTSProvider` interface.

    Args:
        voices: language → espeak-ng voice name or language code (``en-gb``); default
            :data:`DEFAULT_VOICES`.
        rate_wpm: speaking rate in words per minute (espeak default 175); None: default.
        library: shared-library name or path of libespeak-ng.

    Raises:
        TTSError: ``engine-unavailable`` when libespeak-ng cannot be loaded.
    """

    def __init__(
        self,
        voices: dict[str, str] | None = None,
        rate_wpm: int | None = None,
        library: str = "libespeak-ng.so.1",
    ) -> None:
        self._voices = dict(voices or DEFAULT_VOICES)
        self._rate_wpm = rate_wpm
        self._lib = _library(ctypes.util.find_library("espeak-ng") or library)
        self.sample_rate: int = self._lib.sample_rate
        self.languages: frozenset[str] = frozenset(self._voices)

    def synthesize_sentence(self, sentence: str, language: str) -> TTSChunk:
        """Synthesize one sentence; see :meth:`SentenceTTS.synthesize_sentence`.

        Returns:
            int16 PCM at :attr:`sample_rate` (22050 Hz for espeak-ng 1.51) and visemes from
            espeak-ng's phoneme events.

        Raises:
            TTSError: ``unsupported-language``, ``engine-unavailable``, ``synthesis-failed``.
        """
        self.check_language(language)
        spoken = chinese_to_pinyin(sentence) if language == "zh" else sentence
        pcm, onsets = self._lib.synth(spoken, self._voices[language], self._rate_wpm)
        total = len(pcm) // 2
        onsets = [(sym, min(max(start, 0), total)) for sym, start in onsets]
        for k in range(1, len(onsets)):  # events within one buffer may repeat a position
            if onsets[k][1] < onsets[k - 1][1]:
                onsets[k] = (onsets[k][0], onsets[k - 1][1])
        mapper = viseme_for_mandarin_phoneme if language == "zh" else viseme_for_phoneme
        track = track_from_onsets(
            onsets,
            total,
            self.sample_rate,
            mapper=mapper,
            min_pause_samples=int(MIN_PAUSE_S * self.sample_rate),
        )
        return TTSChunk(pcm=pcm, sample_rate=self.sample_rate, visemes=track, text=sentence)
