"""How a visitor's line becomes the interpreter's :class:`~dialog.types.UserInput`: the NLU
reading of the whole line, and with no question waiting, the line read clause by clause when
it holds several requests (:mod:`dialog.several_requests`: FAQ answers said first, one flow
now and any other flow waiting its turn) or opens with a request for a free-text flow ("I want
to complain, …", "I want to complain that …": the rest is its content). Split out of
:class:`dialog.session.DialogSession`, which runs it on a worker thread.
"""

from __future__ import annotations

from datetime import datetime

from dialog.engine import DialogEngine
from dialog.prefill import asking_words, only_reports
from dialog.several_requests import (
    Combined,
    all_clauses,
    clauses,
    combine,
    opening_clause,
    takes_free_text,
)
from dialog.types import KBAnswer, LaterRequest, NLUResult, UserInput
from dialog.waiting import is_question

Reading = tuple[NLUResult, KBAnswer | None]


def read_line(
    engine: DialogEngine, text: str, language: str, at_question: bool, *, at_choice: bool = False
) -> UserInput:
    """The visitor's line as the interpreter's input.

    Args:
        engine: the domain engine (its understanding: NLU and FAQ search; its pack).
        text: the line (masked, cleaned).
        language: the reply language.
        at_question: a flow waits at its question (the line is read whole: an answer).
        at_choice: that question is a choice ("cash, cards, or accounts?"): a line of several
            requests that asks for a flow is read clause by clause (:func:`_other_flows`).

    Returns:
        The input: the reading acted on, the FAQ answers said before it (``also``) and the
        flows waiting their turn (``later``). A line of several requests was answered once
        only (newcomer15), and a second flow beside the first dropped without a word (flows16).
    """
    nlu, kb = engine.understanding.read(text, language)
    now = datetime.now(engine.timezone)
    if at_choice and nlu.command is None:
        several = _other_flows(engine, text, language, now)
        if several is not None:
            return several
    at_question = at_question or nlu.command is not None
    parts = [] if at_question else clauses(text, language)
    read: dict[str, Reading] = {}  # the clauses read so far: none is encoded twice in a turn
    if not parts and not at_question and _is_flow(engine, nlu):
        # "I lost my card and what is my balance": no certain joiner, a statement before the
        # "and"; cut anyway, kept only when two different flows come out
        cut = all_clauses(text, language)
        if cut:
            readings = engine.understanding.read_many(cut, [language] * len(cut))
            read.update(zip(cut, readings, strict=True))
            found = combine(engine.pack, readings)
            if found is not None and (found.later or _asks_beside(engine, cut, readings, found)):
                return _several(engine, text, language, now, cut, readings, found)
    if parts:
        readings = engine.understanding.read_many(parts, [language] * len(parts))
        read.update(zip(parts, readings, strict=True))
        found = combine(engine.pack, readings)
        if found is not None:
            return _several(engine, text, language, now, parts, readings, found)
    opening = None
    if not at_question:
        opening = opening_clause(text, language) or asking_words(text, language)
    if opening is not None and only_reports(opening, language):
        opening = None  # "I want to report, my card was stolen": the whole line's reading
    if opening is not None and not takes_free_text(engine.pack, nlu):
        # "I want to complain, the cash machine swallowed my card" got the kept-card FAQ, and
        # so did "I want to complain that …" (flows16): an opening clause asking for a
        # free-text flow takes the line as its content
        # a clause read alone reads as in read_many (:meth:`Understanding.read_many`)
        first = read.get(opening) or engine.understanding.read(opening, language)
        if takes_free_text(engine.pack, first[0]):
            nlu, kb = first
    return UserInput(text, language, nlu, kb, now)


def _other_flows(engine: DialogEngine, text: str, language: str, now: datetime) -> UserInput | None:
    """A line of several requests said at a choice question, read clause by clause when the
    first request it acts on is a flow: 我要查余额，还有我的卡丢了 at 现金、银行卡还是账户业务？
    was read whole (the lost card at 0.32, no question word) and took 银行卡业务 from its 卡
    (newcomer16 #2). The flow runs as a digression, the line's FAQ answers are said before
    it and its other flows wait their turn, as outside a question. ``None`` (the line read
    whole: an option, or no flow asked for) otherwise."""
    parts = clauses(text, language) or all_clauses(text, language)
    if not parts:
        return None
    readings = engine.understanding.read_many(parts, [language] * len(parts))
    found = combine(engine.pack, readings)
    if found is None or not _is_flow(engine, found.main[0]):
        return None
    return _several(engine, text, language, now, parts, readings, found)


def _asks_beside(
    engine: DialogEngine, parts: list[str], readings: list[Reading], found: Combined
) -> bool:
    """Whether a line cut at a weak joiner is a flow's request with FAQ questions beside it:
    the reading acted on is a flow and every clause read as a FAQ answer is worded as a
    question ("my card is lost, and what time do you close?" started only the lost-card
    flow, newcomer16 #17). A FAQ clause that is no question ("I lost my card and I need a new
    one") leaves the line whole: the flow's own words, not a request of their own."""
    if not found.also or not _is_flow(engine, found.main[0]):
        return False
    kb = [
        part
        for part, (nlu, answer) in zip(parts, readings, strict=True)
        if answer is not None and not _is_flow(engine, nlu)
    ]
    return bool(kb) and all(is_question(part) for part in kb)


def _is_flow(engine: DialogEngine, nlu: NLUResult) -> bool:
    """Whether ``nlu`` reads the line as a request for a flow."""
    intent = engine.pack.intents.get(nlu.intent or "")
    return intent is not None and intent.kind == "flow"


def _several(
    engine: DialogEngine,
    text: str,
    language: str,
    now: datetime,
    parts: list[str],
    readings: list[Reading],
    found: Combined,
) -> UserInput:
    """The input of a line of several requests: the one acted on now, the FAQ answers said
    before it and the flows that wait their turn, each in its clause's words."""
    later = tuple(
        LaterRequest(
            str(readings[i][0].intent),
            str(engine.pack.intents[str(readings[i][0].intent)].target),
            parts[i],
            now,
        )
        for i in found.later
    )
    (nlu, kb), also = found.main, found.also
    return UserInput(text, language, nlu, kb, now, also, later)
