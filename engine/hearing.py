"""Hearing one recorded visitor turn: VAD → endpointing → ASR, publishing events on the bus.

Used by file-to-file runs (``dhe converse --audio``). The streaming path of the realtime server
reuses the same cores (:class:`engine.audio.vad.SpeechSegmenter`, :class:`WhisperASR`).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np

from engine import models as model_store
from engine.asr.language import SpokenLanguage
from engine.asr.whisper import ASRError, ASRSettings, DecodeControl, Transcript, WhisperASR
from engine.audio.vad import SAMPLE_RATE_HZ, SileroVAD, SpeechSegmenter, speech_segments
from engine.config import EngineConfig
from engine.events import EndOfTurn, FinalTranscript, SpeechEnded, SpeechStarted
from engine.observers import EventBus
from engine.transcript_log import log_transcript

#: An English decode at or above this mean log-probability is accepted in ``auto`` mode
#: without language detection (see :meth:`Hearing.transcribe`).
AUTO_EN_MIN_LOGPROB = -0.45


@dataclass(frozen=True, slots=True)
class Heard:
    """What one recorded turn contained.

    Attributes:
        transcript: the ASR result; None when VAD found no speech (nothing was decoded).
        segments: ``(start, end)`` speech spans in 16 kHz samples.
    """

    transcript: Transcript | None
    segments: tuple[tuple[int, int], ...]

    @property
    def text(self) -> str:
        """The transcript text, ``""`` when nothing was heard."""
        return self.transcript.text if self.transcript else ""


class Hearing:
    """VAD + ASR models for one process; ASR models load lazily, once per language.

    Args:
        config: the engine config (``asr`` and ``vad`` sections).
    """

    def __init__(self, config: EngineConfig) -> None:
        self._config = config
        self._asr: dict[str, WhisperASR] = {}
        self._lock = threading.Lock()

    def asr_for(self, language: str) -> WhisperASR:
        """The ASR model configured for ``language`` (loaded on first use).

        Raises:
            ASRError: no model configured for the language, or it cannot be loaded.
        """
        cfg = self._config.asr
        if language not in cfg.models:
            raise ASRError("model-missing", f"no ASR model configured for language {language!r}")
        with self._lock:
            if language not in self._asr:
                settings = ASRSettings(
                    device=cfg.device,
                    compute_type=cfg.compute_type,
                    beam_size=cfg.beam_size,
                    window_s=min(30.0, max(5.0, cfg.window_s.get(language, 30.0))),
                    initial_prompts=tuple((k, v) for k, v in cfg.prompts.items() if v),
                )
                self._asr[language] = WhisperASR(
                    cfg.models[language], settings, allow_download=cfg.allow_download
                )
            return self._asr[language]

    def can_hear(self, language: str) -> bool:
        """True when the model for ``language`` is loaded or unpacked (no load attempted)."""
        name = self._config.asr.models.get(language)
        if name is None:
            return False
        if language in self._asr:
            return True
        specs = model_store.load_manifest()
        return name not in specs or model_store.is_ready(specs[name])

    def hear(
        self,
        audio: np.ndarray,
        language: str,
        bus: EventBus,
        session_id: str,
        turn_id: str,
        awaited: str | None = None,
        code: bool = False,
    ) -> Heard:
        """Find the speech in a clip and transcribe it (blocking; run it off the event loop).

        Args:
            audio: float32 (n,), 16 kHz mono.
            language: ``auto``, ``en`` or ``zh``.
            bus: receives SpeechStarted/SpeechEnded/EndOfTurn/FinalTranscript and StageEvents.
            awaited: the slot type the dialog's question waits for (:meth:`prompt_for`).
            code: the dialog waits for the one-time code
                (:func:`dialog.lapse.code_awaited`): the transcript is logged and
                published with every number hidden whole.

        Raises:
            ASRError: model missing or decode failure.
        """
        vad_cfg = self._config.vad
        with bus.stage(session_id, turn_id, "vad"):
            probs = SileroVAD().process(audio)
        with bus.stage(session_id, turn_id, "endpoint"):
            segmenter = SpeechSegmenter(
                threshold=vad_cfg.threshold,
                min_speech_ms=vad_cfg.min_speech_ms,
                min_silence_ms=vad_cfg.endpoint_silence_ms,
            )
            segments = tuple(speech_segments(probs, segmenter))
        for start, end in segments:
            bus.publish(SpeechStarted(session_id=session_id, sample=start))
            bus.publish(SpeechEnded(session_id=session_id, sample=end))
        if not segments:
            return Heard(transcript=None, segments=())
        pad = int(vad_cfg.pad_ms * SAMPLE_RATE_HZ / 1000)
        first, last = max(0, segments[0][0] - pad), min(audio.size, segments[-1][1] + pad)
        bus.publish(EndOfTurn(session_id=session_id, start_sample=first, end_sample=last))
        speech = audio[first:last]
        with bus.stage(session_id, turn_id, "asr"):
            transcript = self.transcribe(speech, language, awaited)
        bus.publish(
            FinalTranscript(
                session_id=session_id,
                text=transcript.text,
                language=transcript.language,
                avg_logprob=transcript.avg_logprob,
                code=code,
            )
        )
        log_transcript(
            session_id, turn_id, transcript.text, transcript.language, final=True, code=code
        )
        return Heard(transcript=transcript, segments=segments)

    def transcribe(
        self, speech: np.ndarray, language: str, awaited: str | None = None
    ) -> Transcript:
        """Decode one utterance (float32 (n,), 16 kHz) in ``language`` (``en``/``zh``/``auto``);
        ``awaited``: the slot type the dialog's question waits for (:meth:`prompt_for`).

        ``auto`` tries the English model first: on English speech tiny.en is confident
        (mean token log-probability ≥ -0.2 on every English clip of the test data), while on
        Mandarin it produces low-probability English-sounding text (≤ -0.6 there) or loops
        (then it is not retried on the full window). Only an empty or unsure English decode
        pays for the multilingual model's language detection
        (:meth:`detect_language`: one encoder pass over a short window, ~0.1 s on 2 cores)
        and, for Mandarin, its decode.

        Raises:
            ASRError: model missing or decode failure.
        """
        if language != "auto":
            prompt = self.prompt_for(language, awaited)
            return self.asr_for(language).transcribe(speech, language=language, prompt=prompt)
        english = self.asr_for("en")
        en_prompt = self.prompt_for("en", awaited)
        if not self.can_hear("zh"):
            return english.transcribe(speech, language="en", prompt=en_prompt)
        first = english.transcribe(speech, language="en", fallback=False, prompt=en_prompt)
        confident = first.avg_logprob is not None and first.avg_logprob >= AUTO_EN_MIN_LOGPROB
        if first.text and confident:
            return first
        probs = self.detect_language(speech)
        detected = max(probs, key=probs.__getitem__) if probs else "en"
        if detected == "en":  # a short-window English decode that looked wrong: full window
            return first if first.text else english.transcribe(speech, "en", prompt=en_prompt)
        prompt = self.prompt_for(detected, awaited)
        return self.asr_for(detected).transcribe(speech, language=detected, prompt=prompt)

    def detect_language(self, speech: np.ndarray) -> dict[str, float]:
        """Which configured language ``speech`` is in (blocking; run it off the event loop).

        The multilingual model reads the first ``asr.detect_window_s - 2`` seconds of speech
        over a ``asr.detect_window_s`` encoder window (Whisper's language token; ~0.1 s of CPU
        for ``base`` at 5 s, against ~1 s over the full 30 s window).

        Args:
            speech: float32 (n,), 16 kHz mono, starting at the speech (a second or more).

        Returns:
            Probability per configured language (``asr.models``' keys), summing to 1; empty
            when no multilingual model is available.

        Raises:
            ASRError: model missing or detection failure.
        """
        if not self.can_hear("zh"):
            return {}
        probs = self.asr_for("zh").language_probs(speech, self._config.asr.detect_window_s)
        known = {lang: probs.get(lang, 0.0) for lang in self._config.asr.models}
        total = sum(known.values())
        return {lang: p / total for lang, p in known.items()} if total > 0 else {}

    def spoken_language(self, configured: str) -> SpokenLanguage:
        """A fresh per-session language memory (``configured``: ``auto``, ``en`` or ``zh``)
        with this config's early-detection point (``asr.detect_after_ms``)."""
        return SpokenLanguage(configured, detect_after_ms=self._config.asr.detect_after_ms)

    def transcribe_for(
        self,
        spoken: SpokenLanguage,
        speech: np.ndarray,
        control: DecodeControl | None = None,
        awaited: str | None = None,
    ) -> Transcript:
        """Decode a session's turn in the language it speaks (blocking; the ASR executor).

        With the language known (set, or detected early — :meth:`SpokenLanguage.detection_due`
        and :meth:`detect_language` during the turn) it is one decode by that language's
        model; unknown, it is :meth:`transcribe` on ``auto``. ``spoken`` learns from the result
        (:meth:`SpokenLanguage.heard`: plain attribute updates, safe from this thread).
        A partial decode (``control.partial``) teaches ``spoken`` nothing — an unsure caption
        of speech cut mid-word used to forget the language, and the turn's final decode then
        paid for English, a detection and Mandarin — and while the language is unknown it
        returns an empty transcript without decoding.

        Args:
            spoken: the session's language memory.
            speech: float32 (n,), 16 kHz mono.
            control: abandon flag and start time (:class:`DecodeControl`).
            awaited: the slot type the dialog's question waits for
                (:meth:`dialog.session.DialogSession.awaited_answer`); at ``digits`` the
                language's ``asr.digits_prompts`` entry is the decoder prompt of this turn.

        Raises:
            ASRError: model missing or decode failure.
            DecodeAbandoned: ``control.abandon`` was set.
        """
        language = spoken.language
        partial = control is not None and control.partial
        if language is not None and self.can_hear(language):
            prompt = self.prompt_for(language, awaited)
            result = self.asr_for(language).transcribe(
                speech, language=language, control=control, prompt=prompt
            )
        elif partial:  # the language is still unknown: no caption (``auto`` costs 2-3 decodes)
            return Transcript("", "", None, speech.size * 1000.0 / SAMPLE_RATE_HZ)
        else:
            if control is not None:
                control.started_s = time.monotonic()  # (the model locks are taken inside)
            result = self.transcribe(speech, "auto", awaited)
        if not partial:  # a caption of cut-off speech is often unsure: it proves nothing
            spoken.heard(result)
        return result

    def prompt_for(self, language: str, awaited: str | None) -> str | None:
        """The decoder prompt of a turn in ``language`` that answers a question waiting for a
        slot of type ``awaited``: ``asr.digits_prompts[language]`` at ``digits``, else None
        (the language's default prompt)."""
        if awaited != "digits":
            return None
        return self._config.asr.digits_prompts.get(language) or None
