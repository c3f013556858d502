"""What the visitor's words answer beside the question asked: the questions of a flow that
the words starting it already answer (:func:`prefill`), a time said with a day that picks the
option at that time later (:func:`remember_time`), and how many options a question read aloud
(:func:`read_aloud`, for "the last one"). Pure functions of the pack and the run, used by
:class:`dialog.interpreter.Interpreter`."""

from __future__ import annotations

import re

from dialog.commands import detect_language
from dialog.pack import Pack, SlotDef, Step
from dialog.slot_values import extract_cued_digits, extract_slot_value, match_option
from dialog.steps import PREFILL_TYPES, Run
from dialog.types import UserInput
from dialog.when import extract_datetime

#: A line that starts a free-text flow fills its text question when it holds at least this
#: many words (English; letters and digits) or character bigrams (Chinese) that none of the
#: flow's intent examples use: a description, not only the request or its topic ("I'd like to
#: complain about the queue", 我要投诉这个柜员 are still asked what happened).
DESCRIBES_MIN = {"en": 3, "zh": 6}
_WORDS = re.compile(r"[a-z0-9']+|[\u3400-\u9fff]+")
#: Marks left at the edges of what was told once the request words are taken away.
_EDGES = " ,，.。:：;；-"
#: The words asking to complain or suggest, before or after what the visitor tells: "I want to
#: complain that …", "I'd like to make a complaint about …", "my suggestion is …", 我要投诉…,
#: …，我要投诉. Written from the languages' request forms (the packs' complaint and suggestion
#: intents), not from any evaluation line. The prefilled text keeps only what was told: "I
#: want to complain that the cash machine swallowed my card" was registered with its request
#: words (flows16).
_ASKING = {
    "en": (
        re.compile(
            r"^\W*(?:(?:hi|hello|hey|excuse me|sorry)\W+)?(?:please\W+)?"
            r"(?:(?:i|we)\s*(?:'d|would|really)?\s*(?:want|wish|like|need|have)\s+(?:to\s+)?"
            r"(?:make|file|raise|lodge|register|submit|put in|give|report)?\s*"
            r"(?:an?\s+)?(?:formal\s+|official\s+)?"
            r"(?:complaint|complain|suggestion|suggest|report)\b"
            r"|(?:i|we)\s*(?:'m|am|are)\s+(?:complaining|making a complaint|reporting)"
            r"|my\s+(?:complaint|suggestion)\s+is)"
            r"\s*(?:that|about|because|as|regarding|of|on|:|,|-|\.)*\s*",
            re.IGNORECASE,
        ),
        re.compile(r"[\s,.;:!-]*(?:and\s+)?i\s+want\s+to\s+complain\W*$", re.IGNORECASE),
    ),
    "zh": (
        re.compile(
            r"^\W*(?:(?:你好|您好)\W*)?(?:我|我们)?(?:要|想|想要|需要)?"
            r"(?:投诉|举报|反映|反映一下|提(?:个|一个|一点)?(?:意见|建议)|有(?:个|一个)?(?:投诉|意见|建议))"
            r"(?:一下)?[：:，,。\s]*(?:就是|是|说)?[：:，,\s]*"
        ),
        re.compile(r"[，,。\s]*(?:所以)?(?:我|我们)(?:要|想|想要)(?:投诉|举报|反映)(?:一下)?\W*$"),
    ),
}


def flow_collects(pack: Pack, flow_id: str, seen: set[str] | None = None) -> list[Step]:
    """The ``collect`` steps of ``flow_id`` and of the flows it calls or links to."""
    seen = seen if seen is not None else set()
    if flow_id in seen or flow_id not in pack.flows:
        return []
    seen.add(flow_id)
    steps: list[Step] = []
    for step in pack.flows[flow_id].steps:
        if step.type == "collect":
            steps.append(step)
        elif step.type in ("call", "link"):
            steps.extend(flow_collects(pack, str(step.value), seen))
    return steps


def prefill(pack: Pack, run: Run, flow_id: str, event: UserInput) -> None:
    """Fill the questions of the flow (and the flows it calls) that the words starting it
    already answer, so they are not asked again: dates, years and options ("book an
    appointment for tomorrow", "my 2024 filing status", "a queue number for cash"), digits a
    cue word introduces ("my card ending 4417 is lost"), and a free-text question (the
    complaint's "what happened") when the line describes more than the request
    (:func:`describes`: 我要投诉你们大堂经理，他态度很差，让我等了一个小时 was asked what
    happened, newcomer14)."""
    for step in flow_collects(pack, flow_id):
        slot = pack.slots.get(str(step.value))
        if (
            slot is None
            or (slot.type not in PREFILL_TYPES and slot.type != "text")
            or step.spec.get("ask_before_filling")
            or run.slots.get(slot.name) is not None
        ):
            continue
        if slot.type == "text":  # the visitor's own words, when the line says more than asking
            value = told(event.text, event.language) if describes(pack, flow_id, event) else None
        elif slot.type == "choice":  # only an option named outright ("a number for cash")
            options = run.slots.get(slot.choices_from or "") or []
            value = match_option(options, event.text)
        elif slot.type == "digits":
            value = extract_cued_digits(event.text, slot.length)
        else:
            value = extract_slot_value(slot, event.text, run.slots, event.now)
        if value is not None:
            run.slots[slot.name] = value
            remember_time(run, slot, event)


