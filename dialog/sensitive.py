"""Full card, account, ID and phone numbers in what a visitor typed or said: found, masked to
their last 4 digits, and answered with a short warning (``docs/architecture.md``, "Data,
privacy, configuration": logs and the audit show at most the last 4 digits).

:func:`redact` is pure. The dialog session runs every visitor text through it before anything
else reads the text, so NLU, the audit trail, the optional LLM and the caption the engine shows
all get the masked text (``DialogTurn.text``); only the last 4 digits survive, which is all a
flow ever asks for.

Digits are read as typed (``6222 0212 3456 7890``, ``138-1234-5678``), as Chinese numerals
(``幺三八…``, what Mandarin ASR may write) and as English digit words (``four four one seven …``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from dialog.types import ReplyPlan

if TYPE_CHECKING:
    from dialog.pack import Response

#: The mask put in place of all but the last 4 digits.
MASK = "••••"

_DIGIT_WORDS = {
    "zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
_CJK_DIGITS = str.maketrans("零〇一幺二两三四五六七八九", "0011223456789")
_D = "[0-9零〇一幺二两三四五六七八九]"
# 10 or more digits in one block, or blocks of 3–8 joined by one space or hyphen (card numbers in
# fours, phones 3-4-4, IDs 6-8-4), an ID's final X allowed. "2024-03-15 10:30" is no run: its
# blocks are too short. A block may be digits grouped by commas, as Whisper writes a long number
# ("6,222,021 234 566 780", newcomer #16: its "6,222," was left before the mask); a run never
# starts or ends inside such a group, and a comma group with a decimal fraction after it is an
# amount ("12,345,678,901.50"), no run. Four or more blocks of exactly four digits may be joined
# by a comma and a space, as Whisper writes a card number read with pauses ("6222, 0212, 3456,
# 6780", review17); shorter blocks so joined are a list (of amounts, years), no run. Five or more
# blocks of 1-4 digits joined by single spaces are a number read out digit by digit, as Whisper
# writes a card number said slowly ("622 0 2 1 2 3 4 5 6 7 8 0", newcomer18): a run when they
# hold 10 or more digits (:func:`classify`); fewer (a card ending "4 4 1 7", a code "1 2 3 4 5 6")
# stay, as the flows read them.
_GROUPED = rf"{_D}{{1,8}}(?:,{_D}{{1,8}})+"
_BLOCK = rf"(?:{_GROUPED}|{_D}{{3,8}})"
_RUN = re.compile(
    rf"(?<!{_D})(?<!{_D},)"
    rf"(?:{_D}{{10,}}|{_GROUPED}(?:[ \-]{_BLOCK})*(?!\.[0-9])|{_D}{{3,8}}(?:[ \-]{_BLOCK})+"
    rf"|{_D}{{4}}(?:, {_D}{{4}}){{3,}}(?:, {_D}{{3}})?|{_D}{{1,4}}(?: {_D}{{1,4}}){{4,}}"
    rf"|{_D}{{1,4}}(?:, {_D}{{1,4}}){{4,}}|{_D}{{1,4}}(?:-{_D}{{1,4}}){{4,}}"
    rf"|{_D}{{3,8}}(?:\.{_D}{{3,8}}){{2,}}(?!\.[0-9]))"
    rf"(?:[ \-]?[Xx])?(?!{_D})(?!,{_D})"
)
# newcomer19: Whisper also writes a number read out in pauses as comma groups of mixed size
# ("622, 021, 2, 3, 4, 5, 6, 7, 8, 0"), and a typed one may be joined by dots or a hyphen per
# digit ("6222.0212.3456.6780", "6-2-2-2-0-…"): five or more blocks of 1-4 digits joined by ", "
# or by "-", or three or more blocks of 3-8 digits joined by "." (a date "2024.05.06" has short
# blocks). Blocks joined by ", " that all hold 3 or more digits, not all four, are a list of
# amounts or years ("1000, 2000, 3000, 4000, 5000 yuan"), no run (:func:`_a_list`).
# "o" is in no spoken run (it is a letter far more often than a digit).
_SPOKEN_DIGIT = "|".join(w for w in _DIGIT_WORDS if w != "o")
_WORD_RUN = re.compile(
    rf"\b(?:(?:{_SPOKEN_DIGIT})[\s,\-]+){{9,21}}(?:{_SPOKEN_DIGIT})\b", re.IGNORECASE
)
#: A PIN said as 4 or more digit words ("four eight three one", newcomer #16).
_SPOKEN_VALUE = rf"\b(?:{_SPOKEN_DIGIT})(?:[\s,\-]+(?:{_SPOKEN_DIGIT})){{3,}}\b"
_MOBILE_CN = re.compile(r"(?:86)?1[3-9]\d{9}")
#: A unified social credit code (统一社会信用代码, GB 32100-2015), a business's taxpayer ID:
#: 18 characters of 0-9 and the capitals but I, O, S, V, Z, the 3rd to 8th an area code's
#: digits. Checked by shape, not by its mod-31 check character: a mistyped one is as private.
_USCC = re.compile(
    r"(?<![0-9A-Za-z])[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}(?![0-9A-Za-z])",
    re.IGNORECASE,
)

#: Warning said before the reply when a full number was heard, for a pack without the response
#: ``utter_sensitive_number`` (each shipped pack has its own, naming the number it asks for:
#: the bank's card, the tax hall's taxpayer ID); so it names none.
WARNING = {
    "en": "Please don't share full card, account, ID or phone numbers here: I've hidden the digits. "
    "I only ever need the last four digits.",
    # the full names, as both packs' replies say them: in a list of short ones 号 was heard 后 / 好
    "zh": "为了您的安全，请不要在这里提供完整的银行卡号、账号、身份证号码或手机号码，"
    "我已经把号码隐藏了。我最多只需要后四位。",
}


#: A PIN or password said with its value ("my pin is 4831", "password: hunter2", 我的密码是
#: 832915): the value (a token with a digit, the word after it; 4 or more digit words, "my pin
#: is four eight three one"; digits said apart, 我的密码是8 3 2 9 1 5) is hidden whole. A value
#: without a digit ("my PIN is blocked", "密码忘了") is a problem, not a secret, and stays;
#: so does an all-letter password ("my password is sunshine"): no way to tell it from a word.
_SECRET = re.compile(
    r"(?P<lead>\b(?:pin(?:\s+(?:code|number))?|passcode|passwords?|passwd)\b"
    # "for the app", not "for card 4417" or "for card four four one seven": the digits after a
    # card or an account are its ending, which the bank asks for (review16)
    rf"(?:\s+(?:for|of)(?:\s+(?:the|my)\b)?"
    rf"(?:\s+(?!(?:cards?|accounts?)\s+(?:\d|(?:{_SPOKEN_DIGIT})\b))[^\W\d_]+\b){{1,2}})?"
    r"(?:\s*(?:is|was|=|:|to)|'s)?\s*)"
    # the value, and its further digit groups when said apart ("3 3 1 2": all of it, review16)
    rf"(?P<secret>{_SPOKEN_VALUE}"
    rf"|[^\s,.;!?，。；！？]*(?:\d|{_D})[^\s,.;!?，。；！？]*(?:[ -](?:\d|{_D})+)*)"
    # a count or a duration, not a value: "the wrong PIN 3 times", "my password is 2 weeks old"
    r"(?!\s*(?:times?|tries|try|attempts?|goes|minutes?|hours?|days?|weeks?|months?|years?)\b)",
    re.IGNORECASE,
)
#: The Chinese lead and its value: 4 or more letters and digits, or digits said apart
#: (我的密码是8 3 2 9 1 5: ASR writes each digit on its own, newcomer #16).
_SECRET_ZH = re.compile(
    rf"(?P<lead>(?:密码|口令|PIN码?)(?:是|为|：|:)?\s*)"
    rf"(?P<secret>(?=(?:[ \-]?{_D}){{4}}){_D}+(?:[ \-]{_D}+)+|(?:[0-9A-Za-z]|{_D}){{4,}})",
    re.IGNORECASE,
)
#: A PIN in everyday word order (newcomer19: each passed in clear, with no warning): after a
#: comma or a question mark ("my pin, 4831", "my pin? 4831", "I forgot my pin, it was 4831"),
#: or before its cue word ("4831 is my pin"). Only a value of 4 to 8 digits (or said apart, or
#: 4 or more digit words) with no unit or date after it: "my pin, 2024-05-06" or "my pin, 3
#: times" stays.
_PIN_WORD = r"(?:pin(?:\s+(?:code|number))?|passcode|passwords?|passwd)"
_LOOSE_VALUE = (
    rf"(?:\d{{4,8}}|\d(?:[ -]\d){{3,7}}|{_SPOKEN_VALUE})"
    r"(?![0-9]|[-/.:][0-9]|\s*(?:times?|tries|try|attempts?|goes|minutes?|hours?|days?|weeks?"
    r"|months?|years?|yuan|rmb|cny|dollars?|usd|hkd|bucks|am|pm|o'?clock)\b"
    # "I forgot my PIN, 4417 is my card": a card's ending, what the bank asks for
    r"|\s+(?:is|was|are)\s+(?:my|the)\s+(?:card|account|ending|last|queue|ticket))"
)
_SECRET_AFTER_PAUSE = re.compile(
    rf"(?P<lead>\b{_PIN_WORD}\b\s*[,?;]\s*"
    r"(?:(?:it|that)(?:\s+(?:is|was|might\s+be|may\s+be)|'s)\s*|(?:is|was)\s+)?)"
    rf"(?P<secret>{_LOOSE_VALUE})",
    re.IGNORECASE,
)
_SECRET_BEFORE = re.compile(
    rf"(?<![0-9.,:/-])(?P<secret>{_LOOSE_VALUE})"
    rf"(?P<tail>\s+(?:is|was|'s)\s+(?:my|the)\s+(?:(?:bank|card|atm|app)\s+)?{_PIN_WORD}\b)",
    re.IGNORECASE,
)
#: A PIN whose cue word ASR misheard ("my pill is 4831", "my bin is 4831", "my pen is 4831",
#: 我的密马是483192; fixes19 #1: logged at -v and printed by ``dhe converse --json`` in clear).
#: A sound-alike is read as "PIN" only after "my" (English) and only with a value of 4 to 6
#: digits, or 4 to 6 digit words, and nothing more: a bin or a pen has no number of its own
#: that a bank visitor would tell, and "my bill is 120" (3 digits) or "my pill is 5 mg" stays.
_MISHEARD_PIN = re.compile(
    r"(?P<lead>\bmy\s+(?:pill|bin|pen|pim|ping|pinn?)(?:\s+(?:code|number))?"
    r"(?:\s*(?:is|was|=|:)|'s)\s*)"
    rf"(?P<secret>\d{{4,6}}|\d(?:[ -]\d){{3,5}}"
    rf"|(?:{_SPOKEN_DIGIT})(?:[\s,\-]+(?:{_SPOKEN_DIGIT})){{3,5}}\b)(?![0-9])",
    re.IGNORECASE,
)
#: The Chinese: 密码 heard as 密马, 蜜码, 米码, 秘码, 密麻, 觅码 (same sounds, other tones).
_MISHEARD_PIN_ZH = re.compile(
    rf"(?P<lead>(?:密马|蜜码|米码|秘码|密麻|觅码|蜜马)(?:是|为|：|:)?\s*)"
    rf"(?P<secret>(?:{_D}[ \-]?){{3,5}}{_D})(?!{_D})"
)
#: A unit after a 4-6 digit run: a year, an amount, a time or a count, not a PIN ("…1234，2023年的个税",
#: "…7894 和 2000块", "…7894 1000 yuan": review19 F2, each was hidden as a PIN, taken from NLU
#: and answered with the PIN's warning).
_COUNTED = (
    r"\s*(?:[年月日号號点點时時分秒块塊元圆万千百岁歲个個次张張笔筆天人]|[:：.．][0-9]"
    r"|(?:yuan|rmb|cny|dollars?|usd|hkd|bucks|years?|tax|am|pm|a\.m|p\.m|o'?clock|hours?"
    r"|minutes?)\b)"
)
#: The Chinese: a value after 密码 and a few words that end in 是/为/a comma (我的密码忘了，好像是
#: 483191), or before 是我的密码 (483191是我的密码); 4 to 8 digits with no unit after them.
_SECRET_ZH_LATER = re.compile(
    rf"(?P<lead>(?:密码|口令)[^。！？!?.0-9零〇一幺二两三四五六七八九卡号账户尾位]{{0,10}}?"
    r"(?:是|为|：|:|，|,)\s*)"
    rf"(?P<secret>(?:{_D}[ \-]?){{3,7}}{_D})(?![ \-]?{_D}|{_COUNTED})"
)
_SECRET_ZH_BEFORE = re.compile(
    rf"(?<!{_D})(?P<secret>(?:{_D}[ \-]?){{3,7}}{_D})(?P<tail>\s*(?:就)?是我的(?:银行卡|卡)?(?:密码|口令))"
)
#: A 4-6 digit run right after a masked full number, maybe after "and", "pin" or 和/密码: a
#: card number read out with its PIN ("6222 0212 3456 7890 4831", "…7890, 4831"); the mask of
#: the number keeps its last four, the run after it is hidden whole (fixes19 #1).
_AFTER_NUMBER = re.compile(
    rf"(?P<lead>{re.escape(MASK)} [0-9A-Z]{{4}}"
    r"(?:[\s,;:，、；：]*(?:and|pin(?:\s+(?:code|is))?|和|跟|密码(?:是)?)?[\s,;:，、；：]*|[\s,;:，、；：]+))"
    rf"(?P<secret>(?:{_D}[ \-]?){{3,5}}{_D})(?!{_D}|[ \-]?[0-9]|{_COUNTED})",
    re.IGNORECASE,
)
#: Said before the reply when a PIN or password was hidden (newcomer16 #8: "my pin is 4831"
#: got the PIN answer and no word of warning, the PIN in the caption).
SECRET_WARNING = {
    "en": "Please never tell anyone your PIN or password, not even me: I've hidden it. "
    "If someone may have heard it, please change it soon.",
    "zh": "为了您的安全，请不要把密码告诉任何人，包括我，我已经把它隐藏了。"
    "如果可能被别人听到，请尽快修改密码。",
}


def _luhn(digits: str) -> bool:
    """The Luhn check (ISO/IEC 7812-1) every payment card number passes."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def classify(digits: str) -> str | None:
    """What a run of digits is, when it is a personal number.

    Args:
        digits: the digits (and a trailing ``X`` of an ID), separators removed.

    Returns:
        ``"id"`` (a Chinese resident ID: 18 characters, the last a check digit or X), ``"phone"``
        (a Chinese mobile number, ``1[3-9]`` and 9 more digits, optionally after 86),
        ``"card"`` (13–19 digits passing the Luhn check), ``"account"`` (any other run of 10 or
        more digits: account numbers have no checksum, and a longer run, e.g. a card number
        with a digit too many, is as private: newcomer15 read 20 digits in fours unmasked into a
        complaint), else ``None``.
    """
    if len(digits) == 18 and digits[:17].isdigit() and digits[17] in "0123456789Xx":
        return "id"
    if not digits.isdigit():
        return None
    if _MOBILE_CN.fullmatch(digits):
        return "phone"
    if 13 <= len(digits) <= 19 and _luhn(digits):
        return "card"
    if len(digits) >= 10:
        return "account"
    return None


