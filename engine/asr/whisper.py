"""Speech recognition with faster-whisper (CTranslate2 Whisper), guarded against hallucinations.

Whisper writes fluent text for silence and noise ("Thank you.", "Thanks for watching!"), learned
from subtitles (Radford et al. 2022, "Robust Speech Recognition via Large-Scale Weak Supervision",
§4.5/§6). Guards, in order:

1. VAD gating: only speech found by Silero VAD is decoded; no speech → empty transcript, no decode.
2. Greedy decoding at ``temperature=0`` without conditioning on previous text (no fallback loop
   that samples at higher temperatures, which is where most invented text comes from).
3. Per segment: drop it when ``no_speech_prob > no_speech_threshold`` *and* its
   ``avg_logprob < log_prob_threshold`` (the rule of OpenAI's ``transcribe.py``), or when its
   ``compression_ratio > 2.4`` (repetition loops), or when ``avg_logprob < -1.5``.
4. The text itself (:func:`engine.asr.hallucination.clean_transcript`): loops collapse to one
   saying; subtitle boilerplate ("Thank you for watching", "字幕由…提供") and echoes of the
   decoder prompt are dropped; so is a short utterance that is only a silence phrase.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engine import models as model_store
from engine.asr.hallucination import clean_transcript
from engine.asr.windowed import DecodeAbandoned, decode_windowed, language_probs_windowed

log = logging.getLogger(__name__)

SAMPLE_RATE_HZ = 16_000


class ASRError(Exception):
    """The model cannot be found/loaded or decoding failed. ``code`` is stable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Transcript:
    """ASR result of one utterance.

    Attributes:
        text: the kept text, stripped; ``""`` when nothing was understood.
        language: ISO 639-1 code of the decoded language (``en``, ``zh``).
        avg_logprob: mean per-token log-probability of kept segments, None when empty.
        audio_ms: duration of the decoded audio in milliseconds.
    """

    text: str
    language: str
    avg_logprob: float | None
    audio_ms: float


@dataclass(slots=True, eq=False)
class DecodeControl:
    """What the caller of one decode can see and steer while it runs on another thread.

    Attributes:
        abandon: set it to give the decode up; it raises :class:`DecodeAbandoned` at the next
            check (when it gets the model, and between the encoder and the decoder of a
            short-window decode).
        started_s: ``time.monotonic()`` (s) when the decode got the model (its lock), set by
            the decode; the time before it is waiting behind other decodes.
        partial: a partial transcript (shown while the visitor speaks, never answered): no
            full-window retry when the short-window decode looks wrong (an empty one instead),
            and the session's spoken language neither learns nor forgets from it.
    """

    abandon: threading.Event = field(default_factory=threading.Event)
    started_s: float | None = None
    partial: bool = False


@dataclass(frozen=True, slots=True)
class ASRSettings:
    """Decoder settings (defaults follow the guards in the module docstring)."""

    device: str = "auto"  # "cpu", "cuda" or "auto" (CUDA when CTranslate2 sees a GPU)
    compute_type: str = "int8"  # CPU default; "float16" on CUDA
    beam_size: int = 1
    no_speech_threshold: float = 0.6
    log_prob_threshold: float = -1.0
    min_avg_logprob: float = -1.5
    compression_ratio_threshold: float = 2.4
    cpu_threads: int = 0
    #: Shortest encoder window in seconds (:mod:`engine.asr.windowed`); 30 = always the full
    #: window, as faster-whisper pads it.
    window_s: float = 30.0
    #: Per-language decoder prompt. The Simplified-Chinese sentence nudges the multilingual model
    #: towards Simplified characters and punctuation (a widely used Whisper prompt for Mandarin).
    initial_prompts: tuple[tuple[str, str], ...] = (("zh", "以下是普通话的句子。"),)


def resolve_model(name_or_path: str, *, allow_download: bool = False) -> str:
    """Turn a config value into something :class:`faster_whisper.WhisperModel` loads.

    Args:
        name_or_path: a folder holding ``model.bin``; a manifest entry (``whisper-tiny.en``);
            or a faster-whisper model name (``small``, ``large-v3-turbo``).
        allow_download: let faster-whisper fetch a named model from its hub (off by default).

    Raises:
        ASRError: ``model-missing`` with the command that fixes it.
    """
    path = Path(name_or_path).expanduser()
    if (path / "model.bin").is_file():
        return str(path)
    if name_or_path in model_store.load_manifest():
        try:
            return str(model_store.model_path(name_or_path))
        except model_store.ModelError as exc:
            raise ASRError("model-missing", str(exc)) from exc
    if not allow_download:
        raise ASRError(
            "model-missing",
            f"ASR model {name_or_path!r} is neither a model folder nor a manifest entry; "
            "set asr.allow_download to fetch it from the model hub (needs network)",
        )
    return name_or_path


