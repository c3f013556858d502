"""Hearing one recorded visitor turn: VAD → endpointing → ASR, publishing events on the bus.

Used by file-to-file runs (``dhe converse --audio``). The streaming path of the realtime server
reuses the same cores (:class:`engine.audio.vad.SpeechSegmenter`, :class:`WhisperASR`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from engine import models as model_store
from engine.asr.whisper import ASRError, ASRSettings, Transcript, WhisperASR
from engine.audio.vad import SAMPLE_RATE_HZ, SileroVAD, SpeechSegmenter, speech_segments
from engine.config import EngineConfig
from engine.events import EndOfTurn, FinalTranscript, SpeechEnded, SpeechStarted
from engine.observers import EventBus

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
        self, audio: np.ndarray, language: str, bus: EventBus, session_id: str, turn_id: str
    ) -> Heard:
        """Find the speech in a clip and transcribe it (blocking; run it off the event loop).

        Args:
            audio: float32 (n,), 16 kHz mono.
            language: ``auto``, ``en`` or ``zh``.
            bus: receives SpeechStarted/SpeechEnded/EndOfTurn/FinalTranscript and StageEvents.

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
            transcript = self.transcribe(speech, language)
        bus.publish(
            FinalTranscript(
                session_id=session_id,
                text=transcript.text,
                language=transcript.language,
                avg_logprob=transcript.avg_logprob,
            )
        )
        return Heard(transcript=transcript, segments=segments)

    def transcribe(self, speech: np.ndarray, language: str) -> Transcript:
        """Decode one utterance (float32 (n,), 16 kHz) in ``language`` (``en``/``zh``/``auto``).

        ``auto`` tries the English model first: on English speech tiny.en is confident
        (mean token log-probability ≥ -0.2 on every English clip of the test data), while on
        Mandarin it produces low-probability English-sounding text (≤ -0.6 there). Only an
        empty or unsure English decode pays for the multilingual model's language detection
        (an encoder pass over Whisper's fixed 30 s window, ~1.2 s on 2 cores) and, for
        Mandarin, its decode.

        Raises:
            ASRError: model missing or decode failure.
        """
        if language != "auto":
            return self.asr_for(language).transcribe(speech, language=language)
        first = self.asr_for("en").transcribe(speech, language="en")
        confident = first.avg_logprob is not None and first.avg_logprob >= AUTO_EN_MIN_LOGPROB
        if (first.text and confident) or not self.can_hear("zh"):
            return first
        detected = self._detect_language(speech)
        if detected == "en":
            return first
        return self.asr_for(detected).transcribe(speech, language=detected)

    def _detect_language(self, speech: np.ndarray) -> str:
        """The multilingual model's guess among the configured languages (``en`` otherwise)."""
        detected, _ = self.asr_for("zh").detect_language(speech)
        return detected if detected in self._config.asr.models else "en"