def _a_list(run: str) -> bool:
    """Blocks joined by ", " all of 3 or more digits, the first four not all of four digits
    (a card number read with pauses, review17): a list of amounts or years, no number."""
    blocks = run.split(", ")
    return (
        len(blocks) > 1
        and all(len(b) >= 3 for b in blocks)
        and not (len(blocks) >= 4 and all(len(b) == 4 for b in blocks[:4]))
    )


def _masked(digits: str) -> str:
    return f"{MASK} {digits[-4:]}"


def redact(text: str) -> tuple[str, tuple[str, ...]]:
    """Mask the full card, account, ID and phone numbers in ``text``.

    Args:
        text: what the visitor typed, or the ASR transcript.

    Returns:
        ``(masked_text, kinds)``: each number replaced by ``"•••• 1234"`` (its last 4 digits;
        a unified social credit code's last 4 characters), a PIN or password said with its
        value by ``"••••"`` (nothing of it kept), and the kinds found (``"card"``,
        ``"account"``, ``"id"``, ``"phone"``, ``"taxpayer"``: a unified social credit code,
        ``"secret"``: a PIN or password); ``kinds``
        is empty, and the text unchanged, when there is none. Short numbers (a 4-digit card
        ending, a 6-digit code, amounts, years, times) are left alone.
    """
    kinds: list[str] = []

    def replace(match: re.Match[str], digits: str) -> str:
        kind = classify(digits)
        if kind is None:
            return match.group(0)
        kinds.append(kind)
        return _masked(digits)

    def from_digits(match: re.Match[str]) -> str:
        if _a_list(match.group(0)):
            return match.group(0)
        raw = re.sub(r"[ \-,.]", "", match.group(0)).translate(_CJK_DIGITS)
        # a card number said with its PIN in the same breath ("6222 0212 3456 7890 4831"): as
        # one run it was an account whose "last four" were the PIN (fixes19 #1). Only when the
        # blocks before the last 4-6 are a card number (its Luhn check): else a long account
        # number in fours keeps its own last four (newcomer15)
        blocks = re.split(r"[ \-]", match.group(0))
        if len(blocks) > 2 and classify(raw) == "account" and 4 <= len(blocks[-1]) <= 6:
            head = raw[: -len(blocks[-1])]
            if classify(head) == "card":
                kinds.extend(("card", "secret"))
                return f"{_masked(head)} {MASK}"
        return replace(match, raw)

    def from_words(match: re.Match[str]) -> str:
        words = re.findall(r"[a-z]+", match.group(0).lower())
        return replace(match, "".join(_DIGIT_WORDS[w] for w in words))

    def from_code(match: re.Match[str]) -> str:
        code = match.group(0)
        if code[:17].isdigit() and code[17] in "0123456789Xx":  # a resident ID: below
            return code
        kinds.append("taxpayer")
        return f"{MASK} {code[-4:].upper()}"

    def from_secret(match: re.Match[str]) -> str:
        secret = match.group("secret")
        if not re.search(_D, secret) and not re.fullmatch(_SPOKEN_VALUE, secret, re.IGNORECASE):
            return match.group(0)
        kinds.append("secret")
        start, end = match.span("secret")
        whole, at = match.group(0), match.start()
        return whole[: start - at] + MASK + whole[end - at :]

    masked = _SECRET.sub(from_secret, text)
    masked = _SECRET_ZH.sub(from_secret, masked)
    for loose in (_SECRET_AFTER_PAUSE, _SECRET_BEFORE, _SECRET_ZH_LATER, _SECRET_ZH_BEFORE):
        masked = loose.sub(from_secret, masked)
    masked = _MISHEARD_PIN.sub(from_secret, masked)
    masked = _MISHEARD_PIN_ZH.sub(from_secret, masked)
    masked = _USCC.sub(from_code, masked)
    masked = _RUN.sub(from_digits, masked)
    masked = _WORD_RUN.sub(from_words, masked)
    if any(k != "secret" for k in kinds):
        masked = _AFTER_NUMBER.sub(from_secret, masked)
    return masked, tuple(kinds)


