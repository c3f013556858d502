"""Several requests in one line: "what time do you open and what is my balance?", "I lost my
card and also want to know the opening hours", 办税大厅几点上班，要带什么材料.

NLU reads a line as one intent, so the second request of such a line was dropped without a
word, even a lost card beside an FAQ question (newcomer15). A line with a joining cue (a
clause mark, "and", "also", 还有, 另外…) is cut into clauses (:func:`clauses`), each clause is
read alone, and :func:`combine` decides what the line asks for: every FAQ answer the clauses
find, in the order said, and one flow, started last (its question must be the turn's last
words). A second flow ("I lost my card and what is my balance", 我的卡丢了，顺便查一下余额) was
dropped without a word (flows16): it now waits its turn (:attr:`UserInput.later`) and starts
when the first flow ends, never two at once. "I lost my card and what is my balance" has no
certain joiner and a statement before the "and": :func:`all_clauses` cuts it at every joiner,
and :class:`dialog.session.DialogSession` keeps that cut only when it finds two different flows.
Pure functions of the text and the readings; :class:`dialog.session.DialogSession` reads the
clauses and the interpreter says the extra answers (:attr:`UserInput.also`) and queues the
other flows (:attr:`dialog.steps.DialogState.queued`).

A clause that asks for a flow with a free-text question (the complaint's "what happened")
takes the whole line: the rest is that flow's content, not another request ("I want to
complain, the cash machine swallowed my card" is a complaint about the machine, not a question
about kept cards).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from dialog.pack import Pack
from dialog.prefill import flow_collects
from dialog.types import KBAnswer, NLUResult

#: Where a line joins two requests for certain ("also", a question mark, 还有, 另外…), and where
#: it may (a comma, a full stop, "and"): there only when the clauses on both sides are
#: requests of their own (:data:`_REQUEST`). "I typed my PIN wrong and now it's blocked", "my
#: father is in a wheelchair, can he get in" and 汇算我忘了办，现在补有没有罚款 are one request
#: each: cut at every "and" and comma, 69 of 212 readable bank dev lines changed their answer.
_JOINS = {
    "en": re.compile(
        r"(?P<strong>\s*[?!;]+\s*|\s*,?\s+(?:and\s+)?also\s+|\s+plus\s+)"
        # ", and" is one joiner: cut at the comma, "and what time do you close" was no
        # request of its own (newcomer16 #17)
        r"|(?P<weak>\s*,?\s+and\s+|\s*[.,]\s+)",
        re.IGNORECASE,
    ),
    "zh": re.compile(
        r"(?P<strong>[？！；?!;]+|还有|另外|顺便问一下|顺便问下|顺便|以及)|(?P<weak>[，。,]+)"
    ),
}
#: A clause that is a request on its own: a question or a request opener at its start
#: (English), a question word or a request verb anywhere in it (Chinese).
_REQUEST = {
    "en": re.compile(
        r"^(?:what|where|which|who|why|can|could|do|does|is|are|will|would|may|should|"
        r"(?:how|when) (?:do|does|did|can|could|is|are|will|should|would|much|many|long|often)|"
        r"i want|i'd like|i would like|i need|i'd also like|please|tell me)\b",
        re.IGNORECASE,
    ),
    "zh": re.compile(
        r"[吗呢么]$|什么|几|哪|怎么|怎样|多少|能不能|可不可以|是不是|有没有|我要|我想|帮我|请问"
    ),
}
#: A clause that points back at the one before ("…, how does it work", "…, can he get in") is
#: part of that request, not one of its own.
_POINTS_BACK = {
    "en": re.compile(r"^(?:\S+\s+){0,3}(?:it|that|this|they|them|he|she|one)\b", re.IGNORECASE),
    "zh": re.compile(r"^.{0,3}(?:它|这个|那个|他|她)"),
}
#: A clause shorter than this reads as no request of its own (words in English, characters in
#: Chinese): "hi", "please", 请问, 你好 are left to the whole line's reading.
MIN_WORDS = {"en": 3, "zh": 4}
_EN_WORD = re.compile(r"[A-Za-z0-9']+")
_ZH_CHAR = re.compile(r"[\u3400-\u9fff0-9]")

Reading = tuple[NLUResult, KBAnswer | None]


class Combined(NamedTuple):
    """What a line of several clauses asks for (:func:`combine`).

    Attributes:
        main: the reading the interpreter acts on now.
        also: FAQ answers said before it, in the order said.
        later: indices (into the readings) of the clauses asking for other flows, in the
            order said: each waits until the flow before it ends.
    """

    main: Reading
    also: tuple[KBAnswer, ...]
    later: tuple[int, ...] = ()


def _pieces(text: str, language: str) -> list[tuple[str, str]]:
    """``text`` cut at every joining cue: ``[(clause, joiner kind before it)]``, the first
    clause's kind ``""``; clauses too short to be a request are left out."""
    joins = _JOINS[language]
    count = _EN_WORD.findall if language == "en" else _ZH_CHAR.findall
    pieces: list[tuple[str, str]] = []
    kind, at = "", 0
    for match in [*joins.finditer(text), None]:
        end = match.start() if match is not None else len(text)
        clause = text[at:end].strip(" ,，.。")
        kept = len(count(clause)) >= MIN_WORDS[language]
        if kept:
            pieces.append((clause, kind))
        if match is not None:
            joiner = "strong" if match.group("strong") else "weak"
            # a short clause left out passes a certain joiner before it on ("hi? also…")
            kind = joiner if kept or kind != "strong" else "strong"
            at = match.end()
    return pieces


