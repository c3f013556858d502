"""The live hearing stage: the endpointer's decisions become turns.

:class:`TurnTaking` receives each :data:`~engine.server.endpointing.Decision` the
:class:`~engine.server.listening.Listener` makes and acts on it: an onset starts a turn (and
tells the session, which decides about barge-in), a partial is decoded when the CPU allows and
published as :class:`~engine.events.PartialTranscript` (the first one of a session under
``auto`` also detects the visitor's language, :class:`~engine.asr.language.SpokenLanguage`), the
speculative final decode starts early in the endpoint wait and is given up when the visitor
speaks again, and the end of the turn hands a :class:`LiveUtterance` — the turn's final decode
— to the session. It publishes SpeechStarted, SpeechEnded and EndOfTurn on the session's bus.

Semantic end of turn (:mod:`engine.audio.turn_policy`): a
:class:`~engine.audio.turn_policy.TurnCheckDue` runs the turn model through :data:`TurnCheck`
(off the event loop) and the verdict goes back to the endpointer; the speculative decode's text
goes back too; the turn ends when the policy says so, as a :class:`TurnEnded` over the
speculative span (its decode is reused).

:class:`LiveUtterance` is the hearing side of one spoken turn for the turn runner
(:class:`engine.turns.Utterance`): it waits for the final decode, publishes the ``vad``,
``endpoint`` and ``asr`` spans and the :class:`~engine.events.FinalTranscript`, and abandons the
decode when the turn is interrupted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from engine.asr.whisper import Transcript
from engine.audio.turn_policy import SemanticEndpointer, TurnCheckDue
from engine.audio.vad import SAMPLE_RATE_HZ
from engine.events import (
    EndOfTurn,
    FinalTranscript,
    PartialTranscript,
    SpeechEnded,
    SpeechStarted,
    now_ns,
)
from engine.observers import EventBus
from engine.server.endpointing import (
    Decision,
    Onset,
    OnsetDropped,
    OnsetPending,
    PartialDue,
    SpeculateFinal,
    SpeechResumed,
    TurnEnded,
)
from engine.server.listening import Listener
from engine.server.transcribing import Decode, Transcriber
from engine.transcript_log import log_transcript
from engine.turns import Heard

log = logging.getLogger(__name__)

#: A turn shorter than this that ASR could not read is treated as noise (no "sorry" reply).
MIN_NO_INPUT_MS = 700.0
#: Seconds of a turn's first speech the language detection reads (16 kHz samples).
DETECT_SAMPLES = 3 * SAMPLE_RATE_HZ

#: Runs the turn model on float32 16 kHz audio off the event loop; resolves to the probability
#: that the turn is complete (raises the model's error when it fails).
TurnCheck = Callable[[np.ndarray], "asyncio.Future[float]"]


def _ms(a_s: float | None, b_s: float | None) -> float | None:
    return None if a_s is None or b_s is None else round((b_s - a_s) * 1000.0, 1)


@dataclass(slots=True)
class LiveUtterance:
    """One spoken turn of a live session, as the turn runner hears it.

    Attributes:
        session_id, turn_id: for events.
        bus: the session's bus.
        decode: the (possibly speculative, already running) final decode.
        span: the decoded ``[start, end)`` 16 kHz stream samples.
        vad_ms: VAD compute time during the turn (ms).
        t_eos_s: loop time (s) the last speech sample arrived (on time).
        t_endpoint_s: loop time (s) the end of turn was confirmed.
        clock: the loop's clock (seconds).
        code: the dialog waited for the one-time code when the turn ended (its transcript is
            logged and published with every number hidden whole).
    """

    session_id: str
    turn_id: str
    bus: EventBus
    decode: Decode
    span: tuple[int, int]
    vad_ms: float
    t_eos_s: float
    t_endpoint_s: float
    clock: Callable[[], float]
    code: bool = False

    async def hear(self) -> Heard:
        """Wait for the final decode; cancelling this abandons it (barge-in).

        Raises:
            engine.asr.whisper.ASRError: the decode failed.
        """
        sid, turn_id, bus = self.session_id, self.turn_id, self.bus
        now = now_ns()
        bus.span(sid, turn_id, "vad", now - int(self.vad_ms * 1e6), now)
        bus.span(sid, turn_id, "endpoint", _ns(self.t_eos_s), _ns(self.t_endpoint_s))
        try:
            # Shielded: the executor's future must finish on its own (the decode stops at its
            # next check), so the process-wide count of decodes in flight stays true.
            transcript = await asyncio.shield(self.decode.future)
        except asyncio.CancelledError:
            self.decode.abandon()
            raise
        t_final = self.clock()
        # The asr stage is the final decode's own run: it usually starts during the endpoint
        # wait, and t_endpoint is the on-time arrival of a sample (it can lie after t_final).
        asr_start = self.decode.control.started_s or min(self.t_endpoint_s, t_final)
        asr_end = max(self.decode.ended_s or t_final, asr_start)
        bus.span(sid, turn_id, "asr", _ns(asr_start), _ns(asr_end))
        bus.publish(_final(sid, transcript, self.code))
        log_transcript(
            sid, turn_id, transcript.text, transcript.language, final=True, code=self.code
        )
        extras = {"final_transcript_ms": _ms(self.t_eos_s, t_final)}
        extras.update(self.decode.timings_ms(self.t_eos_s))
        speech_ms = (self.span[1] - self.span[0]) * 1000.0 / SAMPLE_RATE_HZ
        noise = not transcript.text and speech_ms < MIN_NO_INPUT_MS
        return Heard(transcript, self.t_eos_s, extras, noise)


def _ns(t_s: float) -> int:
    """Loop time (seconds) → the events' monotonic ns (both are ``time.monotonic``)."""
    return int(t_s * 1e9)


