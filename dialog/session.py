"""The thin async runner around the pure interpreter: :class:`DialogSession`, one per visitor,
made by a :class:`~dialog.engine.DialogEngine` (one per domain, shared: the pack, NLU and
knowledge base; re-exported here).

A turn: detect the language → NLU → (knowledge base for FAQ intents) → ``interpreter.step`` →
execute each returned :class:`~dialog.types.Call` on the connector and feed its outcome back
→ collect the :class:`~dialog.types.ReplyPlan` s (that loop: :mod:`dialog.turn_loop`).
Connector errors become their ``code`` only; no exception text reaches the visitor. The
session's audit trail keeps intents, flow steps and connector outcomes, never slot values.

This file holds the visitor's lines (typed or heard, and the silence ASR reports), the language
switch, the trial turn and the close; the turns taken on other cues (arrival, a long silence,
the idle lapse of account details, a hand gesture, a facial emotion) are
:class:`dialog.session_cues.SessionCues`, which :class:`DialogSession` inherits.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import time
from typing import Any

from dialog.commands import detect_language, normalize_language
from dialog.empathy import EmpathyMemory
from dialog.engine import DialogEngine
from dialog.entities import clean_text
from dialog.farewell import not_understood, unclear_goodbye
from dialog.interpreter import DialogState
from dialog.nothing_asked import digits_only, nothing_asked, wordless
from dialog.outside import FillerCallback
from dialog.reading import read_line
from dialog.sensitive import names_only_numbers, redact, warning_reply
from dialog.session_cues import SessionCues
from dialog.templates import render
from dialog.turn_loop import TurnLoop, ms_since
from dialog.types import (
    AskAgain,
    AuditEntry,
    DialogTurn,
    Event,
    NoInput,
    ReplyPlan,
    SessionClosedError,
    UserInput,
)

#: Longest visitor text handled; the rest is cut (inputs are size-limited).
MAX_INPUT_CHARS = 1000


class DialogSession(SessionCues):
    """One visitor's conversation. Not shared between visitors; :meth:`close` wipes it."""

    def __init__(
        self,
        engine: DialogEngine,
        session_id: str,
        language: str = "auto",
        start_language: str | None = None,
    ) -> None:
        """Args:
        engine: the domain engine.
        session_id: the session's id.
        language: ``"auto"``, ``"en"`` or ``"zh"``.
        start_language: with ``"auto"``, the language before the visitor's words show one
            (:meth:`DialogEngine.new_session`).
        """
        self.engine = engine
        self.session_id = session_id
        self.fixed_language = normalize_language(language)
        started = normalize_language(start_language)
        if started not in engine.pack.languages:
            started = engine.pack.languages[0]
        start = self.fixed_language or started
        self._state: DialogState | None = engine.interpreter.initial_state(start)
        self._audit: list[AuditEntry] = []
        self._empathy = EmpathyMemory()
        self._trial_of: DialogState | None = None  # a trial copy: the state it started from

    @property
    def state(self) -> DialogState:
        """The interpreter state (raises :class:`SessionClosedError` after :meth:`close`)."""
        if self._state is None:
            raise SessionClosedError(self.session_id)
        return self._state

    @property
    def audit(self) -> tuple[AuditEntry, ...]:
        """The masked audit trail: intents, flow steps, connector outcomes."""
        return tuple(self._audit)

    @property
    def language(self) -> str:
        """The current reply language."""
        return self.state.language

    def _language_for(self, text: str, language: str | None) -> str:
        given = normalize_language(language)
        if given:
            return given
        if self.fixed_language:
            return self.fixed_language
        return detect_language(text, default=self.state.language)

    async def handle_text(
        self,
        text: str,
        language: str | None = None,
        on_filler: FillerCallback | None = None,
    ) -> DialogTurn:
        """Handle one visitor utterance (typed, or the ASR transcript).

        Args:
            text: the words.
            language: the ASR-detected language, or ``None`` to detect it from the text (CJK →
                zh, Latin words → en; digits, an emoji or a lone loanword such as "ok" or "ID",
                :data:`dialog.commands.LOANWORDS`, keep the current language), unless the session's
                language is fixed.
            on_filler: called with a short "one moment" reply when a connector call is slow.

        Returns:
            The turn: intent, language, replies, timings (``dialog``, ``connector``).

        Raises:
            SessionClosedError: the session was closed.
        """
        t0 = time.perf_counter()
        # Personal numbers are masked before anything reads the text (NLU, audit, LLM, caption).
        text, redacted = redact(clean_text(text or "")[:MAX_INPUT_CHARS])
        lang = self._language_for(text, language)
        if wordless(text):
            # emoji or punctuation only ("😀😀" was read as a yes): no words, no answer
            return await self._wordless(text, lang, t0)
        if redacted and names_only_numbers(text) and not self._at_question():
            return self._numbers_only(text, lang, redacted, t0)
        if digits_only(text) and not redacted and not self._at_question() and not self._stopped():
            # the keypad pressed with no question open: "2024" started the filing status as
            # its year and asked for the taxpayer ID just typed (newcomer13), "4417" got the
            # offer of a colleague; digits alone ask for nothing
            return self._asks_nothing(text, lang, [], "digits_only", t0)
        if redacted and names_only_numbers(text) and not self._at_free_text_question():
            # the number is no answer (only its last four digits are left, and the question
            # does not take them), nor a miss: the third such line handed the visitor to a
            # person and ended the flow (newcomer11)
            self._audit.append(AuditEntry("intent", "sensitive_number", self._flow()))
            turn = await self._run(AskAgain(lang), text, on_filler, t0)
        else:
            # the sentence encoder and the FAQ search take 50-700 ms of CPU: off the event
            # loop, which carries every session's media and its ICE consent checks (a page
            # whose peer went unanswered for 4 s dropped its session, newcomer12)
            event = await asyncio.to_thread(self._read, text, lang)
            if unclear_goodbye(event):  # garbled words read as goodbye (fixes19 #2)
                if not self._at_question():
                    reprompt = render(self.engine.pack.responses["utter_reprompt"], lang, {})
                    return self._asks_nothing(text, lang, [reprompt], "unclear", t0)
                event = not_understood(event)  # the question's own "didn't get that"
            nlu = event.nlu
            self._audit.append(
                AuditEntry("intent", nlu.command or nlu.intent or "out_of_scope", self._flow())
            )
            turn = await self._run(event, text, on_filler, t0)
        if not redacted:
            return turn
        warning = self._warning(turn.language, redacted)
        return dataclasses.replace(turn, replies=[warning, *turn.replies], redacted=redacted)

    def _read(self, text: str, language: str) -> UserInput:
        """NLU of the visitor's line (on a worker thread), several requests and an opening
        request to complain included (:func:`dialog.reading.read_line`)."""
        slot = self.engine.interpreter.waiting_slot(self.state)
        at_choice = slot is not None and slot.type == "choice"
        return read_line(self.engine, text, language, slot is not None, at_choice=at_choice)

    def awaited_answer(self) -> str | None:
        """The type of the slot the flow's question waits for (``digits``, ``yes_no``…; see
        :data:`dialog.pack.SLOT_TYPES`), None when no question waits or the session is
        closed. The ASR reads it for the next turn's decoder prompt (``asr.digits_prompts``: a
        card's tail, a code), on its worker thread: a decode still under way when the session
        closed must not fail on the session's end (:class:`SessionClosedError`)."""
        state = self._state  # one snapshot: the loop thread replaces it whole, turn by turn
        slot = self.engine.interpreter.waiting_slot(state) if state is not None else None
        return slot.type if slot is not None else None

    def _at_question(self) -> bool:
        """Whether a flow waits at its question (an answer, or the question again, follows)."""
        return self.engine.interpreter.waiting_slot(self.state) is not None

    def _stopped(self) -> bool:
        """Whether a connector failure ended a flow in the last turn: digits now were meant
        for it and start it again (:attr:`dialog.steps.DialogState.stopped`)."""
        return self.state.stopped is not None

    def _at_free_text_question(self) -> bool:
        """Whether the question the flow waits at takes any words (a ``text``/``any`` slot: a
        complaint's description keeps its masked number as written)."""
        slot = self.engine.interpreter.waiting_slot(self.state)
        return slot is not None and slot.type in ("text", "any")

    def _numbers_only(
        self, text: str, language: str, redacted: tuple[str, ...], t0: float
    ) -> DialogTurn:
        """A line that only gave a full number (masked: "my account is •••• 4417") asks for
        nothing: the warning, then "How can I help you today?" (the pack's
        ``utter_how_can_i_help``), not an answer NLU guessed from the words around the number
        (telling a visitor who typed an account number how to close an account)."""
        return self._asks_nothing(
            text, language, [self._warning(language)], "sensitive_number", t0, redacted
        )

    async def _wordless(self, text: str, language: str, t0: float) -> DialogTurn:
        """A line without a word or a digit (emoji, punctuation: newcomer12's "😀😀" was
        classified as a yes) answers nothing: the waiting question is asked again (no failed
        attempt), else "How can I help you today?"."""
        if self._at_question():
            self._audit.append(AuditEntry("intent", "wordless", self._flow()))
            return await self._run(AskAgain(language), text, None, t0)
        return self._asks_nothing(text, language, [], "wordless", t0)

    def _asks_nothing(
        self,
        text: str,
        language: str,
        replies: list[ReplyPlan],
        label: str,
        t0: float,
        redacted: tuple[str, ...] = (),
    ) -> DialogTurn:
        """The turn of a line that asks for nothing (:func:`dialog.nothing_asked.nothing_asked`);
        the audit notes ``label``."""
        self._state, turn = nothing_asked(
            self.engine.pack, self.state, text, language, replies, ms_since(t0), redacted
        )
        self._audit.append(AuditEntry("intent", label, self._flow()))
        return turn

    def _warning(self, language: str, kinds: tuple[str, ...] = ()) -> ReplyPlan:
        """ "Please don't share full numbers here" in ``language`` (a PIN or password only,
        ``kinds`` all ``"secret"``: "never tell anyone your PIN or password")."""
        return warning_reply(self.engine.pack.responses, language, kinds)

    async def switch_language(self, language: str) -> DialogTurn | None:
        """The visitor chose ``language`` (``en``/``zh``; ``auto``: detect it again) on the
        page: later replies use it,
        and a question the flow waits at is asked again in it (it stayed unanswered in the
        old language); None when no question waits (nothing to say).

        Raises:
            SessionClosedError: the session was closed.
        """
        lang = normalize_language(language)
        if lang is None:  # "auto": the next words say which
            self.fixed_language = None
            return None
        if self.fixed_language is not None:
            self.fixed_language = lang
        self._state = dataclasses.replace(self.state, language=lang)
        if not self._at_question():
            return None
        return await self._run(AskAgain(lang), "", None, time.perf_counter())

    async def handle_no_input(self) -> DialogTurn:
        """ASR heard nothing: "Sorry, I didn't catch that…" in the session's language.

        Raises:
            SessionClosedError: the session was closed.
        """
        return await self._run(NoInput(), "", None, time.perf_counter())

    def trial(self) -> DialogSession:
        """A copy of this session to answer a turn on before the visitor has surely finished
        it (the engine's speculative reply): it shares the engine, starts from this state and
        memory, changes nothing here, and raises :class:`TrialStopped` instead of calling a
        connector or the LLM. :meth:`adopt` makes its turn this session's.

        Raises:
            SessionClosedError: the session was closed.
        """
        twin = copy.copy(self)
        twin._trial_of = self.state
        twin._audit = list(self._audit)
        return twin

    def adopt(self, twin: DialogSession) -> bool:
        """Make the turn taken on ``twin`` (from :meth:`trial`) this session's: its state,
        audit and empathy memory. False (nothing changes) when this session moved on or closed
        since the trial began."""
        if twin._trial_of is None or twin._trial_of is not self._state:
            return False
        self._state, self._audit, self._empathy = twin._state, twin._audit, twin._empathy
        return True

    def close(self) -> None:
        """End the session: slots, tokens, history and audit are wiped. Idempotent."""
        self._state = None
        self._audit.clear()
        self._empathy = EmpathyMemory()

    def _flow(self) -> str | None:
        stack = self.state.stack
        return stack[-1].flow_id if stack else None

    async def _run(
        self,
        event: Event,
        text: str,
        on_filler: FillerCallback | None,
        t0: float,
    ) -> DialogTurn:
        """Run ``event`` to a turn (:class:`dialog.turn_loop.TurnLoop`), committing the state
        to this session."""

        def commit(state: DialogState) -> None:
            self._state = state

        loop = TurnLoop(self.engine, self.session_id, self._audit, self._trial_of is not None)
        turn = await loop.run(self.state, event, text, on_filler, t0, commit)
        # read again after the LLM's rewording: a session closed meanwhile raises, a language
        # switched meanwhile is the turn's
        state = self.state
        return dataclasses.replace(turn, language=state.language, ended=state.ended)


__all__: list[Any] = ["DialogEngine", "DialogSession", "SessionClosedError", "normalize_language"]