def read_aloud(pack: Pack, slot: SlotDef) -> int | None:
    """How many of a ``choice`` slot's options the replies read aloud: the smallest
    ``items.max`` of a response listing ``slot.choices_from`` (None: no limit)."""
    if slot.type != "choice":
        return None
    limits = [
        int(r.items["max"])
        for r in pack.responses.values()
        if r.items and r.items.get("slot") == slot.choices_from and r.items.get("max")
    ]
    return min(limits, default=None)


def remember_time(run: Run, slot: SlotDef, event: UserInput) -> None:
    """A ``date`` slot filled from words that also name a time ("tomorrow at 3 pm", "明天下午
    三点"): keep the time for the choice question that follows
    (:attr:`dialog.steps.DialogState.said_time`)."""
    if slot.type != "date":
        return
    said = extract_datetime(event.text, event.now)
    if said and "T" in said and not said.startswith("T"):
        run.said_time = said.split("T", 1)[1]


def told(text: str, language: str) -> str:
    """What the visitor told, without the words asking to complain or suggest
    (:data:`_ASKING`): "I want to complain that the cash machine swallowed my card" → "the cash
    machine swallowed my card", 我要投诉取款机吞了我的卡 → 取款机吞了我的卡. The words are kept
    as typed, digits masked; a line that is only the request (nothing left) is kept whole. A
    line in neither language's form (or a language without forms) is kept whole.

    Args:
        text: the line that starts the flow (masked).
        language: the line's language; for a line in the other language of the session, the
            words' own language is tried too.
    """
    whole = text.strip()
    for lang in _languages(whole, language):
        forms = _ASKING.get(lang)
        if forms is None:
            continue
        leading, trailing = forms
        left = trailing.sub("", leading.sub("", whole, count=1), count=1).strip(_EDGES)
        if left and left != whole.strip(_EDGES):
            return left
    return whole


#: The words among :data:`_ASKING`'s that name a complaint or a suggestion. "Report" and 举报
#: are stripped from what a complaint tells but name no request of their own: a lost or stolen
#: card and a fraud are reported too, and "I want to report a lost card" read alone as its
#: asking words started the complaint instead of the card's freeze (review16).
_NAMES_REQUEST = re.compile(r"complain|suggest|投诉|意见|建议|反映", re.IGNORECASE)


def asking_words(text: str, language: str) -> str | None:
    """The words opening ``text`` that ask to complain or suggest ("I want to complain that"
    in "I want to complain that the cash machine swallowed my card"), when more follows them;
    else ``None``. :class:`dialog.session.DialogSession` reads them alone: the whole line read
    as the kept-card question, though the visitor asked to complain in those words. Words that
    only ask to report ("I want to report a lost card", 我要举报…) give ``None``
    (:data:`_NAMES_REQUEST`): the whole line's reading stands."""
    for lang in _languages(text, language):
        forms = _ASKING.get(lang)
        match = forms[0].match(text) if forms is not None else None
        if match is None or not _NAMES_REQUEST.search(match.group(0)):
            continue
        if text[match.end() :].strip(_EDGES):
            return match.group(0).strip(_EDGES) or None
    return None


def only_reports(words: str, language: str) -> bool:
    """Whether ``words`` (a line's opening clause, "I want to report") are asking words
    (:data:`_ASKING`) that name no complaint or suggestion (:data:`_NAMES_REQUEST`): a request
    to report, which a lost card or a fraud is too, so they must not pick the complaint for
    the line ("I want to report, my card was stolen" started it, review16)."""
    for lang in _languages(words, language):
        forms = _ASKING.get(lang)
        match = forms[0].match(words) if forms is not None else None
        if match is not None and match.group(0).strip(_EDGES):
            return not _NAMES_REQUEST.search(match.group(0))
    return False


def _languages(text: str, language: str) -> tuple[str, ...]:
    """``language``, then the language of ``text``'s own script (an English line typed in a
    Chinese session is English words)."""
    own = detect_language(text)  # no CJK: "en", as digits alone count by the English rule
    return tuple(dict.fromkeys((language, own)))


def describes(pack: Pack, flow_id: str, event: UserInput) -> bool:
    """Whether the line that starts ``flow_id`` describes more than the request: it has at
    least :data:`DESCRIBES_MIN` words (English) or character bigrams (Chinese; other languages
    by the English count; a line is counted by its own script, not the session's language)
    that no example of an intent starting the flow uses, in any language.
    Topic words the examples already name ("queue", 柜员) count as the request."""
    known = {
        token
        for intent in pack.intents.values()
        if intent.kind == "flow" and intent.target == flow_id
        for lines in intent.examples.values()
        for line in lines
        for token in _tokens(line)
    }
    new = [t for t in _tokens(event.text) if t not in known]
    # counted by the words' own script: an English line in a Chinese session is English words
    own = detect_language(event.text)
    return len(new) >= DESCRIBES_MIN[own]


def _tokens(text: str) -> list[str]:
    """English words, and the character bigrams of each Chinese run (a run of one character
    is its own token): Chinese is written without spaces, and single characters are too
    common to tell a description from the request."""
    tokens: list[str] = []
    for run in _WORDS.findall(text.lower()):
        if run.isascii() or len(run) == 1:
            tokens.append(run)
        else:
            tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
    return tokens
