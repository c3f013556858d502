"""Mandarin text normalisation for speech: digits, dates, times, amounts, percentages and Latin
letters inside Chinese replies become the words a Chinese speaker says.

Pure functions, no I/O. The output keeps Han characters and punctuation, turns every Arabic
digit into Chinese numerals and every Latin letter into an upper-case letter that the Mandarin
G2P (:mod:`engine.tts.zh_g2p`) spells with Chinese letter names (``ATM`` → A-T-M, ``App`` →
A-P-P, ``ID`` → I-D), so the voice and the viseme timing (both made from the same phonemes) read
the same words.

Reading rules, in the order they are applied (conventions of spoken Mainland Mandarin, as in
the GB/T 15835-2011 "General rules for writing numerals in publications" readings):

* dates ``2025-03-10`` / ``2025/3/10`` → 二零二五年三月十日; a year before 年 is read digit by
  digit (二零二四年); months and days as cardinals;
* clock times ``9:30`` → 九点三十分, ``14:00`` → 十四点; a range between two of them, or
  between two short numbers before a unit, is said with 至 (``9:00-17:00`` → 九点至十七点,
  ``3-5个工作日`` → 三至五个工作日);
* a minus sign before a number, unless a digit, a Latin letter or a closing bracket comes just
  before it (then it is a hyphen: ``AP-0042``), is 负 (a column of amounts: ``，-256.80元`` →
  负二百五十六点八元, ``余额为-5元`` → 余额为负五元); a percentage range repeats 百分之
  (``1-3%`` → 百分之一至百分之三);
* percentages ``12.5%`` → 百分之十二点五;
* codes read digit by digit: runs of 5 or more digits (unless a unit such as 元, 人 or 个
  follows), numbers with a leading zero, and numbers
  after 尾号 / 后四位 / 号码 / 编号 / 卡号 / 账号 / 验证码 / 工号 / 电话 / 手机 (``尾号4417`` →
  尾号四四一七, ``后四位是8821`` → 后四位是八八二一);
  one or two letters followed by digits (queue ticket ``A023``, appointment ``AP0042``) are a
  code too, and so is a run of letters and digits with a digit before a letter
  (``K-3F07A2C1`` → K三F零七A二C一, character by character, :func:`read_mixed_code`); the
  voice says a code's letters with Chinese letter names (``code_letters``: K kēi, T tī,
  :data:`CODE_LETTERS`) and asks for a
  pause between digit groups in codes (``code_pause``: 八八、二一), and 1 may be said 幺
  (``code_one``: 八八、二幺);
* amounts and other numbers as cardinals with 点 for the decimals (``1,234.56元`` →
  一千二百三十四点五六元; thousands separators dropped; ``¥`` / ``￥`` / ``RMB`` / ``CNY`` before
  the number become 元 after it); a bare 2 before a measure word is 两 (``2位`` → 两位).
"""

from __future__ import annotations

import itertools
import re

_DIGITS = "零一二三四五六七八九"
#: Every word a digit may be said with (幺 for 1: ``code_one``).
_DIGIT_WORDS = frozenset(_DIGITS + "幺")
_UNITS = ("", "十", "百", "千")
#: Measure words after which a bare 2 is read 两 (两位, 两个, 两天 …).
_MEASURE_WORDS = "个位天次张件种份条本名户笔项周小分秒"
#: Words after which a number is an identifier read digit by digit.
_CODE_CUES = (
    "尾号", "后四位", "号码", "编号", "卡号", "账号", "验证码", "工号", "电话", "手机", "单号",
)  # fmt: skip
#: Latin runs of at most this many letters are spelled, as Mandarin speakers read acronyms;
#: longer runs are spelled too (the offline Mandarin voice has no English G2P): a known limit.
MAX_SPELLED_LETTERS = 12

#: Full-width digits and Latin letters (U+FF10-FF19, FF21-FF3A, FF41-FF5A) → ASCII; full-width
#: punctuation is left alone (it marks clause ends for the sentence splitter).
_FULL_WIDTH = {
    code: code - 0xFEE0
    for lo, hi in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
    for code in range(lo, hi + 1)
}

