"""Render a pack :class:`~dialog.pack.Response` into a :class:`~dialog.types.ReplyPlan`.

Placeholders are ``{slot_name}`` (Python ``str.format`` syntax, so ``{amount:,.2f}`` works); an
unknown or unset slot renders as an empty string rather than failing a reply. The format spec
``last4`` keeps the last 4 digits of a (masked) number: ``{account_masked:last4}`` → ``4417``.
A response's ``items`` renders a list slot item by item into the ``{items}`` placeholder. In a
card, a string that is exactly ``"{slot}"`` keeps the slot's raw value (a list stays a list), and
a mapping ``{each: slot, row: {field: template, ...}}`` becomes one filled ``row`` per item of the
list slot (``{each: accounts, row: {amount: "{balance:,.2f}"}}`` → ``[{"amount": "12,345.67"}]``).
A knowledge-base answer becomes a plan with its FAQ card (:func:`kb_reply`).
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from contextlib import suppress
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from dialog.pack import Response
from dialog.types import KBAnswer, ReplyPlan

_FORMATTER = string.Formatter()


class _Slots(dict):
    """Slot values for formatting; missing keys read as ``""``."""

    def __missing__(self, key: str) -> str:
        return ""


def lookup(values: Mapping[str, Any], name: str) -> Any:
    """The value of placeholder ``name``: ``slot``, ``slot.field`` or ``slot[field]`` (a field of
    a mapping slot, e.g. ``{chosen_slot[start]}``); ``None`` when missing."""
    parts = name.replace("]", "").replace("[", ".").split(".")
    value: Any = values
    for part in parts:
        if isinstance(value, Mapping):
            value = value.get(part)
        elif isinstance(value, list | tuple) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


_WEEKDAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "zh": ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"),
}
_MONTHS_EN = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip


def spoken_date(value: Any, language: str) -> str:
    """``"2025-03-10"`` → ``"Monday 10 March"`` / ``"3月10日星期一"``; anything else as given."""
    try:
        day = date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    weekday = _WEEKDAYS.get(language, _WEEKDAYS["en"])[day.weekday()]
    if language == "zh":
        return f"{day.month}月{day.day}日{weekday}"
    return f"{weekday} {day.day} {_MONTHS_EN[day.month - 1]}"


def spoken_hall(value: Any, language: str) -> str:
    """``"Hall A"`` → ``"A厅"`` in Chinese (the systems name their halls with English labels);
    any other value, or English, as given."""
    found = re.fullmatch(r"Hall ([A-Z0-9]{1,3})", str(value).strip())
    return f"{found.group(1)}厅" if language == "zh" and found else str(value)


def fill(template: str, values: Mapping[str, Any], language: str = "en") -> str:
    """Fill ``{slot}`` placeholders in ``template``.

    Args:
        template: text with ``{name}`` / ``{name:format}`` placeholders; besides Python format
            specs, ``last4`` (last 4 digits), ``day`` (an ISO date said as a day) and ``hall``
            (a service hall's name in the reply's language, :func:`spoken_hall`).
        values: slot values.
        language: for ``day`` and ``hall``.

    Returns:
        The text; a placeholder whose value is missing or does not fit its format renders as
        the value's plain string (or ``""``). Emoji and pictographs in a text value are left
        out (:func:`without_pictographs`), and so are markup tags (:func:`without_markup`): the
        text is the avatar's, spoken and captioned.
    """
    out: list[str] = []
    for literal, name, spec, conv in _FORMATTER.parse(template):
        out.append(literal)
        if name is None:
            continue
        value = lookup(values, name)
        if value is None:
            continue
        if spec == "last4":
            out.append("".join(c for c in str(value) if c.isdigit())[-4:])
            continue
        if spec == "day":
            out.append(spoken_date(value, language))
            continue
        if spec == "hall":
            out.append(spoken_hall(value, language))
            continue
        if isinstance(value, str):
            value = without_pictographs(without_markup(value))
        if spec and isinstance(value, str):
            with suppress(InvalidOperation):
                value = Decimal(value)  # amounts arrive as decimal strings ("12345.67")
        try:
            out.append(_FORMATTER.format_field(_FORMATTER.convert_field(value, conv), spec or ""))
        except (ValueError, TypeError):
            out.append(str(value))
    return _DOUBLE_END.sub(r"\1\2", "".join(out))


#: Emoji and pictographs (Unicode blocks: Miscellaneous Symbols and Pictographs to Symbols and
#: Pictographs Extended-A, regional-indicator flags and skin tones among them; Miscellaneous
#: Technical; Miscellaneous Symbols and Dingbats; Miscellaneous Symbols and Arrows), with the
#: joiners, variation selectors, keycap and tag characters that build emoji sequences
#: (Unicode TS #51). Letters, digits, CJK and punctuation are outside them.
_PICTOGRAPHS = re.compile(
    "[\U0001f000-\U0001faff\u2300-\u23ff\u2600-\u27bf\u2b00-\u2bff"
    "\u200d\ufe0e\ufe0f\u20e3\U000e0020-\U000e007f]+"
)


#: A Chinese, Japanese or Korean character or full-width mark: words written without spaces.
_CJK = re.compile(
    r"[\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff00-\uffef]"
)


def _pictograph_gap(match: re.Match[str]) -> str:
    """What a run of pictographs leaves: a space between words of a spaced script ("awful 😡and"
    → "awful and"), nothing beside Chinese, which has no spaces ("太久了😤没人管" → "太久了没人管")."""
    text, start, end = match.string, match.start(), match.end()
    beside = text[start - 1 : start] + text[end : end + 1]
    return "" if _CJK.search(beside) else " "


def without_pictographs(text: str) -> str:
    """``text`` without emoji and pictographs (:data:`_PICTOGRAPHS`), for a visitor's words
    put into a reply: a read-back ("I will register: the queue was awful 😡. Confirm?") is
    spoken, and a voice reads an emoji as its name or a pause, so the caption leaves it out
    too. Spaces left doubled or before a sentence mark are closed up; a text of pictographs
    alone is kept, or the read-back would ask to confirm nothing. The stored value (the
    slot, what a connector receives) keeps the visitor's words as typed: the emoji may be
    part of what they meant, and the colleague reading the record sees it."""
    if not _PICTOGRAPHS.search(text):
        return text
    out = _PICTOGRAPHS.sub(_pictograph_gap, text)
    out = re.sub(r"\s+([,.!?;:，。！？；：])", r"\1", re.sub(r"[ \t]{2,}", " ", out)).strip()
    return out or text  # only pictographs: read back as given, or there is nothing to confirm


#: An HTML/XML-like tag or comment: ``<`` then a letter, ``/`` or ``!``, up to the next ``>``
#: ("<img src=x onerror=alert(1)>", "</script>", "<!-- x -->"). "a < b", "<3" and "<<" are no
#: tags (no letter, ``/`` or ``!`` after the ``<``).
_MARKUP = re.compile(r"<[A-Za-z/!][^<>]*>")
#: A script or style element whole: its content is code, not the visitor's words.
_CODE_ELEMENT = re.compile(r"<(script|style)\b[^<>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)


def without_markup(text: str) -> str:
    """``text`` without markup-like tags (:data:`_MARKUP`), for a visitor's words put into a
    reply: a complaint typed as "<img src=x onerror=alert(1)> the queue was awful" was read
    back with the voice spelling the tag out (newcomer19 F-XSS). The words between tags stay
    ("<b>rude</b> staff" → "rude staff"), a script or style element goes whole; spaces left doubled are closed up. A text of tags
    alone is kept, or the read-back would ask to confirm nothing. Decided: the stored value
    (the slot, what a connector receives) keeps the words as typed, as for emoji: the page
    shows tags as text (never as HTML), and the record is the visitor's, tags and all."""
    if not _MARKUP.search(text):
        return text
    out = _MARKUP.sub(_pictograph_gap, _CODE_ELEMENT.sub(_pictograph_gap, text))
    out = re.sub(r"\s+([,.!?;:，。！？；：])", r"\1", re.sub(r"[ \t]{2,}", " ", out)).strip()
    return out or text


