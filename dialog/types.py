"""Value types of the dialog room: what goes into the interpreter and what comes out.

Everything here is a frozen, slotted dataclass. The interpreter
(:mod:`dialog.interpreter`) consumes :class:`UserInput`, :class:`ConnectorDone`,
:class:`ConnectorFailed` and :class:`NoInput` events and returns :class:`Say`, :class:`Call` and
:class:`Handoff` actions; the async runner (:mod:`dialog.session`) executes the calls and feeds
their outcome back. :class:`ReplyPlan` and :class:`DialogTurn` are what the engine receives;
:class:`AuditEntry` is one line of a session's audit trail.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Literal

#: Free text longer than this is cut (input from the network is size-limited). Here, not in
#: :mod:`dialog.slot_values` (which re-exports it), so a command line can check a text's length
#: without importing the entity extractors.
MAX_TEXT_CHARS = 500

#: Emotions a reply may carry (the avatar's expressions).
EMOTIONS: frozenset[str] = frozenset({"neutral", "happy", "concerned", "apologetic"})
#: Gestures a reply may carry.
GESTURES: frozenset[str] = frozenset({"nod", "wave", "point_to_screen"})
#: Languages the packs speak.
LANGUAGES: tuple[str, ...] = ("en", "zh")

Language = Literal["en", "zh"]


@dataclass(frozen=True, slots=True)
class ReplyPlan:
    """One utterance the avatar will say and show.

    Attributes:
        text: what to say, in ``language``; personal numbers already masked.
        language: ``"en"`` or ``"zh"``.
        emotion: one of :data:`EMOTIONS`.
        gesture: one of :data:`GESTURES` or ``None``.
        card: display fields for the screen (``{"kind": ..., ...}``) or ``None``.
        speaking_rate: TTS rate multiplier (1.0 normal; < 1 after "speak slower").
        source: the cited knowledge-base section (``"faq.en.md § Opening hours"``) or ``None``.
    """

    text: str
    language: str
    emotion: str = "neutral"
    gesture: str | None = None
    card: dict[str, Any] | None = None
    speaking_rate: float = 1.0
    source: str | None = None


@dataclass(frozen=True, slots=True)
class NLUResult:
    """What the visitor meant, as far as NLU can tell.

    Attributes:
        intent: the best pack intent, or ``None`` when below the confidence threshold.
        confidence: classifier probability of ``intent`` (0..1).
        ranking: the top intents with their probabilities, best first.
        command: a conversation command recognised by rule (``cancel``, ``restart``, ``repeat``,
            ``slower``, ``human``) or ``None``.
        topic: for a knowledge-base intent, the topic (a section's key, see
            :meth:`dialog.kb.KnowledgeBase.topic`) the classifier rates best, else ``None``.
        topics: for a knowledge-base intent, each of its topics with the classifier's
            probability (0..1), for reranking the knowledge base's sections; else empty.
        outside: when out of scope is the best class, the out-of-scope intent rated best
            (``out_of_scope_money_movement``; ``out_of_scope`` for the generic lines), else
            ``None``.
    """

    intent: str | None
    confidence: float = 0.0
    ranking: tuple[tuple[str, float], ...] = ()
    command: str | None = None
    topic: str | None = None
    topics: tuple[tuple[str, float], ...] = ()
    outside: str | None = None


@dataclass(frozen=True, slots=True)
class KBAnswer:
    """An answer found in the pack's knowledge base.

    Attributes:
        text: the section's answer text.
        source: citation, ``"<file> § <heading>"``.
        score: how well the section matches: the hybrid score (cosine similarity plus a
            bounded BM25 share) when found by sentence embedding, else BM25.
        heading: the section's heading ("Opening hours").
        title: the knowledge base's title ("Harbour Bank branch FAQ"), shown as the source.
        topic: the section's key (:meth:`dialog.kb.KnowledgeBase.topic`).
    """

    text: str
    source: str
    score: float
    heading: str = ""
    title: str = ""
    topic: str = ""


# ---------------------------------------------------------------- events (into the interpreter)


@dataclass(frozen=True, slots=True)
class LaterRequest:
    """A flow the visitor asked for in the same line as another, waiting its turn ("I lost
    my card and what is my balance": the balance check waits for the lost card's flow to end;
    :mod:`dialog.several_requests`).

    Attributes:
        intent: the intent the clause was read as (a ``flow`` intent of the pack).
        flow_id: the flow it starts.
        text: the clause in the visitor's words (masked), read back when it starts and read
            for the questions it already answers (:func:`dialog.prefill.prefill`).
        now: when it was said (timezone-aware), for "tomorrow" in the clause; ``None`` unknown.
    """

    intent: str
    flow_id: str
    text: str
    now: datetime | None = None


@dataclass(frozen=True, slots=True)
class UserInput:
    """The visitor said or typed something.

    Attributes:
        text: the text (typed, or the ASR transcript).
        language: the language to reply in.
        nlu: NLU's reading of ``text``.
        kb: the knowledge-base answer for ``text`` when NLU thinks it is a FAQ, else ``None``.
        now: the current time, timezone-aware (for "tomorrow at 3 pm"); ``None`` when unknown.
        also: FAQ answers to the line's other requests, said before ``nlu``'s is acted on ("what
            time do you open and what is my balance?": the hours, then the balance check; see
            :mod:`dialog.several_requests`); empty for a line of one request.
        later: the flows the line's other clauses ask for, in the order said: each waits
            until the flow started before it ends (one flow at a time); empty for most lines.
    """

    text: str
    language: str
    nlu: NLUResult
    kb: KBAnswer | None = None
    now: datetime | None = None
    also: tuple[KBAnswer, ...] = ()
    later: tuple[LaterRequest, ...] = ()


@dataclass(frozen=True, slots=True)
class NoInput:
    """The visitor was expected to speak but ASR heard nothing."""


@dataclass(frozen=True, slots=True)
class ConnectorDone:
    """A :class:`Call` succeeded.

    Attributes:
        op: the operation called.
        data: the result fields.
    """

    op: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ConnectorFailed:
    """A :class:`Call` failed with a connector error code (``timeout``, ``unauthorized`` …)."""

    op: str
    code: str


@dataclass(frozen=True, slots=True)
class GestureInput:
    """The visitor made a hand gesture the camera recognised (a MediaPipe canned gesture name
    such as ``Thumb_Up``, or ``Wave``); at a yes/no question, :data:`GESTURE_ANSWERS` reads it
    as the answer."""

    name: str


#: Gestures that answer a yes/no question: thumbs up affirms, thumbs down denies.
GESTURE_ANSWERS: Mapping[str, bool] = MappingProxyType({"Thumb_Up": True, "Thumb_Down": False})


@dataclass(frozen=True, slots=True)
class AskAgain:
    """The waiting question is asked again, in ``language``, with no failed attempt counted:
    the visitor's line only gave a full number, masked
    (:func:`dialog.sensitive.names_only_numbers`; the session says the warning first), or held
    no word at all (emoji), or the visitor switched the language mid-flow
    (:meth:`dialog.session.DialogSession.switch_language`).

    Attributes:
        language: the reply's language.
    """

    language: str


Event = UserInput | NoInput | AskAgain | ConnectorDone | ConnectorFailed | GestureInput


# ---------------------------------------------------------------- actions (out of the interpreter)


@dataclass(frozen=True, slots=True)
class Say:
    """Speak and show ``reply``."""

    reply: ReplyPlan


@dataclass(frozen=True, slots=True)
class Call:
    """Run a connector operation; the runner feeds back :class:`ConnectorDone` or
    :class:`ConnectorFailed`.

    Attributes:
        op: ``<system>.<operation>``.
        params: arguments.
        idempotency_key: set for side-effecting steps (stable for this step and turn), else
            ``None``; the runner prefixes the session id.
        flow_id: the flow whose step asked for the call (audit).
        step_id: the step's id (audit).
    """

    op: str
    params: Mapping[str, Any]
    idempotency_key: str | None = None
    flow_id: str = ""
    step_id: str = ""


@dataclass(frozen=True, slots=True)
class Handoff:
    """The visitor should be handed to a human; ``reason`` is a short code for the audit."""

    reason: str


Action = Say | Call | Handoff


@dataclass(frozen=True, slots=True)
class DialogTurn:
    """The outcome of one visitor turn, as the engine sees it.

    Attributes:
        text: the visitor's input text (``""`` for no input), full card, account, ID and phone
            numbers masked to their last 4 digits (:func:`dialog.sensitive.redact`): the text to
            show as the caption and keep in a transcript.
        intent: the intent NLU chose (``"out_of_scope"`` when nothing in the pack answers the
            line; ``None`` for no input, a slot answer or a line that asks for nothing).
        language: the reply language.
        replies: what to say, in order.
        timings_ms: ``{"dialog": ms, "connector": ms or None}`` (``None`` when no call ran).
        handoff: ``True`` when the visitor is being handed to a human.
        ended: ``True`` when the conversation ended (goodbye).
        slot: the slot the input was read as an answer for (``card_last4``), else ``None``.
        unanswered: the slot a flow's question asked for when the input held no value for it
            (the question was asked again), else ``None``.
        helped: the slot whose question the input asked about ("what is the code?"; the
            question's help was said and the question asked again), else ``None``.
        redacted: kinds of personal numbers masked in ``text`` (``"card"``, ``"account"``,
            ``"id"``, ``"phone"``, ``"taxpayer"``); the first reply is then a warning.
    """

    text: str
    intent: str | None
    language: str
    replies: list[ReplyPlan]
    timings_ms: dict[str, float | None]
    handoff: bool = False
    ended: bool = False
    slot: str | None = None
    redacted: tuple[str, ...] = ()
    unanswered: str | None = None
    helped: str | None = None

    @property
    def reply_text(self) -> str:
        """All replies as one text (:func:`join_replies`)."""
        return join_replies(r.text for r in self.replies)


#: Chinese text and full-width punctuation: after them the next reply follows without a space.
_CJK_END = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]$")


def join_replies(texts: Iterable[str]) -> str:
    """A turn's replies as one text (``dhe converse --json``'s ``reply``): a space between
    English sentences, none after a Chinese one (``…验证码。请说出…``, as the page's captions
    show them)."""
    out = ""
    for text in texts:
        if out and text:
            out += "" if _CJK_END.search(out) else " "
        out += text
    return out


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of a session's audit trail (no personal data).

    Attributes:
        kind: ``"intent"``, ``"flow"``, ``"call"``, ``"handoff"``, ``"llm"``, ``"gesture"``.
        detail: intent name, ``<flow> started|ended``, ``op -> outcome``, hand-off reason,
            ``reworded|as written: <source>`` or ``confirmed|declined by gesture``.
        flow: the flow running, if any.
    """

    kind: str
    detail: str
    flow: str | None = None


class SessionClosedError(RuntimeError):
    """The session was closed; its memory is gone."""


class TrialStopped(RuntimeError):
    """A trial turn (:meth:`DialogSession.trial`) reached a step with an outside effect — a
    connector call or the LLM — and stopped before it: only the visitor's confirmed turn may
    take it."""