def clauses(text: str, language: str) -> list[str]:
    """The requests of ``text``, in order; ``[]`` when it holds fewer than two. Clauses are
    cut at a certain joiner, and at a comma, a full stop or "and" only between two clauses
    that are requests of their own (:data:`_JOINS`); clauses too short to be a request
    ("hi", 你好) are left out.

    Args:
        text: the visitor's line (masked).
        language: ``"en"`` or ``"zh"``; another language gives ``[]``.
    """
    if language not in _JOINS:
        return []
    merged: list[str] = []
    for clause, kind in _pieces(text, language):
        if merged and kind != "strong" and not _apart(merged[-1], clause, language):
            merged[-1] = f"{merged[-1]}, {clause}"
        else:
            merged.append(clause)
    return merged if len(merged) >= 2 else []


def _apart(before: str, clause: str, language: str) -> bool:
    """Whether ``clause``, after a comma, a full stop or "and", is a request of its own: both
    it and the clause before are requests (:data:`_REQUEST`), and it does not point back."""
    request = _REQUEST[language]
    return bool(
        request.search(before)
        and request.search(clause)
        and not _POINTS_BACK[language].search(clause)
    )


def all_clauses(text: str, language: str) -> list[str]:
    """``text`` cut at every joining cue, weak ones too ("I lost my card | what is my
    balance"), clauses too short to be a request left out; ``[]`` when fewer than two are
    left. Only for finding two flows in one line: a cut there is kept only when its clauses
    read as two different flows (a FAQ question is never cut at a weak joiner this way).

    Args:
        text: the visitor's line (masked).
        language: ``"en"`` or ``"zh"``; another language gives ``[]``.
    """
    if language not in _JOINS:
        return []
    parts = [clause for clause, _ in _pieces(text, language)]
    return parts if len(parts) >= 2 else []


def opening_clause(text: str, language: str) -> str | None:
    """The first clause of ``text`` when more follows it ("I want to complain" in "I want to
    complain, the cash machine swallowed my card"), else ``None``."""
    if language not in _JOINS:
        return None
    pieces = _pieces(text, language)
    return pieces[0][0] if len(pieces) >= 2 else None


def combine(pack: Pack, readings: Sequence[Reading]) -> Combined | None:
    """What a line of several clauses asks for, from each clause's reading.

    Args:
        pack: the domain pack (which intents are flows, FAQ answers).
        readings: each clause's ``(nlu, kb_answer)``, in the order said.

    Returns:
        :class:`Combined`: the reading the interpreter acts on (the first flow said, else
        the last FAQ clause), the FAQ answers said before it, in order and each once, and the
        clauses of the other flows, which wait their turn; ``None`` when the clauses ask for
        fewer than two different things (the whole line's reading stands). A first flow with
        a free-text question wins alone, with no extra answer: the rest of the line is that
        flow's content ("I want to complain, the cash machine swallowed my card" got the
        kept-card FAQ, newcomer15).
    """
    flows: list[int] = []
    answers: list[Reading] = []
    seen: set[str] = set()
    for index, (nlu, kb) in enumerate(readings):
        intent = pack.intents.get(nlu.intent or "")
        if intent is None or nlu.command is not None:
            continue
        if intent.kind == "flow":
            key = f"flow:{intent.target}"
            if key not in seen:
                flows.append(index)
        elif intent.kind == "kb" and kb is not None:
            key = f"kb:{kb.source}"
            if key not in seen:
                answers.append((nlu, kb))
        else:
            continue
        seen.add(key)
    if flows and takes_free_text(pack, readings[flows[0]][0]):
        return Combined(readings[flows[0]], ())
    if len(seen) < 2:
        return None
    if flows:
        first, *later = flows
        also = tuple(kb for _, kb in answers if kb is not None)
        return Combined(readings[first], also, tuple(later))
    *before, last = answers
    return Combined(last, tuple(kb for _, kb in before if kb is not None))


def takes_free_text(pack: Pack, nlu: NLUResult) -> bool:
    """Whether ``nlu`` starts a flow that asks a free-text question (a ``text``/``any`` slot)."""
    intent = pack.intents.get(nlu.intent or "")
    if intent is None or intent.kind != "flow":
        return False
    flow_id = str(intent.target)
    return any(
        pack.slots[str(s.value)].type in ("text", "any")
        for s in flow_collects(pack, flow_id)
        if str(s.value) in pack.slots
    )