#: A quoted value that ends with its own sentence mark, then the template's full stop after the
#: quote: one mark is enough. A complaint read back as '"… nobody came to help me.". Shall I
#: submit it?' (newcomer14), 「…没人帮我。」。 likewise.
_DOUBLE_END = re.compile(r"([.!?。！？])([\"”」’'])[.。]")


def _fill_card(card: Any, values: Mapping[str, Any], language: str) -> Any:
    if (
        isinstance(card, str)
        and card.startswith("{")
        and card.endswith("}")
        and card.count("{") == 1
    ):
        raw = values.get(card[1:-1])
        if isinstance(raw, list | tuple | Mapping):
            return _plain(raw)
    if isinstance(card, str):
        return fill(card, values, language)
    if isinstance(card, Mapping) and set(card) == {"each", "row"}:
        rows = values.get(str(card["each"])) or []
        return [
            _fill_card(card["row"], {**values, **row}, language)
            for row in rows
            if isinstance(row, Mapping)
        ]
    if isinstance(card, Mapping):
        return {str(k): _fill_card(v, values, language) for k, v in card.items()}
    if isinstance(card, list | tuple):
        return [_fill_card(v, values, language) for v in card]
    return card


def _plain(value: Any) -> Any:
    """JSON-friendly copy (decimals and dates become strings)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _items(spec: Mapping[str, Any], language: str, values: Mapping[str, Any]) -> str:
    rows = values.get(str(spec.get("slot"))) or []
    template = str(spec.get(language) or "")
    sep = spec.get("separator", ", ")
    sep = sep.get(language, ", ") if isinstance(sep, Mapping) else str(sep)
    limit = int(spec.get("max", 10))
    return sep.join(
        fill(template, r, language) for r in list(rows)[:limit] if isinstance(r, Mapping)
    )


def render(
    response: Response,
    language: str,
    values: Mapping[str, Any],
    *,
    speaking_rate: float = 1.0,
) -> ReplyPlan:
    """Render ``response`` in ``language``.

    Args:
        response: the template.
        language: ``"en"`` or ``"zh"``; a language the response lacks falls back to its first.
        values: slot values for the placeholders.
        speaking_rate: TTS rate multiplier to carry on the plan.

    Returns:
        The reply plan (text, language, emotion, gesture, filled card).
    """
    if language not in response.texts:
        language = next(iter(response.texts))
    if response.items is not None:
        values = {**values, "items": _items(response.items, language, values)}
    text = fill(response.texts[language], values, language)
    card = None
    if response.card is not None:
        localized = response.card.get(language, response.card)
        card = _fill_card(localized, values, language)
    return ReplyPlan(
        text=text.strip(),
        language=language,
        emotion=response.emotion,
        gesture=response.gesture,
        card=card,
        speaking_rate=speaking_rate,
    )


def key_line(text: str) -> str:
    """The first sentence of an answer (its key line), for the screen."""
    match = re.match(r"(.+?[.!?。！？])(\s|$)", text.strip())
    return match.group(1) if match else text.strip()


def faq_card(answer: KBAnswer, language: str) -> dict[str, str]:
    """The screen card of a knowledge-base answer: the section heading, the answer's key line and
    the whole answer, and a source a visitor can read ("Harbour Bank branch FAQ · Opening
    hours"); never the file name (``ReplyPlan.source`` keeps that for ``dhe chat --why``)."""
    sep = " · "
    return {
        "kind": "faq",
        "title": answer.heading,
        "key_line": key_line(answer.text),
        "text": answer.text,
        "source": f"{answer.title}{sep}{answer.heading}" if answer.title else answer.heading,
        "language": language,
    }


def kb_reply(answer: KBAnswer, language: str) -> ReplyPlan:
    """The reply plan of a knowledge-base answer in ``language``: its text, its FAQ card
    (:func:`faq_card`) and its source file (for ``dhe chat --why``)."""
    return ReplyPlan(answer.text, language, card=faq_card(answer, language), source=answer.source)
