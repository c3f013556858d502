"""Piper TTS provider (offline neural voices, ONNX), with phoneme-timed visemes.

Piper (``piper-tts``, GPL-3.0) is imported in this module only. The voice is loaded once with
``include_alignments=True``: Piper patches the ONNX graph in memory (needs the ``onnx``
package) so each synthesis also returns the number of audio samples per phoneme id, which
:func:`avatar.visemes.track_from_alignment` turns into a viseme track that matches the audio
sample for sample.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from avatar.visemes import VisemeTrack, track_from_alignment
from engine.tts.base import SentenceTTS, TTSChunk, TTSError

#: Word gaps shorter than this (s) keep the mouth shape of the word before (see
#: :func:`avatar.visemes.track_from_alignment`); ~50 ms is below one video frame at 20 fps.
MIN_PAUSE_S = 0.05


@dataclass(frozen=True, slots=True)
class PiperSettings:
    """Per-voice synthesis settings.

    Attributes:
        speaker_id: speaker index for multi-speaker voices, None for the default.
        length_scale: phoneme duration factor, > 1 speaks slower; None: the voice's default.
        noise_scale, noise_w_scale: Piper generator/duration noise; None: the voice's default.
        volume: linear gain after Piper's peak normalisation, 0 < volume <= 1.
    """

    speaker_id: int | None = None
    length_scale: float | None = None
    noise_scale: float | None = None
    noise_w_scale: float | None = None
    volume: float = 1.0


class _LoadedVoice:
    """A Piper voice and the lock that serialises it (one ONNX run at a time per voice)."""

    def __init__(self, voice: object, config: dict) -> None:
        self.voice = voice
        self.config = config
        self.lock = threading.Lock()


class PiperTTS(SentenceTTS):
    """Piper voice behind the :class:`~engine.tts.base.TTSProvider` interface.

    Args:
        model_path: the voice's ``.onnx`` file.
        config_path: its ``.onnx.json``; default ``model_path`` + ``.json``.
        speaker: speaker name or index for multi-speaker voices.
        length_scale: > 1 slower, < 1 faster (0.5-2.0); None: the voice's own.
        use_cuda: run ONNX on CUDA (needs onnxruntime-gpu).

    Raises:
        TTSError: ``model-not-found`` (missing file), ``model-invalid`` (unreadable config or
            ONNX), ``bad-setting`` (unknown speaker, length_scale out of range).
    """

    def __init__(
        self,
        model_path: Path,
        config_path: Path | None = None,
        speaker: str | int | None = None,
        length_scale: float | None = None,
        use_cuda: bool = False,
    ) -> None:
        model_path = Path(model_path)
        config_path = Path(config_path) if config_path else Path(f"{model_path}.json")
        for path in (model_path, config_path):
            if not path.is_file():
                raise TTSError("model-not-found", f"Piper voice file not found: {path}")
        try:
            config = json.loads(config_path.read_text(encoding="utf-8"))
            from piper import PiperVoice

            voice = PiperVoice.load(
                model_path, config_path, use_cuda=use_cuda, include_alignments=True
            )
        except Exception as exc:  # any loader failure (protobuf, onnxruntime, JSON) → one code
            raise TTSError("model-invalid", f"cannot load Piper voice {model_path}: {exc}") from exc
        self._voice = _LoadedVoice(voice, config)
        self.sample_rate: int = int(config["audio"]["sample_rate"])
        language = config.get("language", {}).get("family") or config["espeak"]["voice"]
        self.languages: frozenset[str] = frozenset({str(language).split("-")[0].lower()})
        self.settings = PiperSettings(
            speaker_id=self._speaker_id(speaker), length_scale=_check_scale(length_scale)
        )

    def _speaker_id(self, speaker: str | int | None) -> int | None:
        if speaker is None or isinstance(speaker, int):
            return speaker
        speakers = self._voice.config.get("speaker_id_map", {})
        if speaker not in speakers:
            raise TTSError("bad-setting", f"unknown speaker {speaker!r}; have {sorted(speakers)}")
        return int(speakers[speaker])

    def with_length_scale(self, length_scale: float | None) -> PiperTTS:
        """A view of this voice speaking slower (> 1) or faster (< 1); shares the loaded model.

        Raises:
            TTSError: ``bad-setting`` when outside 0.5-2.0.
        """
        other = object.__new__(PiperTTS)
        other.__dict__.update(self.__dict__)
        other.settings = replace(self.settings, length_scale=_check_scale(length_scale))
        return other

    def warm_up(self) -> None:
        """Synthesize a short phrase once so the first real reply skips ONNX's first-run cost
        (~0.6 s on a 2-core CPU)."""
        self.synthesize_sentence("Hello.", next(iter(self.languages)))

    def synthesize_sentence(self, sentence: str, language: str) -> TTSChunk:
        """Synthesize one sentence; see :meth:`SentenceTTS.synthesize_sentence`.

        Returns:
            int16 PCM at :attr:`sample_rate` and visemes aligned to it from Piper's per-phoneme
            sample counts. If the voice reports no alignment, or one that misses the audio
            length by more than one hop (256 samples), the samples are spread evenly over the
            phonemes instead: an approximation.

        Raises:
            TTSError: ``synthesis-failed`` on an ONNX or phonemizer error.
        """
        self.check_language(language)
        from piper import SynthesisConfig

        s = self.settings
        syn = SynthesisConfig(
            speaker_id=s.speaker_id,
            length_scale=s.length_scale,
            noise_scale=s.noise_scale,
            noise_w_scale=s.noise_w_scale,
            volume=s.volume,
        )
        audio: list[np.ndarray] = []
        phonemes: list[str] = []
        counts: list[int] = []
        try:
            with self._voice.lock:
                pieces = list(self._voice.voice.synthesize(sentence, syn, include_alignments=True))
        except Exception as exc:  # onnxruntime's errors are bare Exception subclasses
            raise TTSError("synthesis-failed", f"Piper failed on {sentence!r}: {exc}") from exc
        hop = int(self._voice.config.get("hop_length", 256))
        for piece in pieces:
            samples = piece.audio_int16_array
            audio.append(samples)
            aligned = piece.phoneme_alignments or []
            if aligned and abs(sum(int(a.num_samples) for a in aligned) - len(samples)) <= hop:
                phonemes.extend(a.phoneme for a in aligned)
                counts.extend(int(a.num_samples) for a in aligned)
            else:  # no usable alignment: spread evenly (approximate)
                symbols = ["^", *piece.phonemes, "$"]
                edges = np.linspace(0, len(samples), len(symbols) + 1).astype(int)
                phonemes.extend(symbols)
                counts.extend(int(n) for n in np.diff(edges))
        pcm = np.concatenate(audio) if audio else np.zeros(0, dtype=np.int16)
        visemes = _fit_track(phonemes, counts, len(pcm), self.sample_rate)
        return TTSChunk(
            pcm=pcm.astype("<i2").tobytes(),
            sample_rate=self.sample_rate,
            visemes=visemes,
            text=sentence,
        )


def _check_scale(length_scale: float | None) -> float | None:
    if length_scale is not None and not 0.5 <= length_scale <= 2.0:
        raise TTSError("bad-setting", f"length_scale must be 0.5-2.0, got {length_scale}")
    return length_scale


def _fit_track(phonemes: list[str], counts: list[int], total: int, sample_rate: int) -> VisemeTrack:
    """Track from alignments, trimmed or padded with silence to exactly ``total`` samples
    (Piper's counts are whole hops of 256 samples and match the audio length; this absorbs
    the up-to-one-hop difference allowed above)."""
    excess = sum(counts) - total
    while excess > 0 and counts:
        cut = min(counts[-1], excess)
        counts[-1] -= cut
        excess -= cut
        if counts[-1] == 0:
            counts.pop()
            phonemes.pop()
    if excess < 0:
        phonemes.append("_")
        counts.append(-excess)
    return track_from_alignment(
        phonemes, counts, sample_rate, min_pause_samples=int(MIN_PAUSE_S * sample_rate)
    )
