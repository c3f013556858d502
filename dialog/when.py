"""Dates and times said in English or Chinese ("tomorrow at 3 pm", "明天下午三点").

Pure: the current time is passed in (``now``, timezone-aware; the engine's default zone is
Asia/Shanghai). Results are ISO strings so they can sit in slots and templates:
``"2025-03-04"``, ``"2025-03-04T15:00"``, or ``"T15:00"`` for a time with no date.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

import cn2an

from dialog.entities import normalize

DEFAULT_TZ = ZoneInfo("Asia/Shanghai")

_WEEKDAYS_EN = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAYS_ZH = "一二三四五六日"
_MONTHS_EN = (
    "january", "february", "march", "april", "may", "june", "july",
    "august", "september", "october", "november", "december",
)  # fmt: skip
#: A month's name, whole or cut short ("Feb", "Sept.").
_MONTH_EN = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
#: A day of a month, either way round and with or without its ordinal: "March 3", "March 3rd",
#: "Feb the 29th", "3rd March", "the 29th of February"; a number before "pm" is a time ("may
#: 3 pm"). "March 3rd" and "Feb 29" read as no date before (fixes13): only a whole month name
#: followed by a bare number was read that way round.
_MONTH_DAY_EN = re.compile(
    rf"\b(?:{_MONTH_EN}\s+(?:the\s+)?(\d{{1,2}})(?:st|nd|rd|th)?(?!\s*(?:[ap]\.?m\b|o'?clock))"
    rf"|(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH_EN})(?![\w:])"
)
_EN_HOURS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip


def _zh_int(raw: str) -> int:
    return int(raw) if raw.isdigit() else int(cn2an.cn2an(raw, "smart"))


def _day(year: int, month: int, day: int) -> date | None:
    """The calendar day, or None when there is none ("30 February", "2月30日", month 13): an
    impossible date is no answer (the question is asked again), never an error; it ended the
    visitor's session with internal-error (newcomer10)."""
    try:
        return date(year, month, day)
    except ValueError:
        return None


#: How many years ahead :func:`_coming` looks: the longest gap between two 29 Februaries is 8
#: years (2096 → 2104; Gregorian rule: a century year is a leap year only when divisible by 400).
_LEAP_GAP_YEARS = 8


def _coming(month: int, day: int, today: date) -> date | None:
    """The next ``month``/``day`` from ``today`` on, or None when no year has it (31 April,
    month 13).

    "29 February" said in a non-leap year is the next leap day, up to
    :data:`_LEAP_GAP_YEARS` years ahead: the visitor named a real day, and whether a day years
    out can be served is the flow's own limit, not the date reader's (the tax bureau opens
    slots 14 days ahead, so the booking answers "no free slots that day" and asks again)."""
    for year in range(today.year, today.year + _LEAP_GAP_YEARS + 1):
        found = _day(year, month, day)
        if found is not None and found >= today:
            return found
    return None


