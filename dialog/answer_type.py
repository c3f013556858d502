"""What kind of answer an English question asks for, and whether a section's answer gives it
(expected answer type, as in question answering: Li and Roth 2002, "Learning Question
Classifiers", COLING; a "when" question wants a time or a date).

Near sections of a knowledge base often share their topic words and differ in what they say
about it: "Annual income tax reconciliation: what it is" and "Annual reconciliation: deadline
and how to file" both name the reconciliation, and a question about *when* it must be finished
matches the first one's heading as closely as the second one's listed questions. Only the
second answer states a date. :func:`asks_for_time` reads the question, :func:`states_time` the
answer; :class:`dialog.kb.KnowledgeBase` adds :data:`dialog.kb.TIME_WEIGHT` to the sections that
state a time when the question asks for one.

A finer type (Li and Roth's NUM:date against a time of day): a question about when a place
opens or closes ("when does the tax office close", "how late are you open") wants a time of day,
which an opening-hours answer states ("9 am to 5 pm") and a procedure's answer does not ("done
within a few working days"). :func:`asks_for_clock_time` and :func:`states_clock_time` read them;
:data:`dialog.kb.CLOCK_WEIGHT` is added on top of the time weight. Without it "when does the tax
office close" got "Closing a business: tax deregistration", whose questions say "close my
business with the tax office".
"""

from __future__ import annotations

import re

__all__ = ["asks_for_clock_time", "asks_for_time", "states_clock_time", "states_time"]

_MONTH = r"january|february|march|april|may|june|july|august|september|october|november|december"
_WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekend|weekday)s?"
_UNIT = r"(?:working |business |calendar )?(?:minutes?|hours?|days?|weeks?|months?|years?)"
_NUMBER = r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|a few|a couple of)"

#: A question that asks for a time, a date or a duration: "when do I have to ...", "by when",
#: "what time", "how long", "how many days", "what is the deadline / cut-off / last day".
_ASKS = re.compile(
    r"^\s*when\b(?!\s+(?:i|we|my|our|you|the|a|an|it|they|he|she)\b)"
    r"|\b(?:by|until|till|since) when\b"
    r"|\bwhen (?:do|does|did|is|are|was|were|will|would|can|could|should|must|shall|have)\b"
    r"|\bwhat (?:time|date|day|hours)\b|\bwhich (?:day|date|days|month)\b"
    r"|\bhow (?:long|soon|late|early)\b|\bhow many (?:minutes|hours|days|weeks|months)\b"
    r"|\b(?:deadline|due date|cut-?off|last day|closing time|opening hours)\b"
)
#: A time, a date or a duration stated in an answer: a month or weekday, a clock time, or a
#: number of minutes, hours, days, weeks, months or years.
_STATES = re.compile(
    rf"\b(?:{_MONTH}|{_WEEKDAY})\b"
    r"|\b\d{1,2}(?::\d{2})?\s*(?:am|pm)\b|\b\d{1,2}:\d{2}\b"
    rf"|\b{_NUMBER}(?:\s+to\s+{_NUMBER})?\s+{_UNIT}\b"
)


#: A question that asks a time of day: what time, how late or early, until when, a place's
#: opening hours or closing time, or when something opens, closes or shuts.
_ASKS_CLOCK = re.compile(
    r"\b(?:what time|how late|how early|until when|till when|until what time|opening hours|"
    r"opening times|closing time|business hours)\b"
    r"|\bwhen\b.{0,40}?\b(?:open|opens|close|closes|shut|shuts)\b(?!\s+(?:my|our|an?|the)\b)"
)
#: A time of day stated in an answer: a clock time ("9 am", "5:30 pm", "17:00"), noon, midnight.
_STATES_CLOCK = re.compile(
    r"\b\d{1,2}(?::\d{2})?\s*(?:am|pm)\b|\b\d{1,2}:\d{2}\b|\bnoon\b|\bmidnight\b"
)


def asks_for_clock_time(question: str) -> bool:
    """Whether the English ``question`` asks a time of day: when a place opens or closes.

    Args:
        question: the visitor's line (any case).

    Returns:
        ``True`` for "when does the tax office close", "what time do you open", "how late are
        you open"; ``False`` for "when do I close my business" ("close" takes an object) and
        "how long does deregistration take".
    """
    return _ASKS_CLOCK.search(question.lower()) is not None


def states_clock_time(answer: str) -> bool:
    """Whether the English ``answer`` states a time of day ("9 am to 12 noon", "17:00")."""
    return _STATES_CLOCK.search(answer.lower()) is not None


def asks_for_time(question: str) -> bool:
    """Whether the English ``question`` asks when something happens or how long it takes.

    Args:
        question: the visitor's line (any case).

    Returns:
        ``True`` for "when must I finish my reconciliation", "how long does a transfer take",
        "what time do you close", "what's the deadline ..."; ``False`` for "when I tap my card
        nothing happens" (a "when" clause, not a question about time) and other questions.
    """
    return _ASKS.search(question.lower()) is not None


def states_time(answer: str) -> bool:
    """Whether the English ``answer`` states a time, a date or a duration ("from 1 March to
    30 June", "9:00 to 17:00", "within 2 working days", "on Saturdays")."""
    return _STATES.search(answer.lower()) is not None
