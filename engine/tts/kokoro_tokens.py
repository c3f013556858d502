"""Kokoro-82M's side of a Mandarin piece that is counted in phoneme tokens, not in sound: the
model's input tokens, the runs they are cut into, how much a piece costs to make, and the
viseme track from per-token sample counts (timed by the model or estimated).

Kokoro takes one token per phoneme character of its vocabulary (the misaki phonemes of
:func:`engine.tts.zh_g2p.to_phonemes`) and at most :data:`MAX_TOKENS` of them per run (its
voice packs hold one style row per input length). Everything here is pure and needs only the
vocabulary, so the voice (:mod:`engine.tts.kokoro`) keeps the model runs and the hold of the
first piece (:func:`engine.tts.pacing.opening_hold_s`) can size a piece's cost by its tokens.
"""

from __future__ import annotations

from collections.abc import Mapping

from avatar.visemes import VisemeTrack, track_from_alignment
from engine.tts.zh_g2p import TONE_MARKS, fold_tones, viseme_for_zh_phoneme

#: Output rate of Kokoro-82M (Hz).
SAMPLE_RATE_HZ = 24_000
#: Output samples per predicted duration unit (2 × hop 300 at 24 kHz; checked on every run).
SAMPLES_PER_UNIT = 600
#: Most phoneme tokens per run: the voice packs hold one style row per length up to 510.
MAX_TOKENS = 510
#: Word gaps shorter than this (s) keep the previous mouth shape (see track_from_alignment):
#: Kokoro gives a space between words 1-3 duration units (25-75 ms).
MIN_PAUSE_S = 0.08
#: Symbols a long run may be cut after (:func:`runs`).
_BREAKS = frozenset(",.!?;: ")
_VOWELS = frozenset("aeiouyɑɐəɚɛɤɨʊɔœø")
_PAUSES = frozenset('^$,.!?;:—…()“”"')

Token = tuple[str, int]


def to_tokens(vocab: Mapping[str, int], phonemes: str) -> list[Token]:
    """``phonemes``' characters that Kokoro's ``vocab`` knows, each with its input id (a
    character outside the vocabulary is left out, as kokoro-onnx does)."""
    return [(ch, vocab[ch]) for ch in phonemes if ch in vocab]


def runs(tokens: list[Token]) -> list[list[Token]]:
    """Cut a token list into runs of at most :data:`MAX_TOKENS`, at the last punctuation or
    space before the limit (a very long sentence; replies rarely come near it)."""
    pieces: list[list[Token]] = []
    while len(tokens) > MAX_TOKENS:
        window = tokens[:MAX_TOKENS]
        cut = max((i + 1 for i, (s, _) in enumerate(window) if s in _BREAKS), default=MAX_TOKENS)
        pieces.append(tokens[:cut])
        tokens = tokens[cut:]
    if tokens:
        pieces.append(tokens)
    return pieces


def zh_track(symbols: list[str], counts: list[int]) -> VisemeTrack:
    """Viseme track at :data:`SAMPLE_RATE_HZ` from token symbols and samples per token (tone
    marks folded onto their vowels, word gaps under :data:`MIN_PAUSE_S` bridged).

    Raises:
        ValueError: lengths differ or a count is negative (:func:`track_from_alignment`).
    """
    symbols, counts = fold_tones(symbols, counts)
    return track_from_alignment(
        symbols,
        counts,
        SAMPLE_RATE_HZ,
        mapper=viseme_for_zh_phoneme,
        min_pause_samples=int(MIN_PAUSE_S * SAMPLE_RATE_HZ),
    )


def estimate_weight(symbol: str) -> float:
    """Relative length of one phoneme symbol in duration units for an estimated track: vowels
    weigh 2, consonants 1, word gaps 0.3, punctuation and the run's ends 4 (a pause), tone
    marks 0 (their time belongs to the vowel before)."""
    if symbol in TONE_MARKS:
        return 0.0
    if symbol in _VOWELS:
        return 2.0
    if symbol == " ":
        return 0.3
    if symbol in _PAUSES:
        return 4.0
    return 1.0


def estimated_track(symbols: list[str]) -> VisemeTrack:
    """A viseme track from symbols alone (``^`` … ``$`` included), each lasting twice its
    :func:`estimate_weight` in duration units (~1 ms; no model run)."""
    counts = [SAMPLES_PER_UNIT * round(2 * estimate_weight(s)) for s in symbols]
    return zh_track(symbols, counts)
