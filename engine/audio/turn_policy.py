"""When does a pause end the visitor's turn? Silence plus the turn model's verdict (sans-IO).

A fixed silence (``server.endpoint_silence_ms``, 500 ms) ends every turn today: a finished
question waits half a second for nothing, and a visitor who stops to find the next digits of a
card number is cut off when the pause runs longer. With a turn model
(:mod:`engine.audio.turn_model`), once a pause reaches ``check_after_ms`` the model reads the
turn, and the speculative final decode that the endpointer starts early in the pause says how
its words end (:func:`text_complete`: Whisper writes ``.``/``?``/``。``/``？`` at a finished
sentence and ``,`` or nothing at a clause pause). The policy (:func:`decide`) ends the turn
when both say *complete* — once the pause is longer than ``min_pause_ms`` (0.42 s: a pause of
up to 0.4 s inside a spoken sentence never ends it) —, waits ``incomplete_silence_ms`` when
both say *incomplete* or the transcript stops mid-sentence (a comma, a Chinese conjunction),
and otherwise — they disagree, or one of them has no answer (model off, slow or failed; a
decode without punctuation) — leaves it to the plain ``fallback_silence_ms``, as before. The
fallback waits for a speculative decode still running (up to the longest wait): that decode
is the final transcript, so ending earlier brings the reply no sooner, and a Mandarin decode
(0.3–0.6 s on 2 cores) outlasts the 500 ms timeout, which then cut every Mandarin visitor
pausing 0.5–0.6 s inside a sentence.
Pipecat's smart-turn pipeline works the same way (VAD stop 0.2 s, then the model, then a silence
timeout), and LiveKit's turn detector lengthens the wait when its model is unsure.

Why two witnesses and a floor: on its own, the model judged many clause pauses *complete* and
cut visitors off mid-sentence far more often than the 500 ms timeout
(``benchmarks/endpointing.py``: synthetic phrased questions with 250-400 ms inner pauses, cut
8/10 (espeak-ng) and 9/10 (Piper) at a 200 ms check against 1/10 and 2/10 for the timeout);
the transcript agreeing cuts fewer (6/10, 7/10) but still far too many, because Whisper puts
a full stop after a phrase it hears alone ("My card number is."). Ending only past 0.42 s
keeps the inner pauses of a sentence inside it; the model is still asked at 200 ms so both
answers are in by then.

:class:`SemanticEndpointer` puts the policy around the session's
:class:`~engine.server.endpointing.Endpointer` without changing it: it forwards every window,
passes the endpointer's decisions through, adds :class:`TurnCheckDue` (run the model on this
span, off the event loop) and ends the turn early — a :class:`TurnEnded` over the same span as
the speculative decode, so that decode is reused — when :meth:`SemanticEndpointer.verdict`
and :meth:`SemanticEndpointer.transcribed` bring their answers. Time is the 16 kHz stream
position passed in: no clocks, threads or I/O.

The live session (:mod:`engine.server.turn_taking`) builds it with :func:`semantic_endpointer`
(``policy_settings(config.vad, config.server.endpoint_silence_ms)``, ``model_on`` when
:func:`engine.audio.turn_model.load_turn_model` gave a model); on a :class:`TurnCheckDue` it runs
``model.check(buffer.slice(d.start_sample, d.end_sample))`` on an executor of its own (not the
ASR one: the speculative decode starts earlier and would delay the verdict past the timeout)
and hands ``verdict(d.check_id, check.probability, buffer.end)``'s decisions to the same
handler as the listener's; when the speculative decode of the pause returns it hands
``transcribed(span, text, buffer.end)``'s decisions there too.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from engine.audio.turn_text import text_complete, unmarked_chinese
from engine.audio.vad import SAMPLE_RATE_HZ, WINDOW_SAMPLES
from engine.server.endpointing import (
    Decision,
    Endpointer,
    EndpointSettings,
    Onset,
    SpeculateFinal,
    SpeechResumed,
    TurnEnded,
    ms_to_samples,
)

if TYPE_CHECKING:
    from engine.config import VADConfig

#: Seconds of turn audio the model reads (Smart Turn v3: the last 8 s).
CHECK_WINDOW_SAMPLES = 8 * SAMPLE_RATE_HZ


@dataclass(frozen=True, slots=True)
class TurnPolicySettings:
    """Tunables (milliseconds of silence after the last speech window, 16 kHz stream).

    Attributes:
        check_after_ms: the pause at which the model is asked (pipecat pairs Smart Turn with a
            0.2 s VAD stop); at least the endpointer's speculative point (the span is known).
        min_pause_ms: the shortest pause that ends a turn judged complete (0.42 s: the
            longest inner pause of read speech, 0.4 s, plus one 32 ms VAD window).
        complete_threshold: model probability at or above which the turn is complete (0.5, the
            model's own decision boundary).
        fallback_silence_ms: ends the turn when no verdict came (model off, slow or failed):
            the plain silence timeout, ``server.endpoint_silence_ms``.
        incomplete_silence_ms: ends a turn judged incomplete (default: the same as the
            fallback, so the model only ever shortens the wait).
        text_rule: the speculative transcript must agree with the model (:func:`text_complete`)
            before the turn ends early or waits longer; False: the model alone decides.
    """

    check_after_ms: float = 200.0
    min_pause_ms: float = 420.0
    complete_threshold: float = 0.5
    fallback_silence_ms: float = 500.0
    incomplete_silence_ms: float = 500.0
    text_rule: bool = True

    @property
    def longest_silence_ms(self) -> float:
        """The longest pause that can still belong to the turn."""
        return max(self.fallback_silence_ms, self.incomplete_silence_ms)


def policy_settings(vad: VADConfig, endpoint_silence_ms: float) -> TurnPolicySettings:
    """The policy from config: ``vad.turn_*`` and the silence timeout in force
    (``server.endpoint_silence_ms`` live, ``vad.endpoint_silence_ms`` for recorded turns)."""
    incomplete = vad.turn_incomplete_silence_ms
    return TurnPolicySettings(
        check_after_ms=vad.turn_check_ms,
        min_pause_ms=vad.turn_min_pause_ms,
        complete_threshold=vad.turn_complete_threshold,
        fallback_silence_ms=endpoint_silence_ms,
        incomplete_silence_ms=endpoint_silence_ms if incomplete is None else incomplete,
        text_rule=vad.turn_text_rule,
    )


Verdict = Literal["end", "wait"]


def decide(
    settings: TurnPolicySettings,
    silence_ms: float,
    probability: float | None,
    text_done: bool | None = None,
    *,
    text_pending: bool = False,
) -> Verdict:
    """End the turn now, or wait?

    With the text rule: both witnesses *complete* end the turn at the early point; a
    transcript that stops mid-sentence (``text_done`` False) waits ``incomplete_silence_ms``
    whatever the model says (the model alone judges many clause pauses complete, Whisper's
    comma or a Chinese conjunction is the surer sign); and while the pause's speculative
    decode is still running (``text_pending``) the plain timeout waits for it, up to the
    longest wait — that decode *is* the final transcript, so ending the turn before it
    returns brings the reply no sooner, and a slow decode (Mandarin on ``base``: 0.3–0.6 s)
    would otherwise leave every Mandarin turn to the 500 ms timeout and cut the visitor at
    any longer pause inside a sentence.

    Args:
        settings: the tunables.
        silence_ms: the pause so far (end of the last speech window → now), milliseconds.
        probability: the model's probability that the turn is complete, None without a verdict.
        text_done: :func:`text_complete` of the pause's speculative transcript, None while
            unknown (not decoded yet, or no punctuation); read only with ``text_rule``.
        text_pending: the pause's speculative decode has not come back yet (read only with
            ``text_rule``).

    Returns:
        ``"end"`` or ``"wait"``.
    """
    limit = settings.fallback_silence_ms
    if settings.text_rule and text_pending:
        limit = settings.longest_silence_ms
    if settings.text_rule and text_done is False:
        limit = settings.incomplete_silence_ms
    if probability is not None:
        complete = probability >= settings.complete_threshold
        if not settings.text_rule or text_done is complete:
            early = max(settings.check_after_ms, settings.min_pause_ms)
            limit = early if complete else settings.incomplete_silence_ms
    return "end" if silence_ms >= limit else "wait"


@dataclass(frozen=True, slots=True)
class TurnCheckDue:
    """Ask the turn model about ``[start_sample, end_sample)`` (the turn's last ≤ 8 s, trailing
    silence included) and hand the probability to :meth:`SemanticEndpointer.verdict` with
    ``check_id``; a verdict that comes after the visitor spoke again is ignored."""

    check_id: int
    start_sample: int
    end_sample: int


SemanticDecision = Decision | TurnCheckDue


class SemanticEndpointer:
    """The session's endpointer with the turn-model policy around it (sans-IO).

    Same surface as :class:`~engine.server.endpointing.Endpointer` (``feed``, ``reset``,
    ``in_speech``, ``settings``) plus :meth:`verdict`. The inner endpointer keeps onsets,
    partials, the speculative decode, barge-in and the turn-length cap; its own silence
    timeout must be at least ``policy.longest_silence_ms`` (it is the last resort).

    Args:
        endpointer: the inner endpointer.
        policy: the turn policy settings.
        model_on: False when no turn model runs (no checks; the fallback alone ends turns).

    Raises:
        ValueError: the inner endpointer would end turns before the policy's longest wait.
    """

    def __init__(
        self, endpointer: Endpointer, policy: TurnPolicySettings, *, model_on: bool = True
    ) -> None:
        if endpointer.settings.endpoint_silence_ms < policy.longest_silence_ms:
            raise ValueError(
                f"inner endpoint_silence_ms {endpointer.settings.endpoint_silence_ms} is shorter "
                f"than the policy's longest wait {policy.longest_silence_ms} ms"
            )
        self.inner = endpointer
        self.policy = policy
        self.model_on = model_on
        self._span: tuple[int, int] | None = None  # the speculative span of this pause
        self._check_id = 0
        self._asked = False
        self._probability: float | None = None
        self._text_done: bool | None = None
        self._text_pending = False  # the speculative decode of this pause has not come back
        self._unmarked_zh = False  # its text is Chinese with no word or mark that ends it

    @property
    def settings(self) -> EndpointSettings:
        """The inner endpointer's settings (threshold, pad …)."""
        return self.inner.settings

    @property
    def in_speech(self) -> bool:
        """A turn is in progress (speech confirmed and not yet ended)."""
        return self.inner.in_speech

    def feed(
        self,
        prob: float,
        window_start: int,
        *,
        avatar_busy: bool = False,
        echo: bool = False,
        hold_echo: bool | None = None,
    ) -> list[SemanticDecision]:
        """Advance by one 512-sample window (arguments as ``Endpointer.feed``).

        Returns:
            The inner decisions, then a :class:`TurnCheckDue` when the pause reaches
            ``check_after_ms``, or a :class:`TurnEnded` when the policy ends the turn.
        """
        out: list[SemanticDecision] = []
        decisions = self.inner.feed(
            prob, window_start, avatar_busy=avatar_busy, echo=echo, hold_echo=hold_echo
        )
        for decision in decisions:
            out.append(decision)
            if isinstance(decision, SpeculateFinal):
                self._span = (decision.start_sample, decision.end_sample)
                self._text_pending = self.model_on  # model off: the timeout alone decides
            elif isinstance(decision, Onset | SpeechResumed | TurnEnded):
                self._forget()
        if self._span is None or not self.inner.in_speech:
            return out
        now = window_start + WINDOW_SAMPLES
        silence_ms = self._silence_ms(now)
        if self.model_on and not self._asked and silence_ms >= self.policy.check_after_ms:
            self._asked = True
            self._check_id += 1
            start = max(self._span[0], now - CHECK_WINDOW_SAMPLES)
            out.append(TurnCheckDue(self._check_id, start, now))
        out.extend(self._maybe_end(now))
        return out

    def verdict(self, check_id: int, probability: float, now_sample: int) -> list[Decision]:
        """The model's answer to a :class:`TurnCheckDue`.

        Args:
            check_id: the check answered.
            probability: probability that the turn is complete, in [0, 1].
            now_sample: the stream position the verdict arrived at (the last window fed).

        Returns:
            ``[TurnEnded]`` when the turn ends now; else nothing (a stale verdict — speech
            resumed or the turn already ended — is dropped).
        """
        if check_id != self._check_id or self._span is None or not self.inner.in_speech:
            return []
        self._probability = probability
        return self._maybe_end(now_sample)

    def transcribed(self, span: tuple[int, int], text: str, now_sample: int) -> list[Decision]:
        """The speculative decode of a pause came back.

        Args:
            span: the ``[start, end)`` samples it decoded (the :class:`SpeculateFinal`'s).
            text: its transcript; ``""`` when the decode failed (no evidence, nothing left
                to wait for).
            now_sample: the stream position it arrived at (the last window fed).

        Returns:
            ``[TurnEnded]`` when the turn ends now; else nothing (a stale decode — another
            pause's, or after the turn ended — is dropped; so is any while no model runs:
            the silence timeout alone ends turns then).
        """
        if span != self._span or not self.inner.in_speech or not self.model_on:
            return []
        self._text_done = text_complete(text)
        self._text_pending = False
        self._unmarked_zh = self._text_done is None and unmarked_chinese(text)
        return self._maybe_end(now_sample)

    def expects_end(self, span: tuple[int, int]) -> bool:
        """The turn over ``span`` (a :class:`SpeculateFinal`'s) is still open and its
        transcript does not stop mid-sentence: a reply may be prepared on the pause's
        speculative transcript (:mod:`engine.foresight`).

        The model's verdict is not asked. A prepared reply is held — never heard unless the
        turn ends over the same audio — and the turns a verdict of *incomplete* keeps open
        are the ones whose wait it fills: a finished question the model doubts ends at the
        500 ms timeout (English decodes are back ~0.37 s after the end of speech), a Chinese
        sentence with no final mark waits 900 ms (its decode is back at ~0.53 s). A
        transcript stopping on a comma or on a word that needs a continuation is the surer
        sign that the visitor goes on: no reply is prepared on it."""
        return span == self._span and self.inner.in_speech and self._text_done is not False

    def reset(self) -> None:
        """Forget any speech in progress (as ``Endpointer.reset``)."""
        self.inner.reset()
        self._forget()

    def _silence_ms(self, now_sample: int) -> float:
        assert self._span is not None
        speech_end = self._span[1] - ms_to_samples(self.inner.settings.pad_ms)
        return (now_sample - speech_end) * 1000.0 / SAMPLE_RATE_HZ

    def _maybe_end(self, now_sample: int) -> list[Decision]:
        if self._span is None:
            return []
        silence_ms = self._silence_ms(now_sample)
        verdict = decide(
            self.policy,
            silence_ms,
            self._probability,
            self._text_evidence(),
            text_pending=self._text_pending,
        )
        if verdict == "wait":
            return []
        start, end = self._span
        pad = ms_to_samples(self.inner.settings.pad_ms)
        self.inner.reset()
        self._forget()
        return [TurnEnded(start, end, end - pad)]

    def _text_evidence(self) -> bool | None:
        """:func:`text_complete` of the pause's transcript, except that a Chinese one with no
        final mark or telling word counts as unfinished when the model says so: Whisper
        leaves the last mark out of finished and unfinished Chinese sentences alike, so its
        absence is no evidence against the model (a visitor's "我想问…" waits the longer
        wait). The other way round it stays no evidence: a Chinese clause the model calls
        complete still needs the transcript's agreement to end early."""
        if not self._unmarked_zh or self._probability is None:
            return self._text_done
        return False if self._probability < self.policy.complete_threshold else None

    def _forget(self) -> None:
        self._span, self._asked, self._probability, self._text_done = None, False, None, None
        self._text_pending = self._unmarked_zh = False
        self._check_id += 1  # a verdict still in flight is now stale


def semantic_endpointer(
    settings: EndpointSettings, policy: TurnPolicySettings, *, model_on: bool = True
) -> SemanticEndpointer:
    """A :class:`SemanticEndpointer` over a fresh inner endpointer whose silence timeout is
    raised to ``policy.longest_silence_ms`` when shorter (the policy ends turns, the inner
    timeout is only the last resort).

    Args:
        settings: the session's endpointing settings.
        policy: the turn policy (:func:`policy_settings`).
        model_on: a turn model runs (else no :class:`TurnCheckDue` is emitted).
    """
    longest = max(settings.endpoint_silence_ms, policy.longest_silence_ms)
    inner = Endpointer(replace(settings, endpoint_silence_ms=longest))
    return SemanticEndpointer(inner, policy, model_on=model_on)
