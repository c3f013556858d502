"""The one turn loop of the engine: heard → dialog (+ connectors) → replies spoken → metrics.

Shared by ``dhe converse`` (file transport) and ``dhe serve`` (live transport); each gives the
:class:`TurnRunner` the same four narrow ports — the visitor's dialog session, a
:class:`~engine.speaking.Speaker`, the session's :class:`~engine.observers.EventBus` and the
transport's :class:`~engine.speaking.Outbox` — and wraps it in a thin adapter. A turn runs
inside its :class:`~engine.reply.ReplyHandle` task, so an interruption cancels all of it at
whatever await it has reached.

Stages publish typed, timestamped events in the fixed order of
:data:`~engine.events.STAGES`: the hearing stage (an :class:`Utterance` of the transport) its
``vad``, ``endpoint`` and ``asr`` spans and the :class:`~engine.events.FinalTranscript`; then
``dialog`` and ``connector`` spans, one :class:`~engine.events.Reply` per reply, ``tts`` with its
:class:`~engine.events.TTSAudio` chunks, the transport's ``avatar``/``send`` spans, and one
:class:`~engine.events.TurnMetrics` (the turn's timings, plus the realtime ones of a live turn,
measured from the end of the visitor's speech: ``final_transcript_ms``, ``reply_text_ms``,
``reply_first_audio_ms``, ``asr_start_ms``, ``asr_wait_ms``, ``asr_decode_ms``).

A stage that fails with a typed error (:class:`~engine.asr.whisper.ASRError`,
:class:`~engine.tts.base.TTSError`) publishes one :class:`~engine.events.StageError` with the
error's stable code; the avatar says a short apology in the session's language and the turn
ends with its metrics (Home Assistant's pipeline: one ``error`` event, always ``run-end``).
A dialog that raises anything is the same: one ``dialog``/``internal`` error, the apology, and
the session goes on with its slots.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType

from dialog import DialogSession, DialogTurn, ReplyPlan, SessionClosedError, TrialStopped
from dialog.chat import take_turn
from engine.asr.whisper import ASRError
from engine.audio.pauses import PauseLimiter
from engine.events import Interrupted, Reply, Stage, StageError, TurnMetrics, now_ns
from engine.foresight import Foresight, HeldSpeech, Prepared
from engine.observers import EventBus
from engine.reply import ReplyHandle
from engine.speaking import Outbox, Speaker
from engine.tts.base import TTSError
from engine.turn_io import Heard, TurnOutcome, Utterance
from engine.turn_metrics import TurnLedger, ms_between

log = logging.getLogger(__name__)

#: The apology said when a stage failed, per language (the turn then ends).
APOLOGIES: Mapping[str, str] = MappingProxyType(
    {
        "en": "Sorry, something went wrong on my side. Could you say that again?",
        "zh": "抱歉，我这边出了点问题，请您再说一遍。",
    }
)


class TurnRunner:
    """Runs the turns of one session (see the module docstring).

    Args:
        session_id: for events.
        dialog: the visitor's dialog session.
        speaker: says replies onto ``outbox``.
        bus: the session's event bus (a :class:`TurnMetricsObserver` is subscribed to it).
        outbox: the transport's reply audio and face.
        clock: seconds on the ``time.monotonic`` base (the event loop's ``time``), for the
            first-audio time and the realtime timings.
        mood: the visitor's facial emotion now (the live camera), read when a turn's dialog
            runs; None without a camera (:mod:`dialog.empathy`).
    """

    def __init__(
        self,
        session_id: str,
        *,
        dialog: DialogSession,
        speaker: Speaker,
        bus: EventBus,
        outbox: Outbox,
        clock: Callable[[], float] = time.monotonic,
        mood: Callable[[], str | None] = lambda: None,
    ) -> None:
        self.session_id = session_id
        self.mood = mood
        self.dialog = dialog
        self.speaker = speaker
        self.bus = bus
        self.outbox = outbox
        self.clock = clock
        self.ledger = TurnLedger(session_id, bus, outbox)

    def interrupt(
        self, handle: ReplyHandle, onset_s: float | None = None, reason: str = "new-turn"
    ) -> Interrupted | None:
        """Interruption, one mechanism: cancel the reply's scope (the final decode, a connector
        call, TTS stop where they are), drop its queued audio, close the mouth and publish
        :class:`~engine.events.Interrupted`, then, when the turn had not published its metrics
        yet, its :class:`~engine.events.TurnMetrics` marked ``interrupted`` with the figures it
        had (the stages it finished; the open one is None).

        Args:
            handle: the reply to cut.
            onset_s: loop time the visitor's speech began (barge-in), None otherwise.
            reason: ``barge-in``, ``new-turn`` or ``session-ended``.

        Returns:
            The event, or None when the reply had already played out (nothing to cut).
        """
        if not handle.interrupt(onset_s, reason):
            return None
        played = self.outbox.cut()
        event = Interrupted(
            session_id=self.session_id,
            reply_id=handle.reply_ids[-1] if handle.reply_ids else "",
            played_samples=played,
            reason=reason,
        )
        self.bus.publish(event)
        self.ledger.cut(handle.turn_id)
        return event

    async def spoken_turn(
        self,
        handle: ReplyHandle,
        utterance: Utterance,
        session_language: str,
        foresight: Foresight | None = None,
    ) -> TurnOutcome | None:
        """Hear a spoken turn and answer it; None for noise (no reply).

        Args:
            handle: the turn's handle (its task runs this).
            utterance: the transport's hearing stage of the turn.
            session_language: ``auto`` (answer in the language heard), ``en`` or ``zh``.
            foresight: the reply prepared on the same span's speculative transcript during
                the endpoint wait (:mod:`engine.foresight`): used when its transcript is the
                final one and the dialog session has not moved since, else dropped.
        """
        self.ledger.open(handle.turn_id)
        try:
            heard = await utterance.hear()
            if heard.noise:
                self.ledger.forget(handle.turn_id)  # no reply, no metrics
                return None
            prepared = await foresight.take() if foresight is not None else None
        except ASRError as exc:
            return await self._failed(handle, "asr", exc.code, exc.message, "")
        finally:
            if foresight is not None and not foresight.used:
                foresight.drop()
        heard_language = heard.transcript.language if heard.transcript else None
        extras = dict(heard.extras)
        if prepared is not None and self._adopt(prepared, heard):
            return await self._answer_prepared(handle, prepared, heard, extras, heard_language)
        if prepared is not None and prepared.speech is not None:
            await prepared.speech.close()
        language = heard_language if session_language == "auto" else session_language
        return await self.answer(
            handle, heard.text, language, heard.t_eos_s, extras, heard_language
        )

    def _adopt(self, prepared: Prepared, heard: Heard) -> bool:
        """The prepared reply answers the words heard and its trial becomes the dialog's."""
        same = heard.transcript is not None and prepared.transcript == heard.transcript
        return same and self.dialog.adopt(prepared.trial)

    async def _answer_prepared(
        self,
        handle: ReplyHandle,
        prepared: Prepared,
        heard: Heard,
        extras: dict[str, float | None],
        heard_language: str | None,
    ) -> TurnOutcome:
        """Say a reply prepared ahead of the endpoint (its dialog ran on the same words)."""
        self.ledger.open(handle.turn_id, extras)
        start_ns, end_ns = prepared.dialog_ns
        self.bus.span(self.session_id, handle.turn_id, "dialog", start_ns, end_ns)
        if heard.t_eos_s is not None:
            extras["reply_prepared_ms"] = round(start_ns / 1e6 - heard.t_eos_s * 1e3, 1)
        return await self._reply(
            handle, prepared.turn, heard.text, heard.t_eos_s, extras, heard_language, prepared
        )

    async def typed_turn(
        self, handle: ReplyHandle, text: str, session_language: str
    ) -> TurnOutcome:
        """Answer a typed turn (text box, keypad digits, the hand-off button)."""
        language = None if session_language == "auto" else session_language
        return await self.answer(handle, text, language, None, {}, None)

    async def answer(
        self,
        handle: ReplyHandle,
        text: str,
        language: str | None,
        t_eos_s: float | None,
        extras: dict[str, float | None],
        heard_language: str | None,
    ) -> TurnOutcome:
        """Dialog → replies spoken → metrics → played out.

        Args:
            handle: the turn's handle.
            text: the visitor's words (``""``: nothing understood, "sorry?" reply).
            language: the language to answer in, or None to detect it from the text.
            t_eos_s: end of the visitor's speech (live turns), None otherwise.
            extras: realtime timings so far (ms); the reply's are added when ``t_eos_s`` is set.
            heard_language: what ASR heard (for the outcome).
        """
        self.ledger.open(handle.turn_id, extras)
        try:
            turn = await self._decide(
                handle.turn_id,
                lambda: take_turn(self.dialog, text, language, emotion=self.mood()),
            )
        except (SessionClosedError, TrialStopped):  # the session's own signals, not defects
            raise
        except Exception as exc:  # a dialog defect: this turn apologises, the session goes on
            return await self._dialog_failed(handle, exc, text)
        return await self._reply(handle, turn, text, t_eos_s, extras, heard_language)

    async def seen_turn(
        self, handle: ReplyHandle, decide: Callable[[], Awaitable[DialogTurn]]
    ) -> TurnOutcome:
        """Answer what the visitor did rather than said — arrived at the screen, waved, a
        thumbs up at a confirmation: ``decide()`` is the dialog's turn for it (e.g.
        ``DialogSession.greet``, ``DialogSession.handle_gesture``)."""
        self.ledger.open(handle.turn_id)
        try:
            turn = await self._decide(handle.turn_id, decide)
        except (SessionClosedError, TrialStopped):  # the session's own signals, not defects
            raise
        except Exception as exc:  # as in answer(): one bad turn never ends the session
            return await self._dialog_failed(handle, exc, "")
        return await self._reply(handle, turn, "", None, {}, None)

    async def _reply(
        self,
        handle: ReplyHandle,
        turn: DialogTurn,
        text: str,
        t_eos_s: float | None,
        extras: dict[str, float | None],
        heard_language: str | None,
        prepared: Prepared | None = None,
    ) -> TurnOutcome:
        """Say the dialog's replies, publish the metrics, wait for the playout (``text``: the
        visitor's words, for the outcome; ``prepared``: its first reply's synthesis is under
        way)."""
        if t_eos_s is not None:
            extras["reply_text_ms"] = ms_between(t_eos_s, self.clock())
        self.ledger.decided(handle.turn_id, turn.intent)
        held = prepared.speech if prepared is not None else None
        try:
            end_sample, first_ns = await self._say(handle, turn.replies, held)
            replies = tuple(turn.replies)
        except TTSError as exc:
            self._stage_error(handle.turn_id, "tts", exc.code, exc.message)
            end_sample, first_ns, replies = await self._apologise(handle)
        metrics = await self._deliver(handle, first_ns, t_eos_s, extras, turn.intent)
        await self.outbox.played(end_sample)
        handle.audio_done()
        return TurnOutcome(
            handle.turn_id, text, heard_language, turn.intent, turn.language, replies, metrics
        )

    async def _decide(
        self, turn_id: str, decide: Callable[[], Awaitable[DialogTurn]]
    ) -> DialogTurn:
        start_ns = now_ns()
        turn = await decide()
        end_ns = now_ns()
        connector_ms = turn.timings_ms.get("connector")
        dialog_end = end_ns - int((connector_ms or 0.0) * 1e6)
        self.bus.span(self.session_id, turn_id, "dialog", start_ns, dialog_end)
        if connector_ms is not None:
            self.bus.span(self.session_id, turn_id, "connector", dialog_end, end_ns)
        return turn

    async def _say(
        self,
        handle: ReplyHandle,
        replies: list[ReplyPlan] | tuple[ReplyPlan, ...],
        held: HeldSpeech | None = None,
    ) -> tuple[int, int | None]:
        """Announce and speak each reply (``held``: the first one's synthesis, under way);
        returns (end sample, first chunk queued ns)."""
        end_sample, first_ns = self.outbox.schedule_end, None
        pauses = PauseLimiter()  # no long silence inside the turn's speech, joins included

        def on_start() -> None:
            handle.audio_started(self.clock())

        for i, plan in enumerate(replies):
            synthesis = held.chunks() if held is not None and i == 0 else None
            reply_id = f"{handle.turn_id}-r{len(handle.reply_ids)}"
            handle.reply_ids.append(reply_id)
            self.bus.publish(self._reply_event(handle.turn_id, reply_id, plan))
            self.speaker.express(plan.emotion, plan.gesture)
            times = await self.speaker.say(
                handle.turn_id,
                reply_id,
                plan.text,
                plan.language,
                on_start,
                speaking_rate=plan.speaking_rate,
                pauses=pauses,
                synthesis=synthesis,
            )
            end_sample = max(end_sample, times.end_sample)
            first_ns = first_ns if first_ns is not None else times.first_chunk_ns
        return end_sample, first_ns

    def _reply_event(self, turn_id: str, reply_id: str, plan: ReplyPlan) -> Reply:
        return Reply(
            session_id=self.session_id,
            reply_id=reply_id,
            turn_id=turn_id,
            text=plan.text,
            language=plan.language,
            emotion=plan.emotion,
            gesture=plan.gesture,
            card=MappingProxyType(dict(plan.card)) if plan.card else None,
        )

    async def _deliver(
        self,
        handle: ReplyHandle,
        first_ns: int | None,
        t_eos_s: float | None,
        extras: dict[str, float | None],
        intent: str | None,
    ) -> TurnMetrics:
        """Wait for the transport to take the replies, then publish the turn's metrics."""
        spans = await self.outbox.deliver(handle, first_ns)
        for stage, (start_ns, end_ns) in spans.items():
            self.bus.span(self.session_id, handle.turn_id, stage, start_ns, end_ns)
        first = handle.first_audio
        if t_eos_s is not None and first.done() and not first.cancelled():
            extras["reply_first_audio_ms"] = ms_between(t_eos_s, first.result())
        return self.ledger.close(handle.turn_id, extras, intent)

    def _stage_error(self, turn_id: str, stage: Stage, code: str, message: str) -> None:
        log.warning("session %s turn %s: %s failed: %s", self.session_id, turn_id, stage, message)
        self.bus.publish(
            StageError(
                session_id=self.session_id, turn_id=turn_id, stage=stage, code=code, message=message
            )
        )

    async def _failed(
        self, handle: ReplyHandle, stage: Stage, code: str, message: str, text: str
    ) -> TurnOutcome:
        """A stage before the dialog failed: the error event, the apology, the turn's end."""
        self._stage_error(handle.turn_id, stage, code, message)
        end_sample, first_ns, replies = await self._apologise(handle)
        metrics = await self._deliver(handle, first_ns, None, {}, None)
        await self.outbox.played(end_sample)
        handle.audio_done()
        language = self.dialog.language
        return TurnOutcome(handle.turn_id, text, None, None, language, replies, metrics)

    async def _dialog_failed(self, handle: ReplyHandle, exc: Exception, text: str) -> TurnOutcome:
        """The dialog raised (a defect, e.g. an input no rule foresaw): log the traceback, send
        one ``dialog``/``internal`` error event naming only the exception's type (its message
        may quote the visitor's words), apologise, and keep the session and its slots. It used
        to end the whole session with ``internal-error``, losing a verification under way."""
        log.exception("session %s: the dialog failed on a turn", self.session_id)
        return await self._failed(handle, "dialog", "internal", type(exc).__name__, text)

    async def _apologise(
        self, handle: ReplyHandle
    ) -> tuple[int, int | None, tuple[ReplyPlan, ...]]:
        """Say the apology in the session's language (shown as text when TTS fails again)."""
        language = self.dialog.language
        plan = ReplyPlan(APOLOGIES.get(language, APOLOGIES["en"]), language, emotion="apologetic")
        try:
            end_sample, first_ns = await self._say(handle, [plan])
        except TTSError as exc:
            log.warning("session %s: the apology was not spoken: %s", self.session_id, exc)
            return self.outbox.schedule_end, None, (plan,)
        return end_sample, first_ns, (plan,)
