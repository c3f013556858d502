"""Phoneme → viseme: which of the 15 Oculus visemes (:data:`avatar.visemes.OCULUS_VISEMES`)
an IPA phoneme (espeak-ng, Piper), an espeak-ng Mandarin phoneme or a pinyin syllable shows.

The tables and their sources are here; :mod:`avatar.visemes` places the visemes on a sample
clock (tracks) with these mappers.
"""

from __future__ import annotations

import unicodedata

# --- IPA phoneme -> Oculus viseme -------------------------------------------------------------
#
# Source of the table: the Oculus Lipsync "Viseme Reference" gives one or two example phonemes
# per viseme (PP: p b m "put, bat, mat"; FF: f v; TH: θ ð "think, that"; DD: t d; kk: k g;
# CH: tʃ dʒ ʃ "chair, join, she"; SS: s z; nn: n l; RR: r "red"; aa: ɑ "car"; E: ɛ "bed";
# I: ɪ "tip"; O: oʊ "toe"; U: ʊ "book"). Phonemes it does not list are placed by place and
# manner of articulation (lips closed → PP, lower lip to teeth → FF, tongue tip → DD/nn/SS,
# back of tongue → kk, postalveolar/retroflex/alveolo-palatal sibilants → CH) and vowels by
# openness and rounding, following the IPA-grouped viseme classes of Microsoft Azure Speech
# ("Get facial position with viseme", viseme IDs 0-21: æ ə ʌ | ɑ | ɔ | ɛ ʊ | ɝ | j i ɪ | w u |
# o | ... | k g ŋ | p b m).

_CONSONANTS: dict[str, str] = {
    # lips closed
    "p": "PP", "b": "PP", "m": "PP", "ɓ": "PP", "ʙ": "PP", "ʘ": "PP",
    # lower lip to upper teeth (and bilabial fricatives, lips nearly closed)
    "f": "FF", "v": "FF", "ɱ": "FF", "ʋ": "FF", "ⱱ": "FF", "ɸ": "FF", "β": "FF",
    # tongue between teeth
    "θ": "TH", "ð": "TH", "ǀ": "TH",
    # tongue tip stops and flaps
    "t": "DD", "d": "DD", "ɾ": "DD", "ʈ": "DD", "ɖ": "DD", "ɗ": "DD", "ɽ": "DD", "ǃ": "DD",
    # back of tongue (velar, uvular, pharyngeal, glottal, palatal stops)
    "k": "kk", "g": "kk", "ɡ": "kk", "q": "kk", "ɢ": "kk", "c": "kk", "ɟ": "kk", "ʄ": "kk",
    "ɠ": "kk", "ʛ": "kk", "x": "kk", "ɣ": "kk", "χ": "kk", "ħ": "kk", "ʕ": "kk", "h": "kk",
    "ɦ": "kk", "ʜ": "kk", "ʢ": "kk", "ʡ": "kk", "ʔ": "kk", "ŋ": "kk", "ɴ": "kk", "ɰ": "kk",
    # postalveolar, retroflex and alveolo-palatal sibilants, affricates
    "ʃ": "CH", "ʒ": "CH", "tʃ": "CH", "dʒ": "CH", "ʂ": "CH", "ʐ": "CH", "ɕ": "CH", "ʑ": "CH",
    "tɕ": "CH", "dʑ": "CH", "ʈʂ": "CH", "ɖʐ": "CH", "ç": "CH", "ʝ": "CH", "ɧ": "CH", "ǂ": "CH",
    # alveolar sibilants and affricates
    "s": "SS", "z": "SS", "ts": "SS", "dz": "SS",
    # nasals and laterals with the tongue tip up
    "n": "nn", "l": "nn", "ɫ": "nn", "ɲ": "nn", "ɳ": "nn", "ɭ": "nn", "ʎ": "nn", "ʟ": "nn",
    "ɬ": "nn", "ɮ": "nn", "ɺ": "nn", "ǁ": "nn",
    # r-sounds (rounded, tongue bunched)
    "r": "RR", "ɹ": "RR", "ɻ": "RR", "ʀ": "RR", "ʁ": "RR",
    # glides: take the vowel they come from
    "j": "I", "w": "U", "ʍ": "U", "ɥ": "U",
}  # fmt: skip

