"""Read a slot's value out of the visitor's words, by the slot's declared type."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from dialog.entities import extract_amount, extract_digits, extract_ordinal, extract_yes_no
from dialog.pack import SlotDef
from dialog.sensitive import MASK
from dialog.types import MAX_TEXT_CHARS as MAX_TEXT_CHARS
from dialog.when import extract_datetime
from dialog.yes_no import is_bare_answer

#: A masked full number as :func:`dialog.sensitive.redact` leaves it: the mark and the last four.
_MASKED = re.compile(rf"{re.escape(MASK)}\s*[0-9A-Za-z]{{4}}")

_YEAR_WORDS = (
    ("this year", 0), ("last year", -1), ("year before last", -2), ("next year", 1),
    ("今年", 0), ("去年", -1), ("前年", -2), ("明年", 1),
)  # fmt: skip


def extract_year(text: str, now: datetime | None) -> int | None:
    """A year: ``"2024"``, ``"二零二四年"``, ``"twenty twenty four"``, ``"last year"``, ``"去年"``.

    Args:
        text: the visitor's words.
        now: the current time (for relative years); ``None`` leaves them unread.

    Returns:
        The year (1990..2100) or ``None``.
    """
    lowered = text.lower()
    for phrase, delta in _YEAR_WORDS:
        if phrase in lowered and now is not None:
            return now.year + delta
    digits = extract_digits(lowered.replace("-", " "), 4)
    if digits is None or not digits.isdigit():
        return None
    year = int(digits)
    return year if 1990 <= year <= 2100 else None


# Words that introduce a card's last digits: "ending 4417", "ends in 4417", "last four are
# 4417", "尾号4417", "后四位是4417". Only digits after such a cue are read from the sentence that
# starts a flow; elsewhere a number is as likely an amount, a date or a count.
_DIGIT_CUE = re.compile(
    r"(?:\bend(?:s|ing|ed)?(?:\s+(?:in|with))?|\blast\s+(?:four|4|few)(?:\s+digits)?(?:\s+(?:are|is))?"
    r"|\bnumber\s+ending|尾号(?:是|为)?|末四位(?:是|为)?|后(?:四|4)位(?:是|为)?)[\s:：,，]*",
    re.IGNORECASE,
)


def extract_cued_digits(text: str, length: int | None) -> str | None:
    """Digits that a cue word introduces (:data:`_DIGIT_CUE`), of exactly ``length`` digits.

    Args:
        text: the sentence that starts a flow ("my card ending 4417 is lost").
        length: the slot's digit count.

    Returns:
        The digits, or ``None`` when no cue is followed by a run of that length.
    """
    for cue in _DIGIT_CUE.finditer(text):
        digits = extract_digits(text[cue.end() : cue.end() + 24], length)
        if digits is not None:
            return digits
    return None


def _start(option: Any) -> str:
    """An option's start as ``YYYY-MM-DDTHH:MM`` (its ``date`` + ``start`` fields, or itself)."""
    if isinstance(option, Mapping):
        start = str(option.get("start", ""))
        day = str(option.get("date", ""))
        return f"{day}T{start}" if day and "T" not in start else start.replace(" ", "T")
    return str(option).replace(" ", "T")


def has_times(options: Sequence[Any]) -> bool:
    """Whether any of ``options`` has a day and a start time (a free slot's ``date`` and
    ``start``), so that a time said ("3 pm") can pick it."""
    return any("T" in _start(o) for o in options)


def _choice(
    options: Sequence[Any], text: str, now: datetime | None, heard: int | None = None
) -> Any:
    """Pick one of ``options`` by position ("the second", "第二个") or by its time ("3 pm");
    "the last one" is the last of the first ``heard`` (those read aloud), else of all."""
    if not options:
        return None
    text = unnegated(text)
    if not text:
        return None  # only options refused ("not the second one", 不要第二个): ask again
    said = extract_datetime(text, now)
    if said and "T" in said:
        # a time said decides: the option at that time, else none (the question is asked
        # again), never a position read from the same words ("the 3 pm one")
        matches = [o for o in options if said in _start(o)]
        return matches[0] if len(matches) == 1 else None
    pos = extract_ordinal(text)
    if pos is not None:
        if pos == -1:
            return options[min(len(options), heard or len(options)) - 1]
        if 1 <= pos <= len(options):
            return options[pos - 1]
    return match_option(options, text)