#: A number said or typed: digits, Chinese numerals, English digit words, with the spaces,
#: commas and hyphens between them (``123456``, ``一二三 四五六``, ``one two three four five six``).
_NUMBER = re.compile(
    rf"(?:{_D}|\b(?:{_SPOKEN_DIGIT})\b)(?:[\s,\-]*(?:{_D}|\b(?:{_SPOKEN_DIGIT})\b))*",
    re.IGNORECASE,
)


def mask_code(text: str) -> str:
    """``text`` masked by :func:`redact`, then every number left in it hidden whole
    (``"123456"`` → ``"••••"``): for a line that the dialog reads as the one-time code (it
    answers the code's question), where any number may be the code (dialogfix18 #4).

    Args:
        text: what the visitor typed or said, unmasked.

    Returns:
        The masked text; a mask already put by :func:`redact` keeps its last four digits
        hidden too.
    """
    return _NUMBER.sub(_code_or_word, redact(text)[0])


def _code_or_word(match: re.Match[str]) -> str:
    """:data:`MASK` for a number that may be (part of) the code: written with a digit, or two
    or more digit words or numerals; a lone "one"/"oh"/一 is a word ("No one texted me",
    我还没收到一条短信 were shown as "No •••• texted me", 我还没收到••••条短信 on the page's caption
    at the code's question, review19)."""
    said = match.group(0)
    if re.search("[0-9]", said) or len(_NUMBER_TOKEN.findall(said)) >= 2:
        return MASK
    return said


