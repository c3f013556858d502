"""Entity extraction in English and Chinese: digits, yes/no, amounts, ordinals.

Pure functions, no I/O. Yes and no live in :mod:`dialog.yes_no` (re-exported here). Digits
may arrive written (``"4417"``, ``"4 4 1 7"``, ``"４４１７"``), spoken in English words, including what ASR makes of them (``"for four one seven"``,
``"double four one seven"``, ``"forty four seventeen"``), or in Chinese (``"四四一七"``,
``"幺二三"``, ``"四千四百一十七"`` via cn2an). Dates and times live in :mod:`dialog.when`.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import cn2an

from dialog.yes_no import extract_yes_no as extract_yes_no

_EN_DIGIT = {
    "zero": "0", "oh": "0", "o": "0", "nought": "0", "nil": "0",
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
    "six": "6", "seven": "7", "eight": "8", "nine": "9", "niner": "9",
}  # fmt: skip
#: What ASR writes for a digit word it misheard; only trusted inside a run of digits.
_EN_HOMOPHONE = {
    "won": "1", "to": "2", "too": "2", "tu": "2", "tree": "3", "free": "3",
    "for": "4", "fore": "4", "fo": "4", "ate": "8", "sex": "6",
}  # fmt: skip
_EN_TEENS = {
    "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13", "fourteen": "14",
    "fifteen": "15", "sixteen": "16", "seventeen": "17", "eighteen": "18", "nineteen": "19",
}  # fmt: skip
_EN_TENS = {
    "twenty": "2", "thirty": "3", "forty": "4", "fourty": "4", "fifty": "5",
    "sixty": "6", "seventy": "7", "eighty": "8", "ninety": "9",
}  # fmt: skip
_EN_REPEAT = {"double": 2, "triple": 3}
_ZH_DIGIT = {
    "零": "0", "〇": "0", "洞": "0", "一": "1", "幺": "1", "二": "2", "两": "2", "三": "3",
    "四": "4", "五": "5", "六": "6", "七": "7", "八": "8", "九": "9",
}  # fmt: skip
_ZH_UNITS = "十百千万"
#: Toneless pinyin of each digit (幺 yao: the 1 of phone and card numbers; 两 liang: 2).
_ZH_DIGIT_PINYIN = {
    "ling": "0", "yi": "1", "yao": "1", "er": "2", "liang": "2", "san": "3", "si": "4",
    "wu": "5", "liu": "6", "qi": "7", "ba": "8", "jiu": "9",
}  # fmt: skip
_TOKEN = re.compile(r"[0-9]+|[a-z]+|[零〇洞一幺二两三四五六七八九十百千万]+|\S", re.IGNORECASE)


_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """``text`` as valid Unicode: lone surrogates (a broken UTF-16 pair in JSON, undecodable
    bytes from a terminal) become U+FFFD, so no tokenizer or encoder downstream fails on them."""
    return _SURROGATE.sub("\ufffd", text)


def normalize(text: str) -> str:
    """NFKC-normalise (full-width digits and letters become ASCII) and lower-case ``text``."""
    return unicodedata.normalize("NFKC", text).lower()


@functools.cache
def _zh_homophone(char: str) -> str | None:
    """The digit a Chinese character sounds like, or None: its toneless pinyin (pypinyin's
    most frequent reading) is a digit's, the retroflex initials zh/ch/sh read as z/c/s —
    the merger of many Mandarin speakers, and Whisper's own confusion on the project's voices:
    四四一七 came back as 似是一起 and 是在一起, 一四一四 as 一似一似 (``benchmarks/digit_answers.py``)."""
    from pypinyin import Style, lazy_pinyin

    reading = lazy_pinyin(char, style=Style.NORMAL, errors="ignore")
    if len(reading) != 1:
        return None
    return _ZH_DIGIT_PINYIN.get(re.sub(r"^([zcs])h", r"\1", reading[0]))


def _token_digits(
    tokens: list[str], i: int, homophones: bool = False
) -> tuple[str, int, bool] | None:
    """Digits spelled by the tokens starting at ``i``: (digits, tokens used, is_homophone);
    ``homophones``: a Chinese character that sounds like a digit counts as one (homophone)."""
    tok = tokens[i]
    nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
    if tok.isdigit():
        return tok, 1, False
    if tok in _EN_DIGIT:
        return _EN_DIGIT[tok], 1, False
    if tok in _EN_TEENS:
        return _EN_TEENS[tok], 1, False
    if tok in _EN_TENS:
        if nxt in _EN_DIGIT and _EN_DIGIT[nxt] != "0":
            return _EN_TENS[tok] + _EN_DIGIT[nxt], 2, False
        return _EN_TENS[tok] + "0", 1, False
    if tok in _EN_REPEAT and i + 1 < len(tokens):
        inner = _token_digits(tokens, i + 1)
        if inner is not None and len(inner[0]) == 1:
            return inner[0] * _EN_REPEAT[tok], 1 + inner[1], inner[2]
        return None
    if tok in _EN_HOMOPHONE:
        return _EN_HOMOPHONE[tok], 1, True
    if tok[0] in _ZH_DIGIT or tok[0] in _ZH_UNITS:
        if any(u in tok for u in _ZH_UNITS):
            try:
                return str(int(cn2an.cn2an(tok, "smart"))), 1, False
            except (ValueError, KeyError):
                return None
        return "".join(_ZH_DIGIT[c] for c in tok), 1, False
    if homophones and len(tok) == 1 and "\u4e00" <= tok <= "\u9fff":
        digit = _zh_homophone(tok)
        return (digit, 1, True) if digit is not None else None
    return None


def _runs(text: str, homophones: bool = False) -> list[list[tuple[str, bool]]]:
    """Maximal runs of digit-spelling pieces in ``text``: [(digits, is_homophone), ...]
    (``homophones``: see :func:`extract_digits`)."""
    tokens = _TOKEN.findall(normalize(text))
    runs: list[list[tuple[str, bool]]] = []
    current: list[tuple[str, bool]] = []
    current_written = False
    i = 0
    while i < len(tokens):
        got = _token_digits(tokens, i, homophones)
        if got is None:
            if tokens[i] not in {"-", ",", "、", "，", "and"} or not current:
                if current:
                    runs.append(current)
                current = []
            i += 1
            continue
        digits, used, homophone = got
        written = tokens[i].isdigit()
        if current and written != current_written and not homophones:
            runs.append(current)
            current = []
        current_written = written
        current.append((digits, homophone))
        i += used
    if current:
        runs.append(current)
    # A lone homophone ("for", "to") is a word, not a digit (unless digits are awaited).
    return runs if homophones else [run for run in runs if not all(h for _, h in run)]


def extract_digits(text: str, length: int | None = None, *, homophones: bool = False) -> str | None:
    """Find a digit string in ``text``.

    Args:
        text: what the visitor said or typed.
        length: the exact number of digits wanted (4 for a card's last digits, 6 for a one-time
            code), or ``None`` for the longest run.
        homophones: the question waits for digits (a card's tail, a one-time code), so words
            that sound like digits are read as digits even alone or beside written ones
            ("for 117" → 4117) and so are Chinese characters (:func:`_zh_homophone`:
            似是一起 → 4417). Never elsewhere: "是" is "yes", "一起" "together".

    Returns:
        The digits (``"4417"``) or ``None`` when there is no run of the wanted length. When
        several fit, the last one said wins (``"the last four are 4417"`` → ``"4417"``).
    """
    best: str | None = None
    for run in _runs(text, homophones):
        if length is None:
            joined = "".join(d for d, _ in run)
            if best is None or len(joined) >= len(best):
                best = joined
            continue
        # The whole run, else the run less misheard homophones at its edges ("for four one seven").
        found = _trimmed(run, length)
        best = found if found is not None else best
    return best


def _trimmed(run: list[tuple[str, bool]], length: int) -> str | None:
    """``run``'s digits, or what is left after dropping homophones at its edges, when they are
    ``length`` digits long. Those in front are dropped first: 尾号是似是一起 (四四一七 with 七
    heard as 起) is 是 + 4417, not 4441 + 起 — the copula and 就 lead an answer, while a
    misheard last digit (七 → 起, 八 → 吧) is as often a homophone as a particle."""
    pieces = [d for d, _ in run]
    for end in range(len(pieces), 0, -1):
        if end < len(pieces) and not run[end][1]:
            return None
        for start in range(end):
            if start > 0 and not run[start - 1][1]:
                break
            joined = "".join(pieces[start:end])
            if len(joined) == length:
                return joined
    return None


_AMOUNT = re.compile(r"(\d[\d,]*(?:\.\d+)?)")
_ZH_AMOUNT = re.compile(r"([零〇一二两三四五六七八九十百千万亿点]+)\s*(?:元|块|人民币)")


def extract_amount(text: str) -> float | None:
    """Read a money amount (``"500 yuan"``, ``"¥1,200.50"``, ``"五百元"``, ``"two hundred"``).

    Args:
        text: the visitor's words.

    Returns:
        The amount as a float, or ``None``.
    """
    t = normalize(text)
    m = _AMOUNT.search(t)
    if m:
        return float(m.group(1).replace(",", ""))
    m = _ZH_AMOUNT.search(t)
    if m:
        try:
            return float(cn2an.cn2an(m.group(1), "smart"))
        except (ValueError, KeyError):
            return None
    return None


_ORDINALS_EN = {
    "first": 1, "1st": 1, "one": 1, "second": 2, "2nd": 2, "two": 2, "third": 3, "3rd": 3,
    "three": 3, "fourth": 4, "4th": 4, "four": 4, "fifth": 5, "5th": 5, "five": 5, "last": -1,
}  # fmt: skip
#: Words after which "one" is still the number: "option one", "number one", "just one".
_BEFORE_ONE = frozenset({"option", "number", "no", "just", "choice", "slot", "is", "take"})
_ORDINAL_ZH = re.compile(r"第\s*([一二三四五六七八九十0-9]+)\s*(?:个|项|条|号)?|最后一个")


def extract_ordinal(text: str) -> int | None:
    """Read a choice by position (``"the second one"``, ``"option 2"``, ``"第二个"``).

    Args:
        text: the visitor's words.

    Returns:
        1-based position, ``-1`` for "the last one", or ``None``.
    """
    t = normalize(text)
    m = _ORDINAL_ZH.search(t)
    if m:
        if m.group(0) == "最后一个":
            return -1
        raw = m.group(1)
        return int(raw) if raw.isdigit() else int(cn2an.cn2an(raw, "smart"))
    words = re.findall(r"[a-z0-9]+", t)
    for i, word in enumerate(words):
        # "one" after a describing word is the pronoun, no position: "the 3 pm one", "the
        # morning one" (it booked the first slot offered, 09:30, newcomer11)
        if word == "one" and i > 0 and words[i - 1] not in _BEFORE_ONE:
            continue
        if word in _ORDINALS_EN:
            return _ORDINALS_EN[word]
    digits = re.fullmatch(r"\s*(?:option|number|no\.?)?\s*(\d)\s*", t)
    return int(digits.group(1)) if digits else None
