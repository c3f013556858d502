"""Streaming endpointing and barge-in decisions over Silero VAD windows (sans-IO).

The realtime server feeds one Silero probability per 512-sample window of the visitor's 16 kHz
stream, with the window's sample position, and this core says what to do: a confirmed onset
(a barge-in when the avatar is talking), a partial decode, a *speculative* final decode early
in the endpoint wait, speech resuming (that speculation is stale), and the end of the turn. No
clocks, threads or I/O: time is the sample position passed in (LiveKit's
``voice/endpointing.py`` and Home Assistant's ``VoiceCommandSegmenter`` pattern).

Hysteresis follows :class:`engine.audio.vad.SpeechSegmenter`: a window is speech at
``prob >= threshold`` to start and ``prob >= threshold - 0.15`` to continue (Silero's own
``get_speech_timestamps`` uses the same 0.15). Windows the echo guard
(:mod:`engine.server.echo`) marks as the avatar's own voice never count as speech.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from engine.audio.vad import SAMPLE_RATE_HZ, WINDOW_SAMPLES

#: Hysteresis between onset and continuation thresholds (Silero ``get_speech_timestamps``).
HYSTERESIS = 0.15
#: Quiet (ms) that releases a barge-in hold (:class:`OnsetDropped`): longer than the dips
#: between a visitor's words, so a visitor talking over the avatar is not let through to
#: hear it again mid-sentence (released after 128 ms, the reply came back 0.8 s into a
#: visitor's speech, measured at the client); a cough costs the reply this much more silence.
HOLD_RELEASE_MS = 256.0


@dataclass(frozen=True, slots=True)
class EndpointSettings:
    """Tunables, all durations in milliseconds of the 16 kHz input stream.

    Attributes:
        threshold: Silero onset probability (Silero default 0.5).
        min_speech_ms: onset must be sustained this long when the avatar is silent.
        bargein_min_speech_ms: onset must be sustained this long while the avatar talks.
        bargein_hold_ms: while the avatar talks, this much speech that does not sound like
            its own voice already *holds* the reply (:class:`OnsetPending`: its audio is
            silenced, not dropped) until the onset is confirmed (barge-in) or the run ends
            (:class:`OnsetDropped`: it plays on); 0 disables. The visitor hears the avatar
            stop ~``bargein_hold_ms`` after starting to talk, not after the confirmation.
        endpoint_silence_ms: silence that ends the turn.
        speculative_after_ms: silence after which the final decode starts early. It may be
            shorter than ``pad_ms``: the decode then reads the audio that has arrived (the
            speech and this much silence after it), and a turn that ends without more speech
            reuses it as the final transcript.
        partial_interval_ms: stream time between partial decodes while speaking.
        pad_ms: audio kept around the speech for ASR.
        max_turn_ms: a turn of this much continuous speech is ended and answered
            (``vad.max_turn_s``; Whisper decodes 30 s windows). After such a cut, an onset
            needs ``endpoint_silence_ms`` of silence first, so a hall that never falls quiet
            cannot barge into the answer it was given.
    """

    threshold: float = 0.5
    min_speech_ms: float = 200.0
    bargein_min_speech_ms: float = 200.0
    bargein_hold_ms: float = 64.0
    endpoint_silence_ms: float = 500.0
    speculative_after_ms: float = 150.0
    partial_interval_ms: float = 1200.0
    pad_ms: float = 150.0
    max_turn_ms: float = 20_000.0


@dataclass(frozen=True, slots=True)
class Onset:
    """Speech confirmed. ``start_sample``: first sample of the sustained run (16 kHz stream);
    ``barge_in``: the avatar was talking (or about to) when it was confirmed."""

    start_sample: int
    barge_in: bool


@dataclass(frozen=True, slots=True)
class OnsetPending:
    """The avatar is talking and ``bargein_hold_ms`` of speech that is not its own voice began
    at ``start_sample``: hold the reply (silence it, keep its place) until :class:`Onset`
    confirms the barge-in or :class:`OnsetDropped` says it was not one."""

    start_sample: int


@dataclass(frozen=True, slots=True)
class OnsetDropped:
    """The speech behind an :class:`OnsetPending` stopped before it was confirmed (a cough,
    a door): the reply plays on."""


@dataclass(frozen=True, slots=True)
class PartialDue:
    """Decode ``[start_sample, end_sample)`` for a partial transcript (skip it when busy).

    ``after_pause``: it fell due on the first window of speech after a pause long enough for
    a speculative decode (the interval ran on through the pause). Such a partial would only
    caption the words before the pause, and it is the one most likely to still hold the model
    when the visitor stops after a short tail: the final decode then waited 140-214 ms for
    it. The session runs the language detection it may carry but not the decode; the next
    partial is due ``partial_interval_ms`` later.
    """

    start_sample: int
    end_sample: int
    after_pause: bool = False


@dataclass(frozen=True, slots=True)
class SpeculateFinal:
    """Silence began: decode ``[start_sample, end_sample)`` now — the part of it that has
    arrived, when ``speculative_after_ms`` is shorter than the pad —; it is the final
    transcript if no :class:`SpeechResumed` comes before :class:`TurnEnded`."""

    start_sample: int
    end_sample: int


@dataclass(frozen=True, slots=True)
class SpeechResumed:
    """The visitor spoke again during the endpoint wait: the speculative decode is stale."""


@dataclass(frozen=True, slots=True)
class TurnEnded:
    """End of turn confirmed: the final transcript is the decode of ``[start_sample,
    end_sample)``; ``speech_end_sample`` is the end of the last speech window (no pad);
    ``capped``: the turn reached ``max_turn_ms`` of continuous speech."""

    start_sample: int
    end_sample: int
    speech_end_sample: int
    capped: bool = False


Decision = (
    Onset | OnsetPending | OnsetDropped | PartialDue | SpeculateFinal | SpeechResumed | TurnEnded
)


class StreamEndpointer(Protocol):
    """What the listener feeds: :class:`Endpointer`, or the turn policy around it
    (:class:`engine.audio.turn_policy.SemanticEndpointer`, whose decisions add a turn check)."""

    @property
    def settings(self) -> EndpointSettings:
        """The tunables (the VAD threshold is read per window)."""
        ...

    @property
    def in_speech(self) -> bool:
        """A turn is in progress."""
        ...

    def feed(
        self,
        prob: float,
        window_start: int,
        *,
        avatar_busy: bool = False,
        echo: bool = False,
        hold_echo: bool | None = None,
    ) -> list:
        """Advance by one 512-sample window; the decisions it made, in order."""
        ...

    def reset(self) -> None:
        """Forget any speech in progress."""
        ...


def ms_to_samples(ms: float) -> int:
    """Milliseconds → 16 kHz samples (rounded)."""
    return round(ms * SAMPLE_RATE_HZ / 1000.0)


@dataclass(slots=True)
class Endpointer:
    """One visitor stream's endpointing state (one instance per session; sans-IO).

    Args:
        settings: the tunables.
    """

    settings: EndpointSettings = field(default_factory=EndpointSettings)
    in_speech: bool = False
    _run_start: int | None = None
    _turn_start: int = 0
    _speech_end: int = 0
    _silence_start: int | None = None
    _speculated: bool = False
    _partial_mark: int = 0
    _echo_flags: list[bool] = field(default_factory=list, repr=False)
    _quiet_needed: int = 0  # samples of silence an onset needs first (after a capped turn)
    _quiet_start: int | None = None
    _holding: bool = False  # an OnsetPending awaits its Onset or OnsetDropped
    _hold_quiet: int = 0  # samples below the threshold since the held run's last speech
    _run_speech: int = 0  # samples of speech windows in the current run (dips not counted)
    _hold_flags: list[bool] = field(default_factory=list, repr=False)

    def feed(
        self,
        prob: float,
        window_start: int,
        *,
        avatar_busy: bool = False,
        echo: bool = False,
        hold_echo: bool | None = None,
    ) -> list[Decision]:
        """Advance by one 512-sample window.

        Args:
            prob: Silero speech probability of the window, in [0, 1].
            window_start: sample position of the window's first sample (16 kHz stream).
            avatar_busy: a reply is playing or being prepared (onsets are barge-ins and need
                ``bargein_min_speech_ms``).
            echo: the echo guard judged this window to be the avatar's own voice (no onset).
            hold_echo: the same verdict for the hold of the reply
                (:attr:`engine.server.echo.EchoVerdict.onset_echo`, which a visitor's first
                words do not fool); None: ``echo``.

        Returns:
            The decisions this window produced, in order (usually none).
        """
        s = self.settings
        end = window_start + WINDOW_SAMPLES
        if not self.in_speech:
            held = echo if hold_echo is None else hold_echo
            return self._idle(prob, window_start, end, avatar_busy, echo, held)
        if echo:
            prob = 0.0
        out: list[Decision] = []
        if prob >= s.threshold - HYSTERESIS:
            resumed = self._speculated
            if resumed:
                out.append(SpeechResumed())
            self._silence_start, self._speculated = None, False
            self._speech_end = end
            if end - self._partial_mark >= ms_to_samples(s.partial_interval_ms):
                self._partial_mark = end
                out.append(PartialDue(self._padded_start(), end, after_pause=resumed))
            if end - self._turn_start >= ms_to_samples(s.max_turn_ms):
                out.append(self._end(capped=True))
                self._quiet_needed = ms_to_samples(s.endpoint_silence_ms)
            return out
        if self._silence_start is None:
            self._silence_start = window_start
        silent = end - self._silence_start
        if not self._speculated and silent >= ms_to_samples(s.speculative_after_ms):
            self._speculated = True
            start, stop = self._segment()
            out.append(SpeculateFinal(start, stop))
        if silent >= ms_to_samples(s.endpoint_silence_ms):
            out.append(self._end())
        return out

    def _idle(
        self, prob: float, start: int, end: int, avatar_busy: bool, echo: bool, hold_echo: bool
    ) -> list[Decision]:
        # A run of speech windows confirms an onset once it lasts the required time and at most
        # a third of its last windows sound like the avatar's own voice: an echo run never
        # confirms, a visitor talking over the avatar does even when a few windows look alike.
        s = self.settings
        if self._quiet_needed > 0:  # after a capped turn: a pause before the next onset
            if prob >= s.threshold - HYSTERESIS:
                self._quiet_start = None
                return []
            self._quiet_start = start if self._quiet_start is None else self._quiet_start
            if end - self._quiet_start >= self._quiet_needed:
                self._quiet_needed, self._quiet_start = 0, None
            return []
        if prob < s.threshold:
            if self._holding:  # a dip between words: a held run goes on until the hold drops
                dropped = self._drop_hold()
                if dropped:
                    self._forget_run()
                return dropped
            self._forget_run()
            return []
        self._hold_quiet = 0
        if self._run_start is None:
            self._run_start = start
        self._run_speech += WINDOW_SAMPLES
        need = s.bargein_min_speech_ms if avatar_busy else s.min_speech_ms
        k = max(1, -(-ms_to_samples(need) // WINDOW_SAMPLES))  # windows in ``need`` (ceil)
        self._echo_flags.append(echo)
        del self._echo_flags[:-k]
        self._hold_flags.append(hold_echo)
        del self._hold_flags[:-k]
        if self._run_speech < ms_to_samples(need) or sum(self._echo_flags) > k // 3:
            return self._maybe_hold(avatar_busy, end)
        self._holding, self._hold_quiet, self._run_speech = False, 0, 0
        onset = max(self._run_start, end - k * WINDOW_SAMPLES)
        self.in_speech = True
        self._turn_start = onset
        self._speech_end = end
        self._partial_mark = end
        self._silence_start, self._speculated = None, False
        self._echo_flags.clear()
        self._hold_flags.clear()
        return [Onset(onset, barge_in=avatar_busy)]

    def _maybe_hold(self, avatar_busy: bool, end: int) -> list[Decision]:
        """An :class:`OnsetPending` once the run's last ``bargein_hold_ms`` of windows are all
        speech the echo guard did not take for the avatar's own voice (``hold_echo``)."""
        hold = ms_to_samples(self.settings.bargein_hold_ms)
        if not avatar_busy or self._holding or hold <= 0:
            return []
        n = max(1, -(-hold // WINDOW_SAMPLES))
        recent = self._hold_flags[-n:]
        if len(recent) < n or any(recent) or self._run_start is None:
            return []
        self._holding = True
        return [OnsetPending(max(self._run_start, end - n * WINDOW_SAMPLES))]

    def _drop_hold(self) -> list[Decision]:
        """:class:`OnsetDropped` once a held run has been quiet for :data:`HOLD_RELEASE_MS`
        (a dip between two words keeps the hold, and the run: its speech windows add up)."""
        if not self._holding:
            return []
        self._hold_quiet += WINDOW_SAMPLES
        if self._hold_quiet < ms_to_samples(HOLD_RELEASE_MS):
            return []
        self._holding, self._hold_quiet, self._run_speech = False, 0, 0
        return [OnsetDropped()]

    def _forget_run(self) -> None:
        self._run_start, self._run_speech = None, 0
        self._echo_flags.clear()
        self._hold_flags.clear()

    def _padded_start(self) -> int:
        return max(0, self._turn_start - ms_to_samples(self.settings.pad_ms))

    def _segment(self) -> tuple[int, int]:
        return self._padded_start(), self._speech_end + ms_to_samples(self.settings.pad_ms)

    def _end(self, *, capped: bool = False) -> TurnEnded:
        start, stop = self._segment()
        self.in_speech = False
        self._run_start = None
        self._silence_start, self._speculated = None, False
        return TurnEnded(start, stop, self._speech_end, capped)

    def reset(self) -> None:
        """Forget any speech in progress (e.g. after a text turn replaced it)."""
        self.in_speech = False
        self._forget_run()
        self._silence_start, self._speculated = None, False
        self._quiet_needed, self._quiet_start = 0, None
        self._holding, self._hold_quiet, self._run_speech = False, 0, 0