def _final(session_id: str, transcript: Transcript, code: bool) -> FinalTranscript:
    return FinalTranscript(
        session_id=session_id,
        text=transcript.text,
        language=transcript.language,
        avg_logprob=transcript.avg_logprob,
        code=code,
    )


class TurnSink(Protocol):
    """Where turns go: the session (it owns replies and the state)."""

    def speech_started(self, onset_s: float, barge_in: bool) -> bool:
        """The visitor started speaking (``onset_s``: loop time the speech began); with
        ``barge_in`` the avatar was busy when the onset was confirmed. Returns whether this
        speech is a turn: False (e.g. while a typed turn is answered) leaves it undecoded and
        unanswered."""
        ...

    def turn_ended(self, utterance: LiveUtterance) -> None:
        """The visitor finished a turn; answer it."""
        ...

    def hold_reply(self, hold: bool) -> None:
        """Speech that may be a barge-in began over the avatar (``True``: silence the reply,
        keep its place) or stopped unconfirmed (``False``: let it play on)."""
        ...

    def turn_foreseen(self, span: tuple[int, int], transcript: Transcript) -> None:
        """The pause's speculative decode of ``span`` came back while the turn is open and
        its words do not stop mid-sentence: a reply may be prepared on it, held until
        :meth:`turn_ended` brings the same span (:mod:`engine.foresight`)."""
        ...

    def turn_resumed(self) -> None:
        """The visitor spoke on: a reply prepared on the pause is void."""
        ...