def _date_en(t: str, today: date) -> date | None:
    if "day after tomorrow" in t:
        return today + timedelta(days=2)
    if re.search(r"\btomorrow\b", t):
        return today + timedelta(days=1)
    if re.search(r"\btoday\b|\btonight\b", t):
        return today
    for i, name in enumerate(_WEEKDAYS_EN):
        if re.search(rf"\b{name}\b", t):
            ahead = (i - today.weekday()) % 7 or 7
            if re.search(rf"\bnext week\b|\bnext {name}\b", t) and ahead < 7:
                ahead += 7 if re.search(r"\bnext week\b", t) else 0
            return today + timedelta(days=ahead)
    m = re.search(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b", t)
    if m:
        return _day(int(m[1]), int(m[2]), int(m[3]))
    m = _MONTH_DAY_EN.search(t)
    if m:
        month = _MONTHS_EN.index(next(n for n in _MONTHS_EN if n.startswith((m[1] or m[4])[:3])))
        return _coming(month + 1, int(m[2] or m[3]), today)
    return None


def _time_en(t: str) -> dtime | None:
    if re.search(r"\bnoon\b|\bmidday\b", t):
        return dtime(12, 0)
    hours = "|".join(_EN_HOURS)
    pattern = (
        rf"\b(at\s+)?(\d{{1,2}}|{hours})(?::(\d{{2}}))?\s*(a\.?m\.?|p\.?m\.?|o'?clock)?(?![\w:])"
    )
    for m in re.finditer(pattern, t):
        at, raw_h, minute = m[1], m[2], int(m[3] or 0)
        suffix = (m[4] or "").replace(".", "")
        if not (at or suffix or m[3]):
            continue
        hour = int(raw_h) if raw_h.isdigit() else _EN_HOURS[raw_h]
        if hour > 23 or minute > 59:
            continue
        if suffix == "pm" and hour < 12:
            hour += 12
        elif suffix == "am" and hour == 12:
            hour = 0
        elif suffix not in ("am", "pm") and 1 <= hour <= 6:
            hour += 12  # "at 3" in a service hall means the afternoon
        return dtime(hour, 30 if re.search(r"\bhalf past\b", t) else minute)
    return None


_ZH_NUM = r"[0-9零〇一二两三四五六七八九十]+"


def _date_zh(t: str, today: date) -> date | None:
    for word, days in (
        ("大后天", 3),
        ("后天", 2),
        ("明天", 1),
        ("明日", 1),
        ("今天", 0),
        ("今日", 0),
    ):
        if word in t:
            return today + timedelta(days=days)
    m = re.search(r"(下)?(?:周|星期|礼拜)([一二三四五六日天])", t)
    if m:
        target = _WEEKDAYS_ZH.index("日" if m[2] == "天" else m[2])
        if m[1]:
            monday_next = today + timedelta(days=7 - today.weekday())
            return monday_next + timedelta(days=target)
        ahead = (target - today.weekday()) % 7 or 7
        return today + timedelta(days=ahead)
    m = re.search(rf"({_ZH_NUM})月({_ZH_NUM})[日号]", t)
    if m:
        try:
            month, day = _zh_int(m[1]), _zh_int(m[2])
        except ValueError:  # numerals cn2an cannot read ("十十")
            return None
        return _coming(month, day, today)
    return None


def _time_zh(t: str) -> dtime | None:
    m = re.search(
        rf"(上午|早上|中午|下午|晚上)?\s*(?<![周期拜月])({_ZH_NUM})\s*[点點时:：]\s*(半|({_ZH_NUM})分?)?",
        t,
    )
    if not m:
        return dtime(12, 0) if "中午" in t else None
    hour = _zh_int(m[2])
    minute = 30 if m[3] == "半" else (_zh_int(m[4]) if m[4] else 0)
    period = m[1] or ""
    if (
        (period in ("下午", "晚上") and hour < 12)
        or (not period and 1 <= hour <= 6)
        or (period == "中午" and hour < 3)
    ):
        hour += 12
    if hour > 23 or minute > 59:
        return None
    return dtime(hour, minute)


def extract_datetime(text: str, now: datetime | None = None) -> str | None:
    """Read a date and/or time.

    Args:
        text: the visitor's words (``"tomorrow at 3 pm"``, ``"明天下午三点"``, ``"周五上午十点半"``).
        now: the current time, timezone-aware (default: now in Asia/Shanghai — only for callers
            outside the pure core).

    Returns:
        ``"YYYY-MM-DD"``, ``"YYYY-MM-DDTHH:MM"``, ``"THH:MM"``, or ``None`` when nothing is found.
    """
    now = now or datetime.now(DEFAULT_TZ)
    t = normalize(text)
    today = now.date()
    if re.search(r"[\u4e00-\u9fff]", t):
        day, clock = _date_zh(t, today), _time_zh(t)
    else:
        day, clock = _date_en(t, today), _time_en(t)
    if day is None and clock is None:
        return None
    time_part = f"T{clock.hour:02d}:{clock.minute:02d}" if clock else ""
    return (day.isoformat() if day else "") + time_part
