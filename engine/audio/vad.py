"""Voice activity detection: Silero VAD probabilities and a sans-IO speech segmenter.

Silero VAD (snakers4/silero-vad; the v6 ONNX export shipped inside faster-whisper,
``faster_whisper/assets/silero_vad_v6.onnx``) scores 512-sample windows of 16 kHz audio
(32 ms), each prefixed with the last 64 samples of the previous window, carrying its LSTM state
``h``/``c`` from window to window. :class:`SileroVAD` keeps that state between calls so it works on
a live stream (the library's helper resets it per call). :class:`SpeechSegmenter` turns the
probabilities into onsets and offsets with hysteresis; it has no I/O and no clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np

WINDOW_SAMPLES = 512  # Silero window at 16 kHz (32 ms)
CONTEXT_SAMPLES = 64  # Silero v5/v6 context prefix at 16 kHz
SAMPLE_RATE_HZ = 16_000


def default_model_path() -> Path:
    """Path of the Silero VAD ONNX file inside the installed faster-whisper package."""
    return Path(str(resources.files("faster_whisper") / "assets" / "silero_vad_v6.onnx"))


class SileroVAD:
    """Streaming Silero VAD on onnxruntime (one instance per audio stream; not thread-safe).

    Args:
        model_path: the ONNX file (default: faster-whisper's copy).
    """

    def __init__(self, model_path: Path | None = None) -> None:
        import onnxruntime

        opts = onnxruntime.SessionOptions()
        opts.inter_op_num_threads = 1
        opts.intra_op_num_threads = 1
        opts.log_severity_level = 4
        self._session = onnxruntime.InferenceSession(
            str(model_path or default_model_path()),
            providers=["CPUExecutionProvider"],
            sess_options=opts,
        )
        self._pending = np.zeros(0, dtype=np.float32)
        self.reset()

    def reset(self) -> None:
        """Forget the stream: zero LSTM state and context."""
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(CONTEXT_SAMPLES, dtype=np.float32)
        self._pending = np.zeros(0, dtype=np.float32)

    @property
    def buffered(self) -> int:
        """Samples kept from earlier calls for the next window (under 512)."""
        return self._pending.size

    def process(self, audio: np.ndarray) -> np.ndarray:
        """Score the next samples of the stream.

        Args:
            audio: float32 (n,), 16 kHz mono; any length (a remainder under 512 samples is
                kept for the next call).

        Returns:
            float32 (k,) speech probabilities in [0, 1], one per complete 512-sample window.
        """
        buf = np.concatenate([self._pending, audio.astype(np.float32, copy=False)])
        k = buf.size // WINDOW_SAMPLES
        self._pending = buf[k * WINDOW_SAMPLES :].copy()
        if k == 0:
            return np.zeros(0, dtype=np.float32)
        windows = buf[: k * WINDOW_SAMPLES].reshape(k, WINDOW_SAMPLES)
        contexts = np.empty((k, CONTEXT_SAMPLES), dtype=np.float32)
        contexts[0] = self._context
        contexts[1:] = windows[:-1, -CONTEXT_SAMPLES:]
        batch = np.concatenate([contexts, windows], axis=1)
        # The v6 export runs its LSTM over the batch dimension as a sequence, so one call over k
        # windows equals k streaming calls (faster_whisper.vad.SileroVADModel relies on the same).
        probs, self._h, self._c = self._session.run(
            None, {"input": batch, "h": self._h, "c": self._c}
        )
        self._context = windows[-1, -CONTEXT_SAMPLES:].copy()
        return np.asarray(probs, dtype=np.float32).reshape(-1)


@dataclass(frozen=True, slots=True)
class VadDecision:
    """An onset (``start``) or offset (``end``) at a 16 kHz stream sample position."""

    kind: Literal["start", "end"]
    sample: int


@dataclass(slots=True)
class SpeechSegmenter:
    """Hysteresis segmenter over Silero window probabilities (sans-IO).

    Speech starts once probabilities stay ≥ ``threshold`` for ``min_speech_ms``; it ends once they
    stay below ``threshold - 0.15`` for ``min_silence_ms`` (Silero's own ``get_speech_timestamps``
    uses the same 0.15 hysteresis). Samples are 16 kHz input-stream positions.

    Attributes:
        threshold: onset probability (Silero default 0.5).
        min_speech_ms: onset must be sustained this long.
        min_silence_ms: silence that ends speech (the endpointing wait).
    """

    threshold: float = 0.5
    min_speech_ms: float = 200.0
    min_silence_ms: float = 500.0
    in_speech: bool = False
    _run_start: int | None = field(default=None, repr=False)
    _last_speech_end: int = field(default=0, repr=False)
    _silence_start: int | None = field(default=None, repr=False)

    def feed(self, prob: float, window_start: int) -> VadDecision | None:
        """Advance by one 512-sample window.

        Args:
            prob: Silero speech probability of the window.
            window_start: sample position of the window's first sample.

        Returns:
            A decision when speech started or ended in this window, else None.
        """
        window_end = window_start + WINDOW_SAMPLES
        if not self.in_speech:
            if prob >= self.threshold:
                if self._run_start is None:
                    self._run_start = window_start
                if _ms(window_end - self._run_start) >= self.min_speech_ms:
                    self.in_speech = True
                    self._silence_start = None
                    self._last_speech_end = window_end
                    return VadDecision("start", self._run_start)
            else:
                self._run_start = None
            return None
        if prob >= self.threshold - 0.15:
            self._silence_start = None
            self._last_speech_end = window_end
            return None
        if self._silence_start is None:
            self._silence_start = window_start
        if _ms(window_end - self._silence_start) >= self.min_silence_ms:
            self.in_speech = False
            self._run_start = None
            return VadDecision("end", self._last_speech_end)
        return None

    def flush(self) -> VadDecision | None:
        """End of stream: close an open speech segment."""
        if self.in_speech:
            self.in_speech = False
            return VadDecision("end", self._last_speech_end)
        return None


def _ms(samples: int) -> float:
    return samples * 1000.0 / SAMPLE_RATE_HZ


def speech_segments(probs: np.ndarray, segmenter: SpeechSegmenter) -> list[tuple[int, int]]:
    """Run ``segmenter`` over a whole probability array.

    Args:
        probs: float32 (k,) window probabilities from :meth:`SileroVAD.process`.
        segmenter: a fresh segmenter (its settings decide the result).

    Returns:
        ``(start_sample, end_sample)`` pairs of speech, 16 kHz positions, in order.
    """
    segments: list[tuple[int, int]] = []
    start: int | None = None
    decisions = [segmenter.feed(float(p), i * WINDOW_SAMPLES) for i, p in enumerate(probs)]
    decisions.append(segmenter.flush())
    for decision in decisions:
        if decision is None:
            continue
        if decision.kind == "start":
            start = decision.sample
        elif start is not None:
            segments.append((start, decision.sample))
            start = None
    return segments