class TurnTaking:
    """Turns the endpointer's decisions into turns for one session (see the module docstring).

    Args:
        session_id: for events and turn ids.
        bus: the session's bus.
        listener: the session's inbound audio (its buffer and arrival clock).
        transcriber: the session's decodes.
        next_turn_id: makes a fresh turn id.
        sink: receives onsets and finished turns.
        clock: the loop's clock (seconds).
        check_turn: runs the turn model (None: no model; the policy asks for no checks then).
    """

    def __init__(
        self,
        session_id: str,
        bus: EventBus,
        listener: Listener,
        transcriber: Transcriber,
        next_turn_id: Callable[[], str],
        sink: TurnSink,
        clock: Callable[[], float],
        check_turn: TurnCheck | None = None,
    ) -> None:
        self.session_id = session_id
        self.bus = bus
        self.listener = listener
        self.transcriber = transcriber
        self.next_turn_id = next_turn_id
        self.sink = sink
        self.clock = clock
        self.check_turn = check_turn
        self.turn_id: str | None = None  # the turn being heard
        #: Whether the dialog waits for the one-time code (set by the session: every number
        #: of such a turn's transcripts is hidden whole in the log and the caption).
        self.code_question: Callable[[], bool] = lambda: False
        self.unheard = False  # the session declined the speech going on (not a turn)

    def on_decision(self, decision: Decision | TurnCheckDue, t_end: float) -> None:
        """Act on one decision (``t_end``: loop time the window that made it ended)."""
        if isinstance(decision, Onset):
            self._onset(decision)
        elif isinstance(decision, OnsetPending):
            self.sink.hold_reply(True)
        elif isinstance(decision, OnsetDropped):
            self.sink.hold_reply(False)
        elif isinstance(decision, TurnEnded) and self.unheard:
            self.unheard = False
            sample = decision.speech_end_sample
            self.bus.publish(SpeechEnded(session_id=self.session_id, sample=sample))
        elif self.unheard:
            return  # no partial or speculative decode of speech that is not a turn
        elif isinstance(decision, PartialDue):
            self._partial(decision)
        elif isinstance(decision, SpeculateFinal):
            self._speculate(decision)
        elif isinstance(decision, TurnCheckDue):
            self._check(decision)
        elif isinstance(decision, SpeechResumed):
            self.transcriber.resumed()
            self.sink.turn_resumed()
        elif isinstance(decision, TurnEnded):
            self._turn_ended(decision, t_end)

    @property
    def _policy(self) -> SemanticEndpointer | None:
        endpointer = self.listener.endpointer
        return endpointer if isinstance(endpointer, SemanticEndpointer) else None

    def _decided(self, decisions: list[Decision]) -> None:
        """Decisions the policy made outside a VAD window (a verdict, a transcript)."""
        now = self.clock()
        for decision in decisions:
            self.on_decision(decision, now)

    def _speculate(self, spec: SpeculateFinal) -> None:
        span = (spec.start_sample, spec.end_sample)
        decode = self.transcriber.speculate(span, self.listener.buffer.slice(*span))
        if self._policy is not None:
            decode.future.add_done_callback(lambda f: self._speculated(span, f))

    def _speculated(self, span: tuple[int, int], future: asyncio.Future[Transcript]) -> None:
        """The speculative decode of a pause came back: its text is end-of-turn evidence, and
        while the turn stays open and its words do not stop mid-sentence, the session may
        prepare its reply (the reason is logged)."""
        policy = self._policy
        if policy is None or future.cancelled():
            return
        # A failed decode is no evidence, and the policy must stop waiting for it.
        transcript = None if future.exception() is not None else future.result()
        text = "" if transcript is None else transcript.text
        open_before = policy.in_speech
        now = self.listener.buffer.end
        self._decided(policy.transcribed(span, text, now))
        foreseen = bool(text) and policy.expects_end(span)
        pause_ms = (now - span[1]) * 1000.0 / SAMPLE_RATE_HZ + policy.settings.pad_ms
        if not open_before:
            why = "the turn had ended or the visitor spoke on: no reply prepared"
        elif not policy.in_speech:
            why = "it ended the turn: no time left to prepare a reply"
        elif foreseen:
            why = "the turn is open: a reply is prepared on it"
        elif not text:
            why = "the turn is open but the decode heard no words: no reply prepared"
        else:
            why = "the turn is open but its words stop mid-sentence (or it is stale): no reply"
        log.info(
            "session %s: the pause's decode came back %.0f ms into the pause; %s",
            self.session_id,
            pause_ms,
            why,
        )
        if foreseen and transcript is not None:
            self.sink.turn_foreseen(span, transcript)

    def _check(self, due: TurnCheckDue) -> None:
        """Ask the turn model about the pause; its verdict goes back to the policy."""
        if self.check_turn is None:
            return
        future = self.check_turn(self.listener.buffer.slice(due.start_sample, due.end_sample))
        future.add_done_callback(lambda f: self._checked(due, f))

    def _checked(self, due: TurnCheckDue, future: asyncio.Future[float]) -> None:
        policy = self._policy
        if policy is None or future.cancelled():
            return
        if future.exception() is not None:  # no verdict: the silence timeout ends the turn
            log.warning("session %s: turn check failed: %s", self.session_id, future.exception())
            return
        self._decided(policy.verdict(due.check_id, future.result(), self.listener.buffer.end))

    def _onset(self, onset: Onset) -> None:
        self.bus.publish(SpeechStarted(session_id=self.session_id, sample=onset.start_sample))
        onset_s = self.listener.earliest_time_of(onset.start_sample)
        if not self.sink.speech_started(onset_s, onset.barge_in):
            self.unheard = True
            return
        self.turn_id = self.next_turn_id()
        self.listener.vad_ms = 0.0
        self.transcriber.turn_started()

    def _partial(self, due: PartialDue) -> None:
        speech_ms = (due.end_sample - due.start_sample) * 1000.0 / SAMPLE_RATE_HZ
        if self.transcriber.detection_due(speech_ms):
            start = due.start_sample
            self.transcriber.detect(self.listener.buffer.slice(start, start + DETECT_SAMPLES))
        if due.after_pause:
            return  # nothing new to caption; it would hold the model when the turn ends
        future = self.transcriber.partial(
            self.listener.buffer.slice(due.start_sample, due.end_sample)
        )
        if future is not None:
            turn = self.turn_id
            future.add_done_callback(lambda f: self._partial_done(f, turn))

    def _partial_done(self, future: asyncio.Future[Transcript], turn: str | None) -> None:
        if future.cancelled() or future.exception() is not None:
            return
        transcript = future.result()
        listening = turn == self.turn_id and self.listener.endpointer.in_speech
        if transcript.text and listening:
            code = self.code_question()
            self.bus.publish(
                PartialTranscript(
                    session_id=self.session_id,
                    text=transcript.text,
                    language=transcript.language,
                    code=code,
                )
            )
            log_transcript(
                self.session_id, turn, transcript.text, transcript.language, final=False, code=code
            )

    def _turn_ended(self, ended: TurnEnded, t_end: float) -> None:
        span = (ended.start_sample, ended.end_sample)
        decode = self.transcriber.final(span, self.listener.buffer.slice(*span))
        turn_id = self.turn_id or self.next_turn_id()
        self.turn_id = None
        sid = self.session_id
        self.bus.publish(SpeechEnded(session_id=sid, sample=ended.speech_end_sample))
        self.bus.publish(EndOfTurn(session_id=sid, start_sample=span[0], end_sample=span[1]))
        utterance = LiveUtterance(
            session_id=sid,
            turn_id=turn_id,
            bus=self.bus,
            decode=decode,
            span=span,
            vad_ms=self.listener.vad_ms,
            t_eos_s=self.listener.earliest_time_of(ended.speech_end_sample),
            # The window's end is an on-time estimate (Listener.time_of, re-anchored only past
            # REANCHOR_S): after a stall it can lie up to that much after now, and a span may
            # not end after the decision that closes it.
            t_endpoint_s=min(t_end, self.clock()),
            clock=self.clock,
            code=self.code_question(),
        )
        self.sink.turn_ended(utterance)
