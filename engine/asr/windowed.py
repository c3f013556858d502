"""A Whisper decode over a shortened encoder window, with a guard that falls back to 30 s.

faster-whisper pads every utterance to Whisper's 30 s window (3000 mel frames) before the
encoder, so a 2 s question costs as much encoder time as 30 s of speech: on a 2-core CPU the
tiny.en encoder pass is ~0.6 s of the ~0.85 s decode. CTranslate2's encoder accepts
fewer frames (it slices its positional embedding), so this module pads to a shorter window
instead — at least ``window_s`` seconds and ``TAIL_S`` past the speech — and decodes greedily
without timestamps, the same options :class:`engine.asr.whisper.WhisperASR` uses for the
full window.

Whisper was trained on 30 s windows only. A window that the speech nearly fills makes it loop
("open open open …"; tiny.en on our clips with a window of speech + 1 s), so the window never
goes below ``window_s`` (10 s: every English clip in ../shared/data and the synthesized FAQ
questions decode as well as or better than with 30 s, see README "Measured"), and a decode that
still looks wrong — it hit a token budget proportional to the audio, its text compresses like
a loop (gzip ratio above the threshold), or it says a phrase twice in a row ("Can I talk to a
person? Can I talk to a person?", seen on a 1.5 s question) — returns None so the caller
decodes again with the full window (the same idea as Whisper's own temperature fallback).
"""

from __future__ import annotations

import re
import threading
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Mel frames per second of audio (Whisper: 10 ms hop) and the full window (30 s).
FRAMES_PER_S = 100
FULL_WINDOW_FRAMES = 3000
#: Silence kept after the speech inside the window (seconds).
TAIL_S = 2.0
#: Token budget per second of audio, plus a constant: English speech is ~3-4 tokens/s and
#: Mandarin ~6-8 (a Han character is one or two tokens); a loop runs far past it.
TOKENS_PER_S = 12.0
TOKENS_EXTRA = 16


class DecodeAbandoned(Exception):
    """The caller gave the decode up (its ``abandon`` event was set) before it finished."""


@dataclass(frozen=True, slots=True)
class WindowedDecode:
    """One greedy decode of one window.

    Attributes:
        text: the decoded text, stripped.
        avg_logprob: mean token log-probability (faster-whisper's formula: sum / (n + 1)).
        no_speech_prob: probability of the no-speech token at the start.
        compression_ratio: UTF-8 length / zlib-compressed length of ``text``.
        window_frames: mel frames the encoder saw (100 per second).
    """

    text: str
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float
    window_frames: int


def compression_ratio(text: str) -> float:
    """UTF-8 length / zlib-compressed length (Whisper's repetition measure; > 2.4 loops)."""
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


