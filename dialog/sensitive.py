"""Full card, account, ID and phone numbers in what a visitor typed or said: found, masked to
their last 4 digits, and answered with a short warning (``docs/architecture.md``, "Data,
privacy, configuration": logs and the audit show at most the last 4 digits).

:func:`redact` is pure. The dialog session runs every visitor text through it before anything
else reads the text, so NLU, the audit trail, the optional LLM and the caption the engine shows
all get the masked text (``DialogTurn.text``); only the last 4 digits survive, which is all a
flow ever asks for.

Digits are read as typed (``6222 0212 3456 7890``, ``138-1234-5678``), as Chinese numerals
(``幺三八…``, what Mandarin ASR may write) and as English digit words (``four four one seven …``):
the alphabet :mod:`dialog.digit_words` holds. A PIN or password said with its value is hidden
whole by the rules of :mod:`dialog.pin_mask`, which :func:`redact` runs first (its
:data:`SECRET_WARNING` and :data:`MASK` are re-exported here).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from dialog.digit_words import CJK_DIGITS as _CJK_DIGITS
from dialog.digit_words import DIGIT as _D
from dialog.digit_words import DIGIT_WORDS as _DIGIT_WORDS
from dialog.digit_words import MASK
from dialog.digit_words import SPOKEN_DIGIT as _SPOKEN_DIGIT
from dialog.pin_mask import SECRET_WARNING, hide_after_number, hide_secrets
from dialog.types import ReplyPlan

if TYPE_CHECKING:
    from dialog.pack import Response

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
_WORD_RUN = re.compile(
    rf"\b(?:(?:{_SPOKEN_DIGIT})[\s,\-]+){{9,21}}(?:{_SPOKEN_DIGIT})\b", re.IGNORECASE
)
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

    masked = hide_secrets(text, kinds)
    masked = _USCC.sub(from_code, masked)
    masked = _RUN.sub(from_digits, masked)
    masked = _WORD_RUN.sub(from_words, masked)
    if any(k != "secret" for k in kinds):
        masked = hide_after_number(masked, kinds)
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


__all__ = [
    "MASK",
    "SECRET_WARNING",
    "WARNING",
    "classify",
    "mask_code",
    "mask_line",
    "names_only_numbers",
    "redact",
    "warning_reply",
]