_NUMBER = r"\d+(?:,\d{3})*(?:\.\d+)?"
_DATE = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_YEAR = re.compile(r"(?<!\d)(\d{4})(?=年)")
_TIME = re.compile(r"(?<![\d.])([01]?\d|2[0-3])[:：]([0-5]\d)(?![\d:])")
_TIME_RANGE = re.compile(rf"({_TIME.pattern})\s*[-–~～]\s*(?={_TIME.pattern})")
_NUMBER_RANGE = re.compile(
    r"(?<![\d.,:])(\d{1,4})\s*[-–~～]\s*(?=\d{1,4}(?:\.\d+)?\s*[点时分日号月年元个天周次位])"
)
_MINUS = re.compile(r"(?<![0-9A-Za-z.)）\]】])[-−－](?=\d)")
_PERCENT_RANGE = re.compile(rf"({_NUMBER})\s*[-–~～]\s*(?=(?:{_NUMBER})\s*[%％])")
_PERCENT = re.compile(rf"({_NUMBER})\s*[%％]")
_CURRENCY = re.compile(rf"(?:[¥￥]|\b(?:RMB|CNY)\s*)({_NUMBER})(\s*元)?")
_CODE_AFTER_CUE = re.compile(rf"({'|'.join(_CODE_CUES)})(是|为|：|:)?\s*(\d+)")
#: A code that mixes letters and digits, a digit before a letter (``K-3F07A2C1``, ``3F07``):
#: parts between hyphens, read character by character (:func:`read_mixed_code`).
_MIXED_CODE = re.compile(
    r"(?<![A-Za-z0-9])(?=[A-Za-z0-9-]*\d[A-Za-z0-9-]*?[A-Za-z])"
    r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*(?![A-Za-z0-9]|-[A-Za-z0-9]|[.,]\d)"
)
#: One or two letters before digits (queue ticket ``A023``, appointment ``AP0042``).
_LETTER_CODE = re.compile(r"(?<![A-Za-z])([A-Za-z]{1,2})(\d{2,})(?!\d|[.,]\d)")
_LONG_OR_ZERO = re.compile(r"(?<![\d.,])(0\d+|\d{5,})(?![\d.,]|\s*[元块人位个次件张份条万亿])")
_ANY_NUMBER = re.compile(rf"(?<![\d.]){_NUMBER}")
_LATIN = re.compile(r"[A-Za-z]+")


#: How the voice says 1 in a code read digit by digit: 一 yī. ``"幺"`` (yāo, as Mainland
#: clerks read telephone, card and flight numbers; 现代汉语词典 gives 幺 as 一 said when numbers
#: are read out) is the option for a listener, but the intelligibility check's ASR (Whisper
#: ``base``) writes 幺 as a character (腰, 亚, 摆), not the digit: on the dev replies
#: (offsets 1–3) the card-freeze reply scored 14.3 % with 幺 and 7.1 % with 一. Again in
#: session 19, on 10 digit strings of our own (4-digit tails, most ending in 1, whose final 一
#: the ASR writes 亿: 338亿; benchmarks/zh_variants.py --groups digits, under load ~14): CER
#: 25.6 % with 一, 29.2 % with 幺 in every code of digits only, 28.2 % with 幺 for a final 1
#: only (heard 摇, 要, 姚, 遥: a character, not the digit), so 一 stays.
CODE_ONE = "一"


#: Latin letters inside a code (K-3F07A2C1, T000135, A023, AP0042) as a Mainland clerk reads
#: them out, in tone-numbered pinyin: the letter name said with Mandarin sounds, most with a
#: level tone (K kēi, T tī, A ēi, F èfu), which :mod:`engine.tts.zh_g2p` speaks with the same
#: phonemes as a Han syllable. Said with the English letter names (kˈA …) the ASR wrote K as 给,
#: T as 第 and A as 1: 13 of 45 code letters heard on the dev replies holding a code and 16
#: sentences of our own (benchmarks/zh_codes.py), 35 of 45 with this table (K 6/6, A 7/10, F
#: 6/6, C 5/6, T 3/3); each letter's reading was the best of three tried (the English name, a
#: level-tone and a falling-tone Mandarin name). E keeps its English name (heard 以 / 1 all
#: three ways); letters the codes do not use keep theirs, as do acronyms outside codes (ATM).
CODE_LETTERS: dict[str, str] = {
    "A": "ei1", "B": "bi1", "C": "sei1", "D": "di1", "F": "ê4 fu5", "K": "kei1", "P": "pi1",
    "T": "ti1",
}  # fmt: skip


def code_letter(letter: str) -> str:
    """The pinyin syllables a letter in a code is said with (:data:`CODE_LETTERS`), or ``""``
    for a letter that keeps its English name (``"k"`` → ``"kei1"``, ``"B"`` → ``""``)."""
    return CODE_LETTERS.get(letter.upper(), "")


def _letter(letter: str, code_letters: bool) -> str:
    return letter.lower() if code_letters else letter.upper()


#: Codes with at least this many digits also get the pause between two equal digits in a row
#: (:func:`pause_repeats`); a card's or phone's last four (8821, 5511) do not.
REPEAT_PAUSE_MIN_DIGITS = 5


