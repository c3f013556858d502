"""A reply prepared during the endpoint wait: dialog and the first audio before the turn ends.

The pause's speculative decode (:class:`~engine.server.endpointing.SpeculateFinal`) is the
final transcript whenever the visitor does not speak again before the endpoint confirms the
turn (:meth:`engine.server.transcribing.Transcriber.final` reuses it for the same span). When
it comes back before the turn has ended and its words do not stop mid-sentence, the session
starts the reply on it at once — the dialog on a trial copy of the visitor's dialog
session (:meth:`dialog.DialogSession.trial`: no connector call, no LLM) and the first reply's
synthesis up to its first audio — and holds it: nothing is queued, said or shown. The endpoint
then either ends the turn over the same span (the reply is *used*: the trial's state becomes
the session's, the held audio is queued at once) or the visitor speaks on (it is *dropped*:
synthesis is closed, the trial forgotten). A visitor therefore never hears or sees a reply to
words they did not finish, and a confirmed turn's reply starts up to the endpoint wait earlier:
on 2 cores the English decode is back ~0.37 s after the end of speech, the endpoint ~0.5 s.

LiveKit Agents' *preemptive generation* does the same: it starts the LLM and TTS on the user's
transcript before the end of turn is committed and discards them when the user goes on. The
turn model's verdict does not gate it
(:meth:`~engine.audio.turn_policy.SemanticEndpointer.expects_end`): a turn the model doubts
stays open longest, so its prepared reply saves most. A Mandarin turn the model judges
finished gets none: its decode (~0.35 s, started 0.15 s
into the pause, which it needs: 96-128 ms of trailing audio changed 4-8 of 24 of our own
Kokoro-spoken questions' texts) is back ~0.53 s after the end of speech, past the 0.42 s and
0.5 s points, and ends the turn itself — the reply then starts on it as early as a prepared
one would have.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from dialog import DialogSession, DialogTurn, ReplyPlan, TrialStopped
from dialog.chat import take_turn
from engine.asr.whisper import Transcript
from engine.tts.base import TTSChunk, TTSError
from engine.voices import Voices

log = logging.getLogger(__name__)


@dataclass(slots=True)
class HeldSpeech:
    """The first reply's synthesis, started and held at its first chunk.

    Attributes:
        plan: the reply it says.
        first: its first chunk (already synthesized).
        rest: the synthesis, positioned after ``first``.
    """

    plan: ReplyPlan
    first: TTSChunk
    rest: AsyncIterator[TTSChunk]

    async def chunks(self) -> AsyncIterator[TTSChunk]:
        """The whole synthesis: ``first``, then the rest (closing this closes it)."""
        try:
            yield self.first
            async for chunk in self.rest:
                yield chunk
        finally:
            await self.close()

    async def close(self) -> None:
        """Stop the synthesis (where it is)."""
        await self.rest.aclose()  # type: ignore[attr-defined]


@dataclass(slots=True)
class Prepared:
    """A reply prepared on the speculative transcript.

    Attributes:
        transcript: the transcript it answers.
        trial: the dialog session copy the turn was taken on.
        turn: the dialog's turn.
        dialog_ns: (start, end) monotonic ns of the dialog's run.
        speech: the first reply's held synthesis (None: the turn has no reply).
    """

    transcript: Transcript
    trial: DialogSession
    turn: DialogTurn
    dialog_ns: tuple[int, int]
    speech: HeldSpeech | None = None


async def prepare(
    dialog: DialogSession,
    voices: Voices,
    transcript: Transcript,
    session_language: str,
    mood: Callable[[], str | None],
) -> Prepared | None:
    """Take the turn on a trial copy of ``dialog`` and synthesize its first reply's first chunk.

    Args:
        dialog: the visitor's dialog session (not changed).
        voices: the process's TTS voices.
        transcript: the speculative final transcript.
        session_language: ``auto`` (answer in the language heard), ``en`` or ``zh``.
        mood: the visitor's facial emotion now (None without a camera).

    Returns:
        The prepared reply, or None when the turn needs what only a confirmed turn may do (a
        connector call, the LLM) or its voice failed (the confirmed turn then runs as usual
        and reports that failure itself).
    """
    language = transcript.language if session_language == "auto" else session_language
    trial = dialog.trial()
    t0 = _ns(asyncio.get_running_loop().time())
    try:
        turn = await take_turn(trial, transcript.text, language, emotion=mood())
    except TrialStopped as stop:
        log.info("no reply prepared ahead of the endpoint: %s", stop)
        return None
    prepared = Prepared(transcript, trial, turn, (t0, _ns(asyncio.get_running_loop().time())))
    if not turn.replies:
        return prepared
    plan = turn.replies[0]
    try:
        tts = await asyncio.to_thread(voices.for_language, plan.language, plan.speaking_rate)
        rest = tts.synthesize(plan.text, plan.language)
        first = await anext(rest, None)
    except TTSError as exc:
        log.info("no reply prepared ahead of the endpoint: %s", exc)
        return None
    if first is not None:
        prepared.speech = HeldSpeech(plan, first, rest)
    return prepared


def _ns(t_s: float) -> int:
    return int(t_s * 1e9)


@dataclass(slots=True)
class Foresight:
    """The reply being prepared for one speculative span (see the module docstring).

    Attributes:
        span: the ``[start, end)`` 16 kHz samples of the speculative decode it answers.
        task: resolves to the :class:`Prepared` reply or None.
        used: the confirmed turn took it.
    """

    span: tuple[int, int]
    task: asyncio.Task[Prepared | None]
    used: bool = False

    @classmethod
    def start(
        cls,
        span: tuple[int, int],
        dialog: DialogSession,
        voices: Voices,
        transcript: Transcript,
        session_language: str,
        mood: Callable[[], str | None],
    ) -> Foresight:
        """Start preparing the reply to ``transcript`` as a task on the running loop.

        Args:
            span: the ``[start, end)`` 16 kHz samples of the speculative decode it answers
                (a confirmed turn over the same span takes the reply).
            dialog, voices, transcript, session_language, mood: as :func:`prepare` takes
                them (``dialog`` is not changed: the reply is taken on a trial copy).

        Returns:
            The handle: :meth:`take` the reply once the turn is confirmed, or :meth:`drop` it.
        """
        task = asyncio.ensure_future(prepare(dialog, voices, transcript, session_language, mood))
        return cls(span, task)

    def drop(self) -> None:
        """The visitor spoke on (or the session moved on): stop and forget the reply."""
        if self.task.done():
            if not self.task.cancelled() and self.task.exception() is None:
                prepared = self.task.result()
                if prepared is not None and prepared.speech is not None:
                    closing = asyncio.ensure_future(prepared.speech.close())
                    closing.add_done_callback(_log_failure)
            elif not self.task.cancelled():
                _log_failure(self.task)
            return
        self.task.cancel()
        self.task.add_done_callback(_log_failure)

    async def take(self) -> Prepared | None:
        """The prepared reply for the confirmed turn (waits for it), or None. Cancelling the
        wait (the turn was interrupted) cancels the preparation.

        Raises:
            Exception: what preparing it raised other than the handled stops (the dialog's
                own failures, as the confirmed turn would have met them).
        """
        self.used = True
        return await self.task


def _log_failure(task: asyncio.Future) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("a reply prepared ahead of the endpoint failed: %s", task.exception())