_NUMBER_TOKEN = re.compile(rf"{_D}|\b(?:{_SPOKEN_DIGIT})\b", re.IGNORECASE)


def mask_line(text: str, *, code: bool = False) -> str:
    """The one masking of a visitor's line for everything that records or shows it: the
    ``engine.transcript`` log, the page's caption, ``dhe converse --json`` (fixes19 #1).

    Args:
        text: the transcript or typed line, unmasked.
        code: the dialog waits for the one-time code (:func:`dialog.lapse.at_code_question`),
            so any number in the line is hidden whole (:func:`mask_code`).

    Returns:
        The text as :func:`redact` masks it (full numbers keep their last 4 digits; a PIN, a
        PIN under a misheard cue word and a 4-6 digit run right after a full number are
        hidden whole), or as :func:`mask_code` does when ``code``.
    """
    return mask_code(text) if code else redact(text)[0]


#: Words that only name or introduce a number ("my card number is …", "and my account is …"):
#: beside its masked numbers a line of these asks for nothing.
_NUMBER_TALK_EN = frozenset((
    # the frame: "my card number is …", "here's the …", "and it's …", "ending in …"
    "my", "the", "a", "an", "and", "also", "plus", "is", "it's", "its", "it", "this", "that",
    "here", "here's", "there's", "ending", "in", "with", "of", "i", "i'm", "am", "no",
    "number", "numbers",
    # what the number belongs to
    "card", "account", "bank", "debit", "credit", "savings", "checking", "phone", "mobile",
    "cell", "telephone", "id", "identity", "passport", "tax", "taxpayer",
))  # fmt: skip
_NUMBER_TALK_ZH = re.compile(
    r"我的|我|的|是|为|号码|号|卡|银行|账户|账号|帐号|帐户|手机|电话|身份证|证件|纳税人|识别|税|还有|和|跟|这个|这是"
)
_NUMERALS = re.compile(rf"{_D}|\b(?:{'|'.join(_DIGIT_WORDS)})\b", re.IGNORECASE)