def repeats_itself(text: str) -> bool:
    """True when ``text`` says a phrase twice in a row: two or more words (Latin script) or
    three or more characters (CJK), compared without case and punctuation."""
    if re.search(r"[\u3400-\u9fff]", text):
        units, shortest = [ch for ch in text if ch.isalnum()], 3
    else:
        units, shortest = re.sub(r"[^\w\s']", " ", text.lower()).split(), 2
    for n in range(shortest, len(units) // 2 + 1):
        for i in range(len(units) - 2 * n + 1):
            if units[i : i + n] == units[i + n : i + 2 * n]:
                return True
    return False


def window_frames(audio_samples: int, window_s: float, sample_rate_hz: int = 16_000) -> int:
    """Encoder window in mel frames for ``audio_samples`` of audio (16 kHz): at least
    ``window_s`` seconds and the audio plus ``TAIL_S``, at most the full 3000 frames."""
    audio_frames = audio_samples * FRAMES_PER_S // sample_rate_hz + 1
    wanted = max(round(window_s * FRAMES_PER_S), audio_frames + round(TAIL_S * FRAMES_PER_S))
    return min(FULL_WINDOW_FRAMES, wanted)


def decode_windowed(
    model: Any,
    audio: np.ndarray,
    language: str,
    *,
    window_s: float,
    initial_prompt: str | None,
    compression_ratio_threshold: float,
    abandon: threading.Event | None = None,
) -> WindowedDecode | None:
    """Decode ``audio`` over a shortened window; None when the caller must use the full one.

    Args:
        model: a loaded :class:`faster_whisper.WhisperModel`.
        audio: float32 (n,), 16 kHz mono speech (under 30 s).
        language: the language code to decode in (no detection here).
        window_s: the shortest window in seconds (see the module docstring).
        initial_prompt: decoder prompt text, or None.
        compression_ratio_threshold: above it the text counts as a loop (fallback).
        abandon: checked between the encoder and the decoder (a partial transcript gives way
            to a final one there).

    Returns:
        The decode, or None when the window would be the full 30 s anyway or the decode
        looks like a loop (token budget reached, compression ratio above the threshold, or a
        phrase said twice in a row).

    Raises:
        DecodeAbandoned: ``abandon`` was set when the encoder finished.
    """
    from faster_whisper.audio import pad_or_trim
    from faster_whisper.tokenizer import Tokenizer
    from faster_whisper.transcribe import get_suppressed_tokens

    frames = window_frames(audio.size, window_s)
    if frames >= FULL_WINDOW_FRAMES:
        return None
    features = model.feature_extractor(audio)
    encoder_output = model.encode(pad_or_trim(features, frames))
    if abandon is not None and abandon.is_set():
        raise DecodeAbandoned
    multilingual = bool(model.model.is_multilingual)
    tokenizer = Tokenizer(model.hf_tokenizer, multilingual, task="transcribe", language=language)
    previous = tokenizer.encode(" " + initial_prompt.strip()) if initial_prompt else []
    prompt = model.get_prompt(tokenizer, previous, without_timestamps=True)
    budget = int(audio.size / 16_000 * TOKENS_PER_S) + TOKENS_EXTRA
    result = model.model.generate(
        encoder_output,
        [prompt],
        beam_size=1,
        max_length=min(model.max_length, len(prompt) + budget),
        return_scores=True,
        return_no_speech_prob=True,
        suppress_blank=True,
        suppress_tokens=get_suppressed_tokens(tokenizer, (-1,)),
    )[0]
    tokens = result.sequences_ids[0]
    if len(tokens) >= budget:
        return None
    text = tokenizer.decode(tokens).strip()
    ratio = compression_ratio(text)
    if ratio > compression_ratio_threshold or repeats_itself(text):
        return None
    return WindowedDecode(
        text=text,
        avg_logprob=float(result.scores[0]) * len(tokens) / (len(tokens) + 1),
        no_speech_prob=float(result.no_speech_prob),
        compression_ratio=ratio,
        window_frames=frames,
    )


def language_probs_windowed(model: Any, audio: np.ndarray, window_s: float) -> dict[str, float]:
    """Whisper's language identification over a shortened encoder window.

    faster-whisper's own ``detect_language`` encodes the full 30 s window (~1 s of CPU for
    ``base`` on a 2-core machine); the first second or two of speech padded to a 5 s window
    cost ~0.1 s and named the language of every clip in ../shared/data (README "Measured").

    Args:
        model: a loaded multilingual :class:`faster_whisper.WhisperModel`.
        audio: float32 (n,), 16 kHz mono speech; at most ``window_s - TAIL_S`` seconds are read
            (the window keeps ``TAIL_S`` of silence after them).
        window_s: encoder window in seconds (≤ 30).

    Returns:
        Language code → probability, over every language the model knows (sums to ~1).
    """
    from faster_whisper.audio import pad_or_trim

    frames = min(FULL_WINDOW_FRAMES, round(window_s * FRAMES_PER_S))
    keep = max(1, round((window_s - TAIL_S) * 16_000))
    features = model.feature_extractor(audio[:keep])
    encoder_output = model.encode(pad_or_trim(features, frames))
    (pairs,) = model.model.detect_language(encoder_output)
    return {token[2:-2]: float(prob) for token, prob in pairs}  # "<|zh|>" → "zh"
