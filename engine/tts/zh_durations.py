"""Mandarin syllable durations for Kokoro's decoder (sans-IO: arrays in, arrays out).

Kokoro predicts one duration per phoneme token (units of 25 ms) and the decoder renders the
text features, pitch and energy frames laid out by those durations. The native Mandarin
speakers say many syllables with a rhyme (vowels and tone mark) of one or two units, 25-50 ms
(现在为您冻结: ʦ a i ↘ one unit each); :func:`rhyme_floor` gives every toned syllable's rhyme
at least :data:`MIN_RHYME_UNITS`, and :func:`stretch` renders the added units between the
predictor and the decoder: a lengthened token's frames are resampled to its new length (its
text features repeated, its pitch and energy contours stretched), so the syllable keeps its
tone shape, only longer. Syllables already that long, codas, pauses and letter names are left
as the model said them.

Clear speech, the way speakers talk to be understood, lengthens the short vowels most rather
than slowing everything alike (Picheny, Durlach & Braida, J. Speech Hear. Res. 29, 1986;
Smiljanić & Bradlow, Lang. Linguist. Compass 3, 2009); speaking 10 % slower throughout made the
Mandarin ASR's CER worse (README, Voices).
"""

from __future__ import annotations

import numpy as np

from engine.tts.zh_tones import CODAS, syllables

#: Fewest duration units (25 ms) of a toned syllable's rhyme (its vowels and tone mark, not a
#: nasal coda). Chosen on the 69 pack replies the intelligibility test does not score
#: (templates 1::4-3::4 by name hash), zm_yunxi, one deterministic run each under load: CER
#: 11.2 % with the model's durations (17 replies over 15 %), 10.7 % (14) at 3 units, 11.4 %
#: (18) at 4; with the packs' card-tail wording 11.1 % (17) and 10.5 % (15) at 3.
#: On the test's own sample (30 replies, checked once) 9.3 % -> 8.8 %, 8 -> 7 over 15 %. The audio
#: is ~3.5 % longer (447 units added to 12,644 on 99 replies).
MIN_RHYME_UNITS = 3
#: F0 / energy frames per duration unit (Kokoro: 300-sample hop, 600-sample unit at 24 kHz).
FRAMES_PER_UNIT = 2


def rhyme_floor(symbols: list[str], units: np.ndarray, floor: int = MIN_RHYME_UNITS) -> np.ndarray:
    """Units to add per token so that every toned syllable's rhyme lasts ``floor`` units.

    Args:
        symbols: token symbols, start/end tokens included (``len(units)``), e.g.
            ``["^", *"ʦai↘", "$"]``.
        units: int (T,) predicted durations.
        floor: fewest units of a rhyme (its vowel tokens and tone arrow).

    Returns:
        int (T,) extra units, 0 for most tokens; a syllable's shortfall is added one unit at a
        time to its shortest rhyme token (the earlier one on a tie).
    """
    units = np.asarray(units).astype(int).reshape(-1)
    extra = np.zeros_like(units)
    for start, end, tone, _ in syllables(symbols):
        rhyme = [i for i in range(start, end) if symbols[i] not in CODAS]
        if tone == 0 or not rhyme:
            continue
        for _ in range(max(0, floor - int(units[rhyme].sum()))):
            shortest = min(rhyme, key=lambda i: (units[i] + extra[i], i))
            extra[shortest] += 1
    return extra


def stretch(
    units: np.ndarray,
    aligned: np.ndarray,
    pitch: np.ndarray,
    energy: np.ndarray,
    extra: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Lengthen tokens by ``extra`` units before the decoder runs.

    Args:
        units: int (T,) durations.
        aligned: float32 (1, C, frames) text features, one frame per unit.
        pitch: float32 (1, 2 * frames) F0 in Hz.
        energy: float32 (1, 2 * frames).
        extra: int (T,) units to add per token (>= 0), e.g. from :func:`rhyme_floor`.

    Returns:
        ``(units + extra, aligned, pitch, energy)``: a lengthened token's feature frames
        repeated (nearest frame) and its pitch and energy frames linearly resampled within the
        token; the other tokens' frames unchanged.

    Raises:
        ValueError: the lengths disagree or ``extra`` is negative.
    """
    units = np.asarray(units).astype(int).reshape(-1)
    extra = np.asarray(extra).astype(int).reshape(-1)
    total = int(units.sum())
    if len(extra) != len(units) or (extra < 0).any():
        raise ValueError(f"{len(units)} durations, extra {extra.tolist()}")
    if aligned.shape[-1] != total or pitch.shape[-1] != FRAMES_PER_UNIT * total:
        raise ValueError(f"{total} units, {aligned.shape[-1]} frames, {pitch.shape[-1]} F0")
    if not extra.any():
        return units, aligned, pitch, energy
    edges = np.concatenate([[0], np.cumsum(units)])
    index: list[np.ndarray] = []
    tracks: tuple[list[np.ndarray], list[np.ndarray]] = ([], [])
    for i, (u, k) in enumerate(zip(units, extra, strict=True)):
        a, b, n = int(edges[i]), int(edges[i + 1]), int(u + k)
        if k == 0 or u == 0:
            index.append(np.arange(a, b))
        else:
            index.append(a + np.minimum((np.arange(n) + 0.5) * u / n, u - 1).astype(int))
        for out, track in zip(tracks, (pitch, energy), strict=True):
            seg = track[..., FRAMES_PER_UNIT * a : FRAMES_PER_UNIT * b].reshape(1, -1)
            if k and u:
                m, src = FRAMES_PER_UNIT * n, seg.shape[-1]
                x = (np.arange(m) + 0.5) * src / m - 0.5
                seg = np.interp(x, np.arange(src), seg[0]).astype(np.float32)[None, :]
            out.append(seg)
    return (
        units + extra,
        np.ascontiguousarray(aligned[..., np.concatenate(index)]),
        np.concatenate(tracks[0], axis=-1),
        np.concatenate(tracks[1], axis=-1),
    )
