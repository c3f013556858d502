"""Viseme vocabulary and timing tracks.

The viseme set is the Oculus/Meta 15-viseme standard (Oculus Lipsync, "Viseme Reference":
sil, PP, FF, TH, DD, kk, CH, SS, nn, RR, aa, E, I, O, U). A :class:`VisemeTrack` places visemes
on a sample clock so that the mouth and the audio share one time base; which viseme a phoneme
shows is :mod:`avatar.phoneme_visemes`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from avatar.phoneme_visemes import (
    PREFIX_MODIFIERS,
    UnknownPhonemeError,
    is_modifier,
    viseme_for_phoneme,
)

#: The 15 Oculus visemes, in the order of the Oculus Lipsync reference.
OCULUS_VISEMES: tuple[str, ...] = (
    "sil",
    "PP",
    "FF",
    "TH",
    "DD",
    "kk",
    "CH",
    "SS",
    "nn",
    "RR",
    "aa",
    "E",
    "I",
    "O",
    "U",
)


@dataclass(frozen=True, slots=True)
class VisemeCue:
    """One viseme held from ``start_sample`` (inclusive) to ``end_sample`` (exclusive).

    Samples are counted at the owning track's ``sample_rate`` from the start of its audio.
    """

    viseme: str
    start_sample: int
    end_sample: int


@dataclass(frozen=True, slots=True)
class VisemeTrack:
    """Visemes for one piece of audio.

    Attributes:
        sample_rate: Hz of the audio the cues are counted in.
        cues: non-overlapping cues in time order.
    """

    sample_rate: int
    cues: tuple[VisemeCue, ...]

    @property
    def num_samples(self) -> int:
        """End of the last cue (samples), 0 for an empty track."""
        return self.cues[-1].end_sample if self.cues else 0


# --- tracks -----------------------------------------------------------------------------------


def track_from_alignment(
    phonemes: Sequence[str],
    sample_counts: Sequence[int],
    sample_rate: int,
    *,
    mapper: Callable[[str], str] = viseme_for_phoneme,
    min_pause_samples: int = 0,
    strict: bool = False,
) -> VisemeTrack:
    """Build a :class:`VisemeTrack` from phonemes and how many audio samples each one lasts.

    The time of a stress mark goes to the phoneme after it, the time of a length/tone/diacritic
    mark to the phoneme before it (Piper gives each its own duration). Zero-length cues are
    dropped and consecutive equal visemes merged. A ``'sil'`` cue shorter than
    ``min_pause_samples`` between two spoken cues (a word gap) is absorbed by the cue before it,
    so the mouth does not snap shut between words; leading and trailing silence is kept.

    Args:
        phonemes: one symbol per entry, e.g. Piper's ``PhonemeAlignment.phoneme`` list
            (``'^'``, ``'j'``, ``'ˈ'``, ``'æ'``, ``' '``, ``'$'``).
        sample_counts: samples of audio per phoneme, same length, each >= 0.
        sample_rate: Hz of the audio the counts refer to.
        mapper: phoneme → viseme; :func:`~avatar.phoneme_visemes.viseme_for_mandarin_phoneme` for espeak Mandarin.
        min_pause_samples: internal silences shorter than this are bridged (0: keep all).
        strict: raise on an unknown phoneme instead of showing it as ``'sil'``.

    Returns:
        A track whose cues start at 0 and end at ``sum(sample_counts)``.

    Raises:
        ValueError: lengths differ, a count is negative, or ``sample_rate`` <= 0.
        UnknownPhonemeError: ``strict`` and a phoneme is not covered.
    """
    if len(phonemes) != len(sample_counts):
        raise ValueError(f"{len(phonemes)} phonemes but {len(sample_counts)} sample counts")
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate}")
    # 1. fold modifier durations into their neighbours: [viseme, samples]
    spans: list[list] = []  # [viseme, samples]
    carry = 0
    for symbol, count in zip(phonemes, sample_counts, strict=True):
        n = int(count)
        if n < 0:
            raise ValueError(f"negative sample count {n} for phoneme {symbol!r}")
        if is_modifier(symbol):
            if any(ch in PREFIX_MODIFIERS for ch in symbol) or not spans:
                carry += n
            else:
                spans[-1][1] += n
            continue
        try:
            viseme = mapper(symbol)
        except UnknownPhonemeError:
            if strict:
                raise
            viseme = "sil"
        spans.append([viseme, n + carry])
        carry = 0
    if carry:
        if spans:
            spans[-1][1] += carry
        else:
            spans.append(["sil", carry])
    # 2. bridge short internal pauses, then drop empties and merge equal neighbours
    for i in range(1, len(spans) - 1):
        if spans[i][0] == "sil" and 0 < spans[i][1] < min_pause_samples:
            prev = next((s for s in reversed(spans[:i]) if s[1] > 0), None)
            if (
                prev is not None
                and prev[0] != "sil"
                and any(s[0] != "sil" and s[1] > 0 for s in spans[i + 1 :])
            ):
                prev[1] += spans[i][1]
                spans[i][1] = 0
    cues: list[VisemeCue] = []
    pos = 0
    for viseme, n in spans:
        if n == 0:
            continue
        if cues and cues[-1].viseme == viseme:
            cues[-1] = VisemeCue(viseme, cues[-1].start_sample, pos + n)
        else:
            cues.append(VisemeCue(viseme, pos, pos + n))
        pos += n
    return VisemeTrack(sample_rate=sample_rate, cues=tuple(cues))


def track_from_onsets(
    onsets: Sequence[tuple[str, int]],
    total_samples: int,
    sample_rate: int,
    *,
    mapper: Callable[[str], str] = viseme_for_phoneme,
    min_pause_samples: int = 0,
    strict: bool = False,
) -> VisemeTrack:
    """Build a track from phoneme onset positions (libespeak-ng phoneme events).

    Each phoneme lasts until the next onset; the last until ``total_samples``; audio before
    the first onset is silence.

    Args:
        onsets: ``(phoneme, start_sample)`` in time order; an empty phoneme marks a pause.
        total_samples: length of the audio in samples.
        sample_rate: Hz.
        mapper, min_pause_samples, strict: as for :func:`track_from_alignment`.

    Returns:
        A track covering ``[0, total_samples)``.

    Raises:
        ValueError: onsets go backwards or lie beyond ``total_samples``.
    """
    phonemes: list[str] = ["_"]
    starts: list[int] = [0]
    for symbol, start in onsets:
        if start < starts[-1] or start > total_samples:
            raise ValueError(f"onset {start} of {symbol!r} out of order or past the end")
        phonemes.append(symbol or "_")
        starts.append(start)
    starts.append(total_samples)
    counts = [b - a for a, b in itertools.pairwise(starts)]
    return track_from_alignment(
        phonemes,
        counts,
        sample_rate,
        mapper=mapper,
        min_pause_samples=min_pause_samples,
        strict=strict,
    )