#: What :func:`redact` leaves of a number: the mask and its last 4 characters.
_MASKED_CODE = re.compile(rf"{re.escape(MASK)}\s*[0-9A-Za-z]{{4}}")


def names_only_numbers(masked: str) -> bool:
    """True when a masked line (:func:`redact`'s text) says nothing beside its numbers: only
    numbers and the words that introduce them ("my account is •••• 4417", "4417 and my card is
    •••• 5671", "我的卡号是•••• 4417"), so it holds no request to answer.

    Args:
        masked: the visitor's text after :func:`redact`.
    """
    rest = _NUMERALS.sub(" ", _MASKED_CODE.sub(" ", masked))
    rest = _NUMBER_TALK_ZH.sub(" ", rest)
    return all(word in _NUMBER_TALK_EN for word in re.findall(r"[^\W\d_][\w']*", rest.lower()))


def warning_reply(
    responses: Mapping[str, Response], language: str, kinds: tuple[str, ...] = ()
) -> ReplyPlan:
    """The warning said before the reply when a full number was masked: the pack's
    ``utter_sensitive_number`` when it has one (naming the number it asks for), else
    :data:`WARNING` in ``language`` (English for another language); when only a PIN or
    password was hidden (``kinds`` all ``"secret"``), :data:`SECRET_WARNING`; when both were,
    the number's warning followed by :data:`SECRET_WARNING`.

    Args:
        responses: the pack's responses by name (:attr:`dialog.pack.Pack.responses`).
        language: ``"en"`` or ``"zh"``, the reply's language.
        kinds: what :func:`redact` found (empty: a number, as before).
    """
    from dialog.templates import render

    secret = SECRET_WARNING.get(language, SECRET_WARNING["en"])
    if kinds and all(kind == "secret" for kind in kinds):
        return ReplyPlan(secret, language, emotion="concerned")
    response = responses.get("utter_sensitive_number")
    if response is not None:
        plan = render(response, language, {})
    else:
        plan = ReplyPlan(WARNING.get(language, WARNING["en"]), language, emotion="concerned")
    if "secret" not in kinds:
        return plan
    # a PIN told with a card number: the number's warning alone dropped the advice to change
    # the PIN, the one a visitor most needs then (newcomer18)
    joiner = "" if language == "zh" else " "
    return dataclasses.replace(plan, text=f"{plan.text}{joiner}{secret}")
