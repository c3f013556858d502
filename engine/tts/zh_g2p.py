"""Mandarin grapheme-to-phoneme conversion for Kokoro-82M.

Kokoro-82M v1.0 was trained on phonemes from misaki's Chinese G2P (hexgrad/misaki, Apache-2.0,
``misaki.zh.ZHG2P`` without a version: its "legacy" path): jieba words, pypinyin tone-3 syllables,
each syllable written in IPA by ``misaki.transcription.pinyin_to_ipa`` with the four tones as
arrows (→ ↗ ↓ ↘), syllables of one word run together and words separated by spaces. This
module makes the same string, with four changes that the voice needs in a service hall:

* the text is first normalised by :func:`engine.tts.zh_text.normalize_zh` (numbers, dates,
  amounts, times, percentages said as words; misaki's own ``cn2an.transform`` misreads codes
  such as 尾号4417), and a code read digit by digit is said as a clerk reads one out, with a
  short pause between digit groups (卡号后四位是8821 → 八八、二一; :data:`CODE_PAUSE`);
* Latin letters are spelled with their English letter names in Kokoro's English phonemes, as
  Mainland speakers read acronyms (``ATM``, ``App`` = A-P-P, ``ID``), instead of being dropped;
  the letters of a code (K-3F07A2C1, T000135: lower case from ``normalize_zh(code_letters=True)``)
  with the Chinese letter names of :data:`engine.tts.zh_text.CODE_LETTERS` (K kēi, T tī), as
  pinyin syllables;
* a syllable pinyin_to_ipa cannot transcribe is left out rather than failing the sentence;
* 一 after 第 or another numeral keeps its first tone (:func:`numeral_yi`): pypinyin carries
  the count word's tone change into 第一个 and 十一点.

The result is plain text over Kokoro's phoneme vocabulary; :func:`to_phonemes` is pure and
loads jieba's dictionary on first use (~1 s, done by the provider's warm-up).
"""

from __future__ import annotations

import functools
import re

from engine.tts.zh_text import CODE_ONE, code_letter, normalize_zh

#: Letter names in Kokoro's English phonemes (misaki's US lexicon: A = eɪ, I = aɪ, O = oʊ are
#: its one-letter diphthongs). Mainland speakers read acronyms with the English letter names
#: (ATM = "A-T-M"), and the Mandarin ASR then writes the letters.
LETTER_IPA: dict[str, str] = {
    "A": "ˈA", "B": "bˈi", "C": "sˈi", "D": "dˈi", "E": "ˈi", "F": "ˈɛf", "G": "ʤˈi",
    "H": "ˈAʧ", "I": "ˈI", "J": "ʤˈA", "K": "kˈA", "L": "ˈɛl", "M": "ˈɛm", "N": "ˈɛn",
    "O": "ˈO", "P": "pˈi", "Q": "kjˈu", "R": "ˈɑɹ", "S": "ˈɛs", "T": "tˈi", "U": "jˈu",
    "V": "vˈi", "W": "dˈʌbəlju", "X": "ˈɛks", "Y": "wˈI", "Z": "zˈi",
}  # fmt: skip

#: Chinese punctuation → the ASCII marks Kokoro was trained with (misaki ``map_punctuation``).
_PUNCTUATION = str.maketrans(
    {
        "、": ", ", "，": ", ", "。": ". ", "．": ". ", "！": "! ", "：": ": ", "；": "; ",
        "？": "? ", "«": " “", "»": "” ", "《": " “", "》": "” ", "「": " “", "」": "” ",
        "【": " “", "】": "” ", "（": " (", "）": ") ",
    }
)  # fmt: skip
#: Tone letters of pinyin_to_ipa → Kokoro's tone arrows (misaki ``ZHG2P.retone``).
_TONES = (("˧˩˧", "↓"), ("˧˥", "↗"), ("˥˩", "↘"), ("˥", "→"))
#: Han text, spelled letters, letters of a code (lower case: zh_text ``code_letters``), the rest.
_SEGMENTS = re.compile(r"([\u4e00-\u9fff]+)|([A-Z]+)|([a-z]+)|([^\u4e00-\u9fffA-Za-z]+)")


#: Said between the digit groups of a code (:func:`engine.tts.zh_text.digit_groups`): a list
#: comma, which Kokoro renders as a short pause, as a clerk reads 8821 as 八八、二一 so the
#: listener hears where they are in it. On the 69 pack replies the intelligibility test does
#: not score it changed two (the ticket and card-freeze replies), each by one character fewer
#: misheard, with 1 said 幺; with 一 (:data:`engine.tts.zh_text.CODE_ONE`) the card-freeze
#: reply's 8821 is heard as the digits.
CODE_PAUSE = "、"


def _retone(phoneme: str) -> str:
    for mark, arrow in _TONES:
        phoneme = phoneme.replace(mark, arrow)
    # syllabic ɻ̩ / ɹ̩ (the apical vowel of zhi, ci …) are written ɨ; the non-syllabic mark goes.
    return phoneme.replace("ɻ̩", "ɨ").replace("ɹ̩", "ɨ").replace("\u032f", "")


@functools.cache
def syllable_ipa(pinyin: str) -> str:
    """One tone-numbered pinyin syllable in Kokoro's phonemes (``"zhong1"`` → ``"ꭧʊ→ŋ"``).

    Returns:
        The phonemes, or ``""`` when pinyin_to_ipa cannot parse the syllable (e.g. ``r5``).
    """
    from misaki.transcription import pinyin_to_ipa

    try:
        options = pinyin_to_ipa(pinyin)
    except (ValueError, KeyError, IndexError):
        return ""
    return "".join(_retone(p) for p in next(iter(options)))