def _has_cuda() -> bool:
    try:
        import ctranslate2

        return ctranslate2.get_cuda_device_count() > 0
    except (ImportError, RuntimeError):
        return False


class WhisperASR:
    """One loaded Whisper model; :meth:`transcribe` is thread-safe (serialised by a lock).

    Args:
        model: see :func:`resolve_model`.
        settings: decoder settings.
        allow_download: see :func:`resolve_model`.

    Raises:
        ASRError: ``model-missing`` or ``model-load-failed``.
    """

    def __init__(
        self, model: str, settings: ASRSettings | None = None, *, allow_download: bool = False
    ) -> None:
        from faster_whisper import WhisperModel

        self.settings = settings or ASRSettings()
        source = resolve_model(model, allow_download=allow_download)
        device = self.settings.device
        compute = self.settings.compute_type
        if device == "auto":
            device = "cuda" if _has_cuda() else "cpu"
        if device == "cuda" and compute == "int8":
            compute = "int8_float16"
        try:
            self._model = WhisperModel(
                source,
                device=device,
                compute_type=compute,
                cpu_threads=self.settings.cpu_threads,
                local_files_only=not allow_download,
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise ASRError("model-load-failed", f"cannot load ASR model {model!r}: {exc}") from exc
        self.device = device
        self.multilingual: bool = bool(self._model.model.is_multilingual)
        #: Decodes started on this model (:meth:`transcribe` calls), for metrics and tests.
        self.decodes = 0
        self._lock = threading.Lock()

    def detect_language(self, audio: np.ndarray) -> tuple[str, float]:
        """Spoken language of ``audio`` (float32 (n,), 16 kHz) and its probability.

        English-only models always answer ``("en", 1.0)``.
        """
        if not self.multilingual:
            return "en", 1.0
        with self._lock:
            language, prob, _ = self._model.detect_language(audio)
        return language, float(prob)

    def language_probs(self, audio: np.ndarray, window_s: float) -> dict[str, float]:
        """Probability of each language in ``audio`` (float32 (n,), 16 kHz) from one encoder
        pass over a ``window_s`` window (:func:`~engine.asr.windowed.language_probs_windowed`;
        30 s: faster-whisper's own full-window detection).

        English-only models answer ``{"en": 1.0}``.

        Raises:
            ASRError: ``decode-failed``.
        """
        if not self.multilingual:
            return {"en": 1.0}
        try:
            with self._lock:
                if window_s >= 30.0:
                    _, _, pairs = self._model.detect_language(audio)
                    return {lang: float(p) for lang, p in pairs}
                return language_probs_windowed(self._model, audio, window_s)
        except (RuntimeError, ValueError) as exc:
            raise ASRError("decode-failed", f"language detection failed: {exc}") from exc

    def transcribe(
        self,
        audio: np.ndarray,
        language: str | None = None,
        control: DecodeControl | None = None,
        *,
        fallback: bool = True,
        prompt: str | None = None,
    ) -> Transcript:
        """Decode one utterance (already VAD-gated by the caller).

        Args:
            audio: float32 (n,), 16 kHz mono speech.
            language: ``en``/``zh``…; None lets a multilingual model detect it.
            control: timing and early exit (see :class:`DecodeControl`).
            fallback: decode the full 30 s window when the short-window decode looks wrong;
                False returns an empty transcript instead (a first guess at the language:
                tiny.en on Mandarin loops, and its 30 s retry cost 0.8–2.3 s of CPU).
            prompt: this decode's prompt in place of the language's ``initial_prompts`` entry
                (a question that waits for digits: ``asr.digits_prompts``); its echo is
                filtered like the default prompt's.

        Returns:
            The guarded transcript (empty text when every segment was rejected).

        Raises:
            ASRError: ``decode-failed``.
            DecodeAbandoned: ``control.abandon`` was set.
        """
        s = self.settings
        self.decodes += 1
        audio_ms = audio.size * 1000.0 / SAMPLE_RATE_HZ
        if control is not None and control.partial:
            fallback = False  # a 30 s retry would hold the model ~1 s for a caption
        if not self.multilingual:
            language = "en"
        if prompt is None:
            prompt = dict(s.initial_prompts).get(language or "")
        try:
            with self._lock:
                if control is not None:
                    control.started_s = time.monotonic()
                    if control.abandon.is_set():
                        raise DecodeAbandoned
                short = None
                if language is not None and s.window_s < 30.0:
                    short = decode_windowed(
                        self._model,
                        audio,
                        language,
                        window_s=s.window_s,
                        initial_prompt=prompt,
                        compression_ratio_threshold=s.compression_ratio_threshold,
                        abandon=control.abandon if control is not None else None,
                    )
                if short is not None and self._keep(short):
                    return self._finish([short], language, audio_ms, prompt)
                if language is not None and s.window_s < 30.0 and not fallback:
                    return Transcript("", language, None, audio_ms)
                if language is not None and s.window_s < 30.0:
                    log.info("short-window decode of %.0f ms unsure; decoding 30 s", audio_ms)
                segments, info = self._model.transcribe(
                    audio,
                    language=language,
                    beam_size=s.beam_size,
                    temperature=0.0,
                    condition_on_previous_text=False,
                    no_speech_threshold=s.no_speech_threshold,
                    log_prob_threshold=s.log_prob_threshold,
                    compression_ratio_threshold=s.compression_ratio_threshold,
                    without_timestamps=True,
                    vad_filter=False,
                    initial_prompt=prompt,
                )
                segments = list(segments)
        except (RuntimeError, ValueError) as exc:
            raise ASRError("decode-failed", f"ASR decode failed: {exc}") from exc
        return self._finish(segments, info.language, audio_ms, prompt)

    def _finish(
        self, segments: list[Any], language: str, audio_ms: float, prompt: str | None = None
    ) -> Transcript:
        """Apply the segment guards and build the transcript (``segments``: faster-whisper
        segments or :class:`~engine.asr.windowed.WindowedDecode`, both with ``text``,
        ``avg_logprob``, ``no_speech_prob`` and ``compression_ratio``; ``prompt``: the
        decoder prompt used, whose echo is dropped; None: the language's default)."""
        if prompt is None:
            prompt = dict(self.settings.initial_prompts).get(language)
        kept = [seg for seg in segments if self._keep(seg)]
        text = _join([seg.text for seg in kept], language)
        if language == "zh":
            # Whisper likes to put Chinese names in title marks 《》; speech has none.
            text = zh_punctuation(to_simplified(text).replace("《", "").replace("》", ""))
        cleaned = clean_transcript(text, prompt, audio_ms)
        if cleaned.reason is not None:
            log.info("transcript filtered (%s)", cleaned.reason)
        text = cleaned.text
        if not text:
            kept = []
        avg = float(np.mean([seg.avg_logprob for seg in kept])) if kept else None
        return Transcript(text=text, language=language, avg_logprob=avg, audio_ms=audio_ms)

    def _keep(self, seg) -> bool:
        s = self.settings
        if seg.no_speech_prob > s.no_speech_threshold and seg.avg_logprob < s.log_prob_threshold:
            return False
        if seg.compression_ratio > s.compression_ratio_threshold:
            return False
        return seg.avg_logprob >= s.min_avg_logprob and bool(seg.text.strip())


@functools.cache
def _t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional → Simplified Chinese with OpenCC's ``t2s`` table (the multilingual Whisper
    models sometimes write Traditional characters for Mandarin speech)."""
    return _t2s().convert(text)


_ZH_MARKS = {",": "，", ".": "。", "?": "？", "!": "！", ":": "：", ";": "；"}
_ASCII_MARK = re.compile(r"\s*([,.?!:;])\s*")


def zh_punctuation(text: str) -> str:
    """A Mandarin transcript's ASCII punctuation as the full-width marks Chinese is written with
    (``,.?!:;`` → ``，。？！：；``; Whisper ``base`` mixes both, and the caption and the audit
    showed "查余额,谢谢?"). A mark between two digits stays: ``3.5``, ``1,000``, ``10:30``; so
    does one inside a Latin word, with no space around it: ``gmail.com``, ``www.bank.cn`` (an
    address a complaint's description keeps as said)."""

    def mark(match: re.Match[str]) -> str:
        before = text[match.start() - 1] if match.start() > 0 else ""
        after = text[match.end()] if match.end() < len(text) else ""
        if before.isdigit() and after.isdigit():
            return match.group(0)
        if match.group(0) == match.group(1) and _ascii_word(before) and _ascii_word(after):
            return match.group(0)
        return _ZH_MARKS[match.group(1)]

    return _ASCII_MARK.sub(mark, text)


def _ascii_word(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _join(parts: list[str], language: str) -> str:
    if language == "zh":
        return "".join(p.strip() for p in parts)
    return " ".join(p.strip() for p in parts).strip()