_VOWELS: dict[str, str] = {
    # open, unrounded
    "a": "aa", "ɑ": "aa", "ɐ": "aa", "æ": "aa", "ʌ": "aa", "ə": "aa", "ɶ": "aa", "ä": "aa",
    # mid front / central, unrounded
    "e": "E", "ɛ": "E", "ε": "E", "ɜ": "E", "ɘ": "E", "ɤ": "E",
    # close, unrounded
    "i": "I", "ɪ": "I", "ɨ": "I", "ᵻ": "I", "ɯ": "I",
    # mid, rounded
    "o": "O", "ɔ": "O", "ɒ": "O", "ɞ": "O", "œ": "O", "ø": "O", "ɵ": "O",
    # close, rounded
    "u": "U", "ʊ": "U", "y": "U", "ʏ": "U", "ʉ": "U",
    # r-coloured vowels
    "ɚ": "RR", "ɝ": "RR",
}  # fmt: skip

#: Symbols that carry no mouth shape: pauses, word gaps, punctuation, Piper's pad/BOS/EOS.
PAUSE_SYMBOLS: frozenset[str] = frozenset(" \t\n_^$#.,;:!?¡¿-–—…'\"()[]{}|‖↓↑/")

#: Stress marks: they precede a syllable, so their time goes to the phoneme that follows.
PREFIX_MODIFIERS: frozenset[str] = frozenset("ˈˌ")

#: Length, tone and secondary-articulation marks: their time goes to the phoneme before.
#: Digits are tone numbers (espeak-ng Mandarin, pinyin).
SUFFIX_MODIFIERS: frozenset[str] = frozenset("ːˑ˞ʰʲʷˠˤ̧̩̯̪̥̬̃͡‿0123456789")

_HIGH_VOWELS = frozenset("iɪuʊyʏɨʉɯ")


class UnknownPhonemeError(ValueError):
    """A phoneme symbol the viseme table does not cover."""


def is_modifier(symbol: str) -> bool:
    """True when ``symbol`` consists only of stress, length, tone or diacritic marks."""
    return bool(symbol) and all(
        ch in PREFIX_MODIFIERS or ch in SUFFIX_MODIFIERS or unicodedata.combining(ch)
        for ch in symbol
    )


def _strip_modifiers(symbol: str) -> str:
    return "".join(
        ch
        for ch in symbol
        if ch not in PREFIX_MODIFIERS
        and ch not in SUFFIX_MODIFIERS
        and not unicodedata.combining(ch)
    )


def _vowel_nucleus(vowels: str) -> str:
    """The nucleus of a vowel cluster: a rising diphthong (high glide first, e.g. Mandarin
    ``uo``, ``iou``, ``yɛ``) takes its second vowel, a falling one (``aɪ``, ``oʊ``) its first."""
    if len(vowels) >= 2 and vowels[0] in _HIGH_VOWELS and vowels[1] not in _HIGH_VOWELS:
        return vowels[1]
    return vowels[0]


def viseme_for_phoneme(ipa: str) -> str:
    """Map one IPA phoneme (as espeak-ng / Piper emit it) to one of :data:`~avatar.visemes.OCULUS_VISEMES`.

    Stress marks (ˈ ˌ), length (ː), tone digits and combining diacritics are ignored; a symbol
    made only of them, pauses, spaces, punctuation and Piper's ``_ ^ $`` give ``'sil'``.
    Multi-letter symbols are accepted: affricates (``tʃ``, ``dʒ``, ``tɕ``, ``ts``) map as a
    unit; a consonant cluster takes its first consonant; a diphthong takes its nucleus
    (``aɪ`` → aa, ``oʊ`` → O, Mandarin ``uo`` → O).

    Args:
        ipa: one phoneme, e.g. ``"ˈæ"``, ``"tʃ"``, ``"uː"``, ``" "``.

    Returns:
        A member of :data:`~avatar.visemes.OCULUS_VISEMES`.

    Raises:
        UnknownPhonemeError: the symbol contains a letter the table does not cover.
    """
    if not ipa or all(ch in PAUSE_SYMBOLS for ch in ipa):
        return "sil"
    core = _strip_modifiers(ipa)
    if not core:
        return "sil"
    for table in (_CONSONANTS, _VOWELS):
        if core in table:
            return table[core]
    if core[:2] in _CONSONANTS:
        return _CONSONANTS[core[:2]]
    if core[0] in _CONSONANTS:
        return _CONSONANTS[core[0]]
    vowels = "".join(ch for ch in core if ch in _VOWELS)
    if core[0] in _VOWELS and vowels:
        return _VOWELS[_vowel_nucleus(vowels)]
    raise UnknownPhonemeError(f"no viseme for phoneme {ipa!r}")


