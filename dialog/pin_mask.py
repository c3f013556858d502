"""PINs and passwords in what a visitor typed or said: found by their cue word (``pin``,
``password``, 密码, and the sound-alikes ASR writes for them) or by their place right after a
masked full number, and hidden whole (nothing of the value kept), with the warning said before
the reply (:data:`SECRET_WARNING`). :func:`dialog.sensitive.redact` runs these rules before it
masks the long card, account, ID and phone numbers (:func:`hide_secrets`) and once more after
(:func:`hide_after_number`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from dialog.digit_words import DIGIT as _D
from dialog.digit_words import MASK
from dialog.digit_words import SPOKEN_DIGIT as _SPOKEN_DIGIT
from dialog.digit_words import SPOKEN_VALUE as _SPOKEN_VALUE

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


def _hider(kinds: list[str]) -> Callable[[re.Match[str]], str]:
    """The ``re.sub`` callback that puts :data:`MASK` in place of a match's ``secret`` group
    and appends ``"secret"`` to ``kinds``; a value without a digit (nor 4 digit words) stays."""

    def from_secret(match: re.Match[str]) -> str:
        secret = match.group("secret")
        if not re.search(_D, secret) and not re.fullmatch(_SPOKEN_VALUE, secret, re.IGNORECASE):
            return match.group(0)
        kinds.append("secret")
        start, end = match.span("secret")
        whole, at = match.group(0), match.start()
        return whole[: start - at] + MASK + whole[end - at :]

    return from_secret


def hide_secrets(text: str, kinds: list[str]) -> str:
    """``text`` with each PIN or password said with its cue word hidden whole (``"my pin is
    4831"`` → ``"my pin is ••••"``), in English and Chinese, in either word order and under a
    misheard cue word.

    Args:
        text: what the visitor typed, or the ASR transcript.
        kinds: appended ``"secret"`` once per value hidden (changed in place).

    Returns:
        The text with the values hidden; unchanged when there is none.
    """
    from_secret = _hider(kinds)
    masked = _SECRET.sub(from_secret, text)
    masked = _SECRET_ZH.sub(from_secret, masked)
    for loose in (_SECRET_AFTER_PAUSE, _SECRET_BEFORE, _SECRET_ZH_LATER, _SECRET_ZH_BEFORE):
        masked = loose.sub(from_secret, masked)
    masked = _MISHEARD_PIN.sub(from_secret, masked)
    return _MISHEARD_PIN_ZH.sub(from_secret, masked)


def hide_after_number(masked: str, kinds: list[str]) -> str:
    """``masked`` (full numbers already masked to ``"•••• 1234"``) with a 4-6 digit run right
    after such a mask hidden whole: a card number read out with its PIN (fixes19 #1).

    Args:
        masked: the text after the long numbers were masked.
        kinds: appended ``"secret"`` once per value hidden (changed in place).

    Returns:
        The text with those runs hidden; unchanged when there is none.
    """
    return _AFTER_NUMBER.sub(_hider(kinds), masked)
