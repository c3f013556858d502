"""One visitor turn inside a session: transcript → dialog → replies spoken → metrics.

Runs inside the turn's :class:`~engine.server.speaking.ReplyHandle` task, so barge-in cancels
all of it at whatever await it has reached. Timings use DESIGN.md's stage names, published as
StageEvents and turned into :class:`~engine.events.TurnMetrics` by the session's observer, plus
the realtime ones measured from the end of the visitor's speech (``t_eos``, the loop time its
last speech sample arrived): ``final_transcript_ms``, ``reply_text_ms`` and
``reply_first_audio_ms`` (to the first reply audio sent), and where the final decode's time went:
``asr_start_ms`` (end of speech → decode asked for, i.e. the speculation delay),
``asr_wait_ms`` (waiting for the model behind other decodes) and ``asr_decode_ms`` (its run).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from engine.events import FinalTranscript, Reply, now_ns
from engine.server import protocol
from engine.server.listening import Decode
from engine.server.speaking import ReplyHandle

if TYPE_CHECKING:
    from engine.server.session import Session

log = logging.getLogger(__name__)

#: A turn shorter than this that ASR could not read is treated as noise (no "sorry" reply).
MIN_NO_INPUT_MS = 700.0


def _ms(a_s: float | None, b_s: float | None) -> float | None:
    return None if a_s is None or b_s is None else round((b_s - a_s) * 1000.0, 1)


class TurnRunner:
    """Runs the turns of one session.

    Args:
        session: the owning session (its tracks, dialog, bus, outbox).
    """

    def __init__(self, session: Session) -> None:
        self.s = session

    async def speech_turn(
        self,
        handle: ReplyHandle,
        final: Decode,
        t_eos: float,
        t_endpoint: float,
        span: tuple[int, int],
    ) -> None:
        """Answer a spoken turn whose final decode is ``final``.

        Args:
            handle: this turn's handle.
            final: the (possibly speculative, already running) final decode.
            t_eos: loop time (s) the last speech sample arrived.
            t_endpoint: loop time (s) the end of turn was confirmed.
            span: the decoded ``[start, end)`` 16 kHz samples.
        """
        s, turn_id = self.s, handle.turn_id
        s.runtime.metrics.turns.labels(kind="speech").inc()
        vad_ns = int(s.listener.vad_ms * 1e6)
        s.bus.span(s.id, turn_id, "vad", now_ns() - vad_ns, now_ns())
        s.bus.span(s.id, turn_id, "endpoint", s.stamp_ns(t_eos), s.stamp_ns(t_endpoint))
        transcript = await final.future
        t_final = s.loop.time()
        # The asr stage is the final decode's own run: it usually starts during the endpoint
        # wait, and t_endpoint is the on-time arrival of a sample (it can lie after t_final).
        asr_start = final.control.started_s or min(t_endpoint, t_final)
        asr_end = max(final.ended_s or t_final, asr_start)
        s.bus.span(s.id, turn_id, "asr", s.stamp_ns(asr_start), s.stamp_ns(asr_end))
        s.bus.publish(
            FinalTranscript(
                session_id=s.id,
                text=transcript.text,
                language=transcript.language,
                avg_logprob=transcript.avg_logprob,
            )
        )
        s.send(
            protocol.transcript_message(transcript.text, final=True, language=transcript.language)
        )
        extras: dict[str, float | None] = {
            "final_transcript_ms": _ms(t_eos, t_final),
            **final.timings_ms(t_eos),
        }
        if not transcript.text and (span[1] - span[0]) / 16.0 < MIN_NO_INPUT_MS:
            s.set_state("idle")
            return
        language = transcript.language if s.language == "auto" else s.language
        await self._answer(handle, transcript.text, language, t_eos, extras)

    async def text_turn(self, handle: ReplyHandle, text: str) -> None:
        """Answer a typed turn (text box, keypad, handoff button)."""
        self.s.runtime.metrics.turns.labels(kind="text").inc()
        language = None if self.s.language == "auto" else self.s.language
        await self._answer(handle, text, language, None, {})

    async def _answer(
        self,
        handle: ReplyHandle,
        text: str,
        language: str | None,
        t_eos: float | None,
        extras: dict[str, float | None],
    ) -> None:
        s, turn_id = self.s, handle.turn_id
        start_ns = now_ns()
        if text:
            turn = await s.dialog.handle_text(text, language=language)
        else:
            turn = await s.dialog.handle_no_input()
        end_ns = now_ns()
        connector_ms = turn.timings_ms.get("connector")
        dialog_end = end_ns - int((connector_ms or 0.0) * 1e6)
        s.bus.span(s.id, turn_id, "dialog", start_ns, dialog_end)
        if connector_ms is not None:
            s.bus.span(s.id, turn_id, "connector", dialog_end, end_ns)
        extras["reply_text_ms"] = _ms(t_eos, s.loop.time())
        first_sent: asyncio.Future[float] = s.loop.create_future()

        def on_first_audio() -> None:
            if not first_sent.done():
                first_sent.set_result(s.loop.time())
            if s.reply is handle:
                s.set_state("speaking")

        end_sample, first_chunk_ns = s.audio_out.schedule_end, None
        for n, plan in enumerate(turn.replies):
            reply_id = f"{turn_id}-r{n}"
            handle.reply_ids.append(reply_id)
            s.bus.publish(
                Reply(
                    session_id=s.id,
                    reply_id=reply_id,
                    turn_id=turn_id,
                    text=plan.text,
                    language=plan.language,
                    emotion=plan.emotion,
                    gesture=plan.gesture,
                )
            )
            s.send(
                protocol.reply_message(
                    reply_id,
                    plan.text,
                    plan.language,
                    plan.emotion,
                    plan.gesture,
                    plan.card,
                    turn_id=turn_id,
                )
            )
            s.speaker.express(plan.emotion, plan.gesture)
            times = await s.speaker.say(
                turn_id,
                reply_id,
                plan.text,
                plan.language,
                on_first_audio,
                speaking_rate=plan.speaking_rate,
            )
            end_sample = max(end_sample, times.end_sample)
            if first_chunk_ns is None:
                first_chunk_ns = times.first_chunk_ns
        if first_chunk_ns is not None:
            t_first = await first_sent
            s.bus.span(s.id, turn_id, "send", first_chunk_ns, s.stamp_ns(t_first))
            extras["reply_first_audio_ms"] = _ms(t_eos, t_first)
        self._report(turn_id, {**s.timings_extra(), **extras}, turn.intent)
        await s.audio_out.played(end_sample)
        if s.reply is handle:
            s.set_state("idle")

    def _report(self, turn_id: str, extras: dict[str, Any], intent: str | None) -> None:
        s = self.s
        timings = s.observer.metrics(s.id, turn_id).as_dict()
        timings.update(extras)
        s.runtime.metrics.observe_turn(timings)
        message = protocol.metrics_message(turn_id, timings)
        message["intent"] = intent
        s.send(message)
        log.info("session %s turn %s timings %s", s.id, turn_id, timings)