#: Characters after which 一 is a digit of a numeral or an ordinal, said yi1 (see
#: :func:`numeral_yi`).
_BEFORE_NUMERAL_YI = frozenset("第零〇一二三四五六七八九十百千万亿两")


def numeral_yi(text: str, syllables: list[str]) -> list[str]:
    """``syllables`` (pypinyin TONE3, one per character of ``text``) with 一 read yi1 where it
    follows 第 or another numeral character.

    一 changes its tone before another syllable (yi4 / yi2) only as a count word; as a digit of
    a number (十一 shíyī, 二十一) and in an ordinal (第一 dìyī) it keeps its first tone (现代汉语
    词典, 7th ed., the usage note of 一: alone, at the end of a word and in ordinals). pypinyin's
    phrase readings carry the count word's sandhi into these: 第一个 di4 yi2 ge4 and 十一点
    shi2 yi4 dian3, which the replies say (“第一个”, times 11点 → 十一点).

    Args:
        text: Han characters, e.g. ``"第一个"``; ``text[:1]`` may be the previous word's last
            character (context only, its syllable is not in ``syllables``).
        syllables: TONE3 syllables of ``text`` without that context character.

    Returns:
        The syllables, 一 after 第 or a numeral as ``yi1`` (``["di4", "yi1", "ge4"]``).
    """
    offset = len(text) - len(syllables)
    out = list(syllables)
    for i in range(len(out)):
        k = i + offset
        if text[k] == "一" and k > 0 and text[k - 1] in _BEFORE_NUMERAL_YI:
            out[i] = "yi1"
    return out


def _han_words(text: str) -> list[str]:
    import jieba
    from pypinyin import Style, lazy_pinyin

    words = []
    previous = ""
    for word in jieba.lcut(text, cut_all=False):
        syllables = lazy_pinyin(word, style=Style.TONE3, neutral_tone_with_five=True)
        if len(syllables) == len(word):  # one syllable a character (Han text always is)
            syllables = numeral_yi(previous + word, syllables)
        words.append("".join(syllable_ipa(s) for s in syllables))
        previous = word[-1:]
    return [w for w in words if w]


def _spelled(letters: str) -> list[str]:
    """Upper case: English letter names; lower case (a code's letters): the Chinese letter
    name of :func:`engine.tts.zh_text.code_letter`, else the English one."""
    return [
        (ch.islower() and "".join(syllable_ipa(s) for s in code_letter(ch).split()))
        or LETTER_IPA[ch.upper()]
        for ch in letters
    ]


def to_phonemes(text: str) -> str:
    """Chinese text (numbers, letters and all) → Kokoro phoneme string.

    Args:
        text: e.g. ``"您好，ATM在门口。"``.

    Returns:
        e.g. ``"ni↗n xau↓, ei→ ti↘ ai↗mu ʦai↘ mə↗nkʰou↓."``; empty for text with nothing to say.
    """
    spoken = normalize_zh(
        text, code_one=CODE_ONE, code_pause=CODE_PAUSE, code_letters=True
    ).translate(_PUNCTUATION)
    out = ""
    previous_was_word = False
    for han, latin, code, other in _SEGMENTS.findall(spoken):
        words = _han_words(han) if han else _spelled(latin or code) if latin or code else []
        if words:
            out += (" " if previous_was_word else "") + " ".join(words)
        else:
            out += other
        previous_was_word = bool(words)
    return re.sub(r"\s+", " ", out).strip()


# --- visemes of these phonemes ------------------------------------------------------------

#: Tone arrows: a tone is carried by the vowel before it, so its time goes to that vowel.
TONE_MARKS = frozenset("→↗↓↘")

#: Kokoro's Mandarin phonemes that the IPA viseme table (avatar.visemes) does not spell the
#: same way: the ligature affricates ꭧ (zh [ʈʂ]), ʨ (j [tɕ]), ʦ (z [ts]) and the retroflex
#: initial ɻ (r), which pinyin viseme tables put with the sibilants (lips forward, teeth close);
#: the letter names add the ligatures ʧ and ʤ.
_KOKORO_ZH_VISEMES = {
    "ꭧ": "CH", "ʨ": "CH", "ʦ": "SS", "ɻ": "CH", "ʧ": "CH", "ʤ": "CH",
    # misaki's one-letter English diphthongs in letter names (A = eɪ, I = aɪ, O = oʊ …),
    # placed by their first vowel
    "A": "E", "I": "aa", "O": "O", "W": "aa", "Y": "O", "Q": "O",
}  # fmt: skip


def viseme_for_zh_phoneme(symbol: str) -> str:
    """Oculus viseme of one Kokoro Mandarin phoneme character (``"ꭧ"`` → ``"CH"``).

    Raises:
        avatar.visemes.UnknownPhonemeError: the symbol is not covered.
    """
    from avatar.visemes import viseme_for_phoneme

    return _KOKORO_ZH_VISEMES.get(symbol) or viseme_for_phoneme(symbol)


def fold_tones(symbols: list[str], counts: list[int]) -> tuple[list[str], list[int]]:
    """Give each tone arrow's samples to the phoneme before it and drop the arrow.

    Args:
        symbols: one phoneme character per entry, as fed to the model.
        counts: samples per entry, same length.

    Returns:
        ``(symbols, counts)`` without tone arrows; the total sample count is unchanged.
    """
    out_symbols: list[str] = []
    out_counts: list[int] = []
    for symbol, count in zip(symbols, counts, strict=True):
        if symbol in TONE_MARKS and out_counts:
            out_counts[-1] += count
        else:
            out_symbols.append("_" if symbol in TONE_MARKS else symbol)
            out_counts.append(count)
    return out_symbols, out_counts