def pause_repeats(said: str, pause: str) -> str:
    """``pause`` between two equal spoken digits in a row: ``"零零零"`` → ``"零、零、零"``.

    Said without it, Kokoro runs a digit said twice or three times into one long syllable,
    and the Mandarin ASR writes one digit fewer (F000871 heard F00087, T000592 heard T00592).
    On 6 codes of our own with a repeated digit (benchmarks/zh_codes.py, zm_yunxi, tones off,
    range 1.6, one run at load ~1.5) it took CER from 27.7 to 11.9 % (F000871 42.9 → 7.1 %,
    F220019 31.2 → 0 %, K-00A7C3E1 21.4 → 14.3 %); of the dev replies (offsets 1-3) and older
    own codes it changes 4, 13.4 → 9.5 % (T000135 5.9 → 2.9 %, F382011 38.5 → 15.4 %, F004521
    0 → 10.5 %: 二一 heard 而已). On the 4-digit tails it cost (5511 40 → 60 %, 6621 11 → 17 %,
    3381 40 → 50 %): they keep the 2 + 2 groups alone (:data:`REPEAT_PAUSE_MIN_DIGITS`).
    """
    if not pause:
        return said
    out = said[:1]
    for before, ch in itertools.pairwise(said):
        out += (pause if ch == before and ch in _DIGIT_WORDS else "") + ch
    return out


def digits_one_by_one(digits: str, one: str = "一", pause: str = "") -> str:
    """``"4417"`` → ``"四四一七"`` (every character must be 0-9); ``one`` is said for 1
    (``"幺"``: 四四幺七) and ``pause`` between digit groups (:func:`digit_groups`) and, in a code
    of more than 4 digits, between two equal digits (:func:`pause_repeats`:
    ``"000123"`` → ``"零、零、零、一二三"``)."""
    said = "".join(one if d == "1" else _DIGITS[int(d)] for d in digits)
    if not pause:
        return said
    repeats = pause if len(said) >= REPEAT_PAUSE_MIN_DIGITS else ""
    return pause.join(pause_repeats(said[a:b], repeats) for a, b in digit_groups(len(said)))


def digit_groups(n: int) -> list[tuple[int, int]]:
    """``[start, end)`` of the groups a code of ``n`` digits is read in, as a clerk reads one
    out with a short pause between groups: 4 digits as 2 + 2 (八八、二一), a multiple of 4 in
    fours (a bank card), otherwise a first group of 3 and then fours (the 3-4-4 of a mobile
    number; 6 digits 3 + 3); up to 3 digits are one group."""
    if n <= 3:
        return [(0, n)]
    step, first = (2, 2) if n == 4 else (4, 4) if n % 4 == 0 else (4, 3)
    cuts = [0, *range(first, n, step)]
    return list(zip(cuts, [*cuts[1:], n], strict=True))


def read_mixed_code(code: str, one: str = "一", pause: str = "", code_letters: bool = False) -> str:
    """A code of letters and digits read character by character, as a clerk reads a reference
    out: ``"K-3F07A2C1"`` → ``"K、三F零七、A二C一"`` with ``pause="、"``.

    Digits are said one by one (``one`` for 1), letters stay upper-case Latin (spelled by the
    G2P), or lower case with ``code_letters`` (the G2P then says the letters of
    :data:`CODE_LETTERS` with their Chinese letter names: :func:`code_letter`). ``pause`` goes between the parts between hyphens and, inside a part longer than 4
    characters, between the groups :func:`digit_groups` gives its length (8 → 4 + 4), and
    between two equal digits (:func:`pause_repeats`: ``"K-00A7"`` → ``"K、零、零A七"``); without
    a pause the hyphens are dropped (``"K三F零七A二C一"``). A part of digits only is read as a
    code of digits alone (:func:`digits_one_by_one`): its 4 digits as 2 + 2 with no pause
    between equal digits, as a card's last four (``"K-2B-7711"`` → ``"K、二B、七七、一一"``, not
    ``"K、二B、七、七一、一"``), the equal-digit pause only from :data:`REPEAT_PAUSE_MIN_DIGITS` digits.
    """
    groups = []
    for part in code.split("-"):
        if part.isdigit():  # read as any code of digits alone: 4 digits 2 + 2, no repeat pause
            groups.append(digits_one_by_one(part, one, pause))
            continue
        said = "".join(
            _letter(ch, code_letters) if ch.isalpha() else (one if ch == "1" else _DIGITS[int(ch)])
            for ch in part
        )
        cuts = digit_groups(len(said)) if len(said) > 4 else [(0, len(said))]
        groups += [pause_repeats(said[a:b], pause) for a, b in cuts]
    return pause.join(groups)