# --- Mandarin ---------------------------------------------------------------------------------
#
# espeak-ng's Mandarin voices (cmn, cmn-latn-pinyin) report some phonemes by their espeak
# mnemonic rather than IPA ('.' marks retroflex, '-' a back unrounded vowel, 'h' aspiration).
# The symbols below were read from espeak-ng 1.51 phoneme events over all pinyin syllables.

#: espeak-ng Mandarin phoneme mnemonics that the generic IPA rules would misread.
MANDARIN_ESPEAK_VISEMES: dict[str, str] = {
    "ts.": "CH",  # zh  [ʈʂ]
    "ts.h": "CH",  # ch [ʈʂʰ]
    "s.": "CH",  # sh   [ʂ]
    "z.": "CH",  # r    [ʐ] (older tables)
    "i.": "I",  # apical vowel after zh ch sh r [ʅ]
    "o-": "E",  # e in "me", "ke" [ɤ]
    "ər": "RR",  # er
}


def viseme_for_mandarin_phoneme(symbol: str) -> str:
    """Map one espeak-ng Mandarin phoneme (IPA or espeak mnemonic) to an Oculus viseme.

    Args:
        symbol: a phoneme as reported by libespeak-ng's phoneme events for ``cmn`` /
            ``cmn-latn-pinyin`` (e.g. ``"tɕh"``, ``"ts.h"``, ``"iou"``, ``"o-"``).

    Returns:
        A member of :data:`~avatar.visemes.OCULUS_VISEMES`.

    Raises:
        UnknownPhonemeError: neither table covers the symbol.
    """
    core = _strip_modifiers(symbol)
    if core in MANDARIN_ESPEAK_VISEMES:
        return MANDARIN_ESPEAK_VISEMES[core]
    return viseme_for_phoneme(symbol)


#: Pinyin initials → viseme (Hanyu Pinyin initials; articulation as in the IPA table above).
PINYIN_INITIAL_VISEMES: dict[str, str] = {
    "b": "PP", "p": "PP", "m": "PP", "f": "FF",
    "d": "DD", "t": "DD", "n": "nn", "l": "nn",
    "g": "kk", "k": "kk", "h": "kk",
    "j": "CH", "q": "CH", "x": "CH",
    "zh": "CH", "ch": "CH", "sh": "CH", "r": "CH",
    "z": "SS", "c": "SS", "s": "SS",
    "y": "I", "w": "U",
}  # fmt: skip

_PINYIN_VOWEL_VISEMES: dict[str, str] = {"a": "aa", "o": "O", "e": "E", "i": "I", "u": "U"}


def visemes_for_pinyin(syllable: str) -> tuple[str, ...]:
    """Visemes of one pinyin syllable, initial first then the final's nucleus.

    Args:
        syllable: pinyin with or without a tone number, ``ü`` written ``ü`` or ``v``
            (e.g. ``"zhang1"``, ``"lv4"``, ``"er2"``).

    Returns:
        One or two visemes, e.g. ``("CH", "aa")`` for ``zhang1``, ``("RR",)`` for ``er``; a
        final ending in ``n`` / ``ng`` adds ``"nn"`` / ``"kk"``.

    Raises:
        UnknownPhonemeError: ``syllable`` is not pinyin.
    """
    s = syllable.strip().lower().rstrip("012345").replace("ü", "v")
    if not s or not s.isascii() or not s.isalpha():
        raise UnknownPhonemeError(f"not a pinyin syllable: {syllable!r}")
    if s in ("er", "r"):
        return ("RR",)
    out: list[str] = []
    initial = s[:2] if s[:2] in PINYIN_INITIAL_VISEMES else s[:1]
    if initial in PINYIN_INITIAL_VISEMES and len(s) > len(initial):
        out.append(PINYIN_INITIAL_VISEMES[initial])
        final = s[len(initial) :]
    else:
        final = s
    if initial not in ("j", "q", "x", "y"):  # abbreviated finals: ui = uei, iu = iou, un = uen
        final = {"ui": "uei", "iu": "iou", "un": "uen"}.get(final, final)
    coda = ""
    if final.endswith("ng"):
        final, coda = final[:-2], "kk"
    elif final.endswith("n") and len(final) > 1:
        final, coda = final[:-1], "nn"
    vowels = final.replace("v", "u")
    if not vowels or any(ch not in "aeiou" for ch in vowels):
        raise UnknownPhonemeError(f"not a pinyin syllable: {syllable!r}")
    nucleus = (
        vowels[1] if len(vowels) >= 2 and vowels[0] in "iu" and vowels[1] in "aeo" else vowels[0]
    )
    out.append(_PINYIN_VOWEL_VISEMES[nucleus])
    if coda:
        out.append(coda)
    return tuple(out)