#: A clause that refuses what it names ("not the second one", "I don't want the 9:30 one",
#: 不要第二个, 不是第一个; fixes19 #5: "not the second one" booked the second). A bare "no"
#: is no refusal: "no, the second one" corrects the visitor's last answer and picks.
_REFUSAL = re.compile(
    r"\b(?:not|don'?t|do\s+not|doesn'?t|never|except|other\s+than|anything\s+but|rather\s+not"
    r"|won'?t|neither|nor)\b|不要|(?<!是)不是|(?<![特分区類类级級识識])别(?!的)|不想|除了|不用",
    re.IGNORECASE,
)
# 特别 (especially), 区别, 级别 …, 别的 (other) and 是不是 (is it …?) refuse nothing (review19: "特别早的
# 那个" and "第二个是不是九点的" chose nothing); a point between digits is a time's (10.30), no break
_CLAUSE_BREAK = re.compile(r"[,;!?，。；！？、]|\.(?!\d)|\bbut\b|\binstead\b|而是|要的是")


def unnegated(text: str) -> str:
    """``text`` without its clauses that refuse what they name (:data:`_REFUSAL`): "not the
    first, the second one" → "the second one"; "不要第二个" → ``""`` (nothing chosen).

    Args:
        text: the visitor's words at a choice question.

    Returns:
        The clauses left, joined by spaces (the text unchanged when none refuses).
    """
    parts = _CLAUSE_BREAK.split(text)
    kept = [p for p in parts if not _REFUSAL.search(p)]
    if len(kept) == len(parts):
        return text
    return " ".join(p.strip() for p in kept if p.strip())


def _said(word: str, lowered: str) -> bool:
    """Whether ``word`` occurs in ``lowered``: as a whole word (plural ``s`` allowed) when it is
    Latin, anywhere when it holds CJK characters (no word boundaries in Chinese)."""
    word = word.lower().strip()
    if not word:
        return False
    if re.search(r"[\u3400-\u9fff]", word):
        return word in lowered
    return re.search(rf"\b{re.escape(word)}s?\b", lowered) is not None


def match_option(options: Sequence[Any], text: str) -> Any:
    """The one option ``text`` names by its ``label`` or one of its ``synonyms`` (no positions,
    no times), or ``None`` when it names none or several.

    Args:
        options: plain values, or mappings with ``label`` and/or ``synonyms`` (a list of words).
        text: the visitor's words.
    """
    lowered = text.lower()
    named = []
    for option in options:
        if isinstance(option, Mapping):
            words = [str(option.get("label", "")), *map(str, option.get("synonyms") or ())]
        else:
            words = [str(option)]
        if any(_said(w, lowered) for w in words):
            named.append(option)
    return named[0] if len(named) == 1 else None


def extract_slot_value(
    slot: SlotDef,
    text: str,
    slots: Mapping[str, Any],
    now: datetime | None = None,
    heard: int | None = None,
) -> Any:
    """The value for ``slot`` in ``text``, or ``None`` when there is none.

    Args:
        slot: the slot definition (its ``type`` picks the extractor).
        text: the visitor's words.
        slots: current slot values (``choice`` slots read their options from
            ``slots[slot.choices_from]``).
        now: current time for ``datetime`` slots (timezone-aware).
        heard: for ``choice`` slots, how many options the question read aloud ("the last one"
            is the last of those, not of the longer list on the screen); None: all.

    Returns:
        ``digits`` → str of ``slot.length`` digits; ``yes_no`` → bool; ``amount`` → float;
        ``datetime`` → ISO string; ``date`` → ``YYYY-MM-DD``; ``year`` → int; ``choice`` →
        the chosen option; ``text``/``any`` → the text (``text``: None for a bare yes, no or
        okay, :func:`~dialog.yes_no.is_bare_answer`). The four digits a masked full number
        keeps (``"•••• 2024"``) are no value of any type but text.
    """
    # What is left of a masked card, account, ID or phone number ("•••• 2024") is no answer:
    # the visitor was just told not to give it, and its ending is never a year, a date, an
    # amount or a choice, nor (a phone's or an ID's) the card's last four digits. The question
    # is asked again.
    if slot.type not in ("text", "any"):
        text = _MASKED.sub(" ", text)
    if slot.type == "digits":  # the question waits for digits: homophones are digits here
        return extract_digits(text, slot.length, homophones=True)
    if slot.type == "yes_no":
        return extract_yes_no(text)
    if slot.type == "amount":
        return extract_amount(text)
    if slot.type == "datetime":
        return extract_datetime(text, now)
    if slot.type == "date":
        said = extract_datetime(text, now)
        return said[:10] if said and not said.startswith("T") else None
    if slot.type == "year":
        return extract_year(text, now)
    if slot.type == "choice":
        options = slots.get(slot.choices_from or "") or []
        return _choice(options, text, now, heard)
    cleaned = re.sub(r"\s+", " ", text).strip()[:MAX_TEXT_CHARS]
    if slot.type == "text" and is_bare_answer(cleaned):
        return None  # a yes or an okay is no description: the question is asked again
    return cleaned or None
