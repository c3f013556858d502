"""Semantic end-of-turn: Smart Turn v3.2 on onnxruntime (inference only; the decision is
:mod:`engine.audio.turn_policy`'s).

Smart Turn v3.2 (pipecat-ai/smart-turn, BSD-2-Clause; 8 MB int8 ONNX, a Whisper-tiny encoder
with a classification head, trained on 23 languages including Mandarin) reads the last 8 s of a
turn — the visitor's speech and the silence after it — and returns the probability that the
visitor has finished (published accuracy ~92.6 %). The file comes out of the pinned
``pipecat-ai`` wheel through ``dhe models smart-turn-v3.2`` (pipecat itself is not installed).

Input, as the model was trained (pipecat's ``LocalSmartTurnAnalyzerV3``): 16 kHz mono, the
last 8 s kept or zeros added *before* the audio up to 8 s, normalised to zero mean and unit
variance, then Whisper's 80-bin log-mel (:mod:`engine.audio.mel`): ``input_features`` float32
(1, 80, 800); output ``logits`` float32 (1, 1), already a sigmoid probability.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine import models as model_store
from engine.audio.mel import SAMPLE_RATE_HZ, log_mel, normalise

#: The `dhe models` entry and its file.
MODEL_NAME = "smart-turn-v3.2"
MODEL_FILE = "smart-turn-v3.2-cpu.onnx"
#: Seconds of audio the model reads (Smart Turn v3: 8 s → 800 mel frames).
WINDOW_S = 8
WINDOW_SAMPLES = WINDOW_S * SAMPLE_RATE_HZ
N_MELS = 80


class TurnModelError(Exception):
    """The turn model is missing, cannot be loaded, or was given unusable audio."""


def features(audio: np.ndarray) -> np.ndarray:
    """Smart Turn's input for one check.

    Args:
        audio: float32 (n,), 16 kHz mono: the turn so far (speech and the silence after it);
            only the last 8 s are read.

    Returns:
        float32 (1, 80, 800).

    Raises:
        TurnModelError: ``audio`` is not 1-D or holds no samples.
    """
    if audio.ndim != 1 or audio.size == 0:
        raise TurnModelError(f"turn audio must be 1-D and non-empty, got shape {audio.shape}")
    tail = audio[-WINDOW_SAMPLES:].astype(np.float32, copy=False)
    if tail.size < WINDOW_SAMPLES:
        tail = np.concatenate([np.zeros(WINDOW_SAMPLES - tail.size, np.float32), tail])
    return log_mel(normalise(tail), N_MELS)[None]


@dataclass(frozen=True, slots=True)
class TurnCheck:
    """One answer of the model.

    Attributes:
        probability: probability that the turn is complete, in [0, 1].
        compute_ms: features + inference time in milliseconds (wall clock).
        cpu_ms: the same in CPU time of the calling thread (all of it with one onnxruntime
            thread; the steadier figure on a shared machine).
    """

    probability: float
    compute_ms: float
    cpu_ms: float


class SmartTurn:
    """A loaded Smart Turn model; :meth:`check` is blocking (run it off the event loop) and
    safe to call from several threads (onnxruntime's ``run`` is thread-safe on the CPU).

    Args:
        model_path: the ONNX file, or None for the unpacked ``smart-turn-v3.2``.
        threads: onnxruntime intra-op threads (1–2 on a 2-core kiosk; ~21 ms per check with 2).

    Raises:
        TurnModelError: the model is not unpacked or cannot be loaded.
    """

    def __init__(self, model_path: Path | None = None, threads: int = 1) -> None:
        import onnxruntime

        if model_path is None:
            try:
                model_path = model_store.model_path(MODEL_NAME) / MODEL_FILE
            except model_store.ModelError as exc:
                raise TurnModelError(str(exc)) from exc
        opts = onnxruntime.SessionOptions()
        opts.inter_op_num_threads = 1
        opts.intra_op_num_threads = max(1, threads)
        opts.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        opts.log_severity_level = 3
        try:
            self._session = onnxruntime.InferenceSession(
                str(model_path), sess_options=opts, providers=["CPUExecutionProvider"]
            )
        except (RuntimeError, ValueError, OSError) as exc:  # onnxruntime's load failures
            raise TurnModelError(f"cannot load turn model {model_path}: {exc}") from exc
        self._input = self._session.get_inputs()[0].name

    def check(self, audio: np.ndarray) -> TurnCheck:
        """Is the turn in ``audio`` complete?

        Args:
            audio: float32 (n,), 16 kHz mono, ending now (see :func:`features`).

        Returns:
            The probability of a complete turn and what it cost.

        Raises:
            TurnModelError: unusable audio.
        """
        t0, c0 = time.perf_counter(), time.thread_time()
        (out,) = self._session.run(None, {self._input: features(audio)})
        prob = float(np.asarray(out).reshape(-1)[0])
        return TurnCheck(
            probability=prob,
            compute_ms=(time.perf_counter() - t0) * 1000.0,
            cpu_ms=(time.thread_time() - c0) * 1000.0,
        )


def load_turn_model(name_or_path: str, threads: int = 1) -> SmartTurn | None:
    """The configured turn model (``vad.turn_model``), or None when it is ``off``.

    Args:
        name_or_path: ``smart-turn-v3.2`` (the `dhe models` entry), a path to a Smart Turn v3
            ONNX file, or ``off``/``none``.
        threads: ``vad.turn_model_threads``.

    Raises:
        TurnModelError: not unpacked (the message names the `dhe models` command), not a file,
            or not loadable.
    """
    if name_or_path.lower() in {"off", "none", ""}:
        return None
    if name_or_path == MODEL_NAME:
        return SmartTurn(None, threads)
    path = Path(name_or_path).expanduser()
    if not path.is_file():
        raise TurnModelError(
            f"turn model {name_or_path!r} is neither {MODEL_NAME!r} nor an ONNX file"
        )
    return SmartTurn(path, threads)