def cardinal(number: int) -> str:
    """A non-negative integer as a Mandarin cardinal (``1005`` → 一千零五, ``12`` → 十二).

    Numbers up to 10¹⁶ use the units 万 and 亿 (GB/T 15835 reading); ``10``-``19`` drop the
    leading 一 (十二, not 一十二) at the start of a number, as spoken.

    Raises:
        ValueError: ``number`` is negative.
    """
    if number < 0:
        raise ValueError(f"cardinal needs a non-negative integer, got {number}")
    if number == 0:
        return "零"
    groups: list[int] = []
    while number:
        groups.append(number % 10_000)
        number //= 10_000
    out = ""
    zero_pending = False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            zero_pending = bool(out)
            continue
        if out and (zero_pending or group < 1000):
            out += "零"
        out += _four_digits(group) + ("", "万", "亿", "万亿")[index]
        zero_pending = False
    if out.startswith("一十"):
        out = out[1:]
    return out


def _four_digits(group: int) -> str:
    out = ""
    zero = False
    for position in range(3, -1, -1):
        digit = group // 10**position % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += _DIGITS[digit] + _UNITS[position]
    return out


def read_number(text: str) -> str:
    """A decimal number as spoken: ``"1,234.56"`` → 一千二百三十四点五六, ``"0.5"`` → 零点五,
    ``"20000"`` → 两万 (a leading 2 before 千 / 万 / 亿 is said 两); trailing zeros of the
    decimals are not said (``"1280.50"`` → 一千二百八十点五, ``"8500.00"`` → 八千五百)."""
    whole, _, fraction = text.replace(",", "").partition(".")
    fraction = fraction.rstrip("0")
    spoken = cardinal(int(whole or "0"))
    if spoken[:2] in ("二千", "二万", "二亿"):
        spoken = "两" + spoken[1:]
    return spoken + ("点" + digits_one_by_one(fraction) if fraction else "")


def _year(digits: str) -> str:
    return digits_one_by_one(digits)


def _date(match: re.Match) -> str:
    year, month, day = match.groups()
    return f"{_year(year)}年{cardinal(int(month))}月{cardinal(int(day))}日"


def _time(match: re.Match) -> str:
    hour, minute = int(match.group(1)), int(match.group(2))
    spoken = f"{cardinal(hour)}点"
    if minute:
        spoken += ("零" if minute < 10 else "") + f"{cardinal(minute)}分"
    return spoken


def _number_in_context(match: re.Match) -> str:
    text = match.group(0)
    following = match.string[match.end() : match.end() + 1]
    if text == "2" and following and following in _MEASURE_WORDS:
        return "两"
    return read_number(text)


def _letters(match: re.Match) -> str:
    return match.group(0).upper()


def normalize_zh(
    text: str, code_one: str = "一", code_pause: str = "", code_letters: bool = False
) -> str:
    """Chinese reply text → the same text with numbers and letters as they are spoken.

    Args:
        text: a reply, e.g. ``"您的余额为¥1,234.56，尾号4417，ATM每日限额20,000元。"``.
        code_one: the word for 1 in codes read digit by digit (:data:`CODE_ONE`, 一;
            ``"幺"``: 尾号四四幺七).
        code_pause: said between the digit groups of such a code (:func:`digit_groups`).
        code_letters: the Latin letters of a code come out lower case (``k三f零七``), for the
            G2P to say with :func:`code_letter`; off, every letter is upper case (what the
            intelligibility check compares).

    Returns:
        e.g. ``"您的余额为一千二百三十四点五六元，尾号四四一七，ATM每日限额两万元。"``: no
        Arabic digit is left; Latin letters are upper case (spelled by the G2P); everything
        else is unchanged.
    """
    text = _LATIN.sub(_letters, text.translate(_FULL_WIDTH))
    text = _DATE.sub(_date, text)
    text = _YEAR.sub(lambda m: _year(m.group(1)), text)
    text = _MINUS.sub("负", text)
    text = _TIME_RANGE.sub(lambda m: m.group(1) + "至", text)
    text = _NUMBER_RANGE.sub(lambda m: m.group(1) + "至", text)
    text = _PERCENT_RANGE.sub(lambda m: m.group(1) + "%至", text)
    text = _TIME.sub(_time, text)
    text = _PERCENT.sub(lambda m: "百分之" + read_number(m.group(1)), text)
    text = _CURRENCY.sub(lambda m: read_number(m.group(1)) + "元", text)
    text = _CODE_AFTER_CUE.sub(
        lambda m: (
            m.group(1) + (m.group(2) or "") + digits_one_by_one(m.group(3), code_one, code_pause)
        ),
        text,
    )
    text = _MIXED_CODE.sub(
        lambda m: read_mixed_code(m.group(0), code_one, code_pause, code_letters), text
    )
    text = _LETTER_CODE.sub(
        lambda m: (
            "".join(_letter(ch, code_letters) for ch in m.group(1))
            + digits_one_by_one(m.group(2), code_one, code_pause)
        ),
        text,
    )
    text = _LONG_OR_ZERO.sub(lambda m: digits_one_by_one(m.group(1), code_one, code_pause), text)
    return _ANY_NUMBER.sub(_number_in_context, text)
