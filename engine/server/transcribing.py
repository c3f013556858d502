"""Whisper decodes for one live session: partial, speculative and final, on the ASR executor.

* :class:`InflightCounter` — the decodes in flight in the whole process (sessions share it):
  partials back off while any runs, and a final one makes running partials give way.
* :class:`Transcriber` — schedules one session's decodes (see its docstring).
* :class:`SessionDecoder` — the blocking decode in the session's spoken language, and the
  early language detection under ``auto``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field

import numpy as np

from engine.asr.whisper import DecodeControl, Transcript
from engine.hearing import Hearing

log = logging.getLogger(__name__)

#: Decodes float32 16 kHz audio into a transcript (blocking; run on the ASR executor); the
#: control carries the abandon flag and the time the model was free.
DecodeFn = Callable[[np.ndarray, DecodeControl], Transcript]


@dataclass(slots=True)
class InflightCounter:
    """Decodes running or queued in this process, shared by sessions: partials back off while
    any runs, and a final decode makes running partials give way (:class:`Transcriber`)."""

    count: int = 0
    partials: set[DecodeControl] = field(default_factory=set)

    @property
    def finals(self) -> int:
        """Speculative or final decodes in flight (the critical path of a reply)."""
        return self.count - len(self.partials)

    def make_way(self) -> None:
        """Ask every partial decode in flight to stop at its next check."""
        for control in self.partials:
            control.abandon.set()


@dataclass(slots=True)
class Decode:
    """One decode on the ASR executor. Times are loop seconds (``time.monotonic``).

    Attributes:
        future: resolves to the transcript (raises DecodeAbandoned when given up).
        control: its abandon flag; ``control.started_s`` is when it got the model.
        submitted_s: when it was asked for.
        ended_s: when it finished (None while running).
    """

    future: asyncio.Future[Transcript]
    control: DecodeControl
    submitted_s: float
    ended_s: float | None = None

    def abandon(self) -> None:
        """Give the decode up: it stops at its next check (model lock, encoder → decoder)."""
        self.control.abandon.set()

    def timings_ms(self, t_eos_s: float) -> dict[str, float | None]:
        """``asr_start_ms`` (end of speech → asked for), ``asr_wait_ms`` (waiting for the
        model behind other decodes) and ``asr_decode_ms`` (its own run), in milliseconds."""
        started, ended = self.control.started_s, self.ended_s

        def ms(a: float | None, b: float | None) -> float | None:
            return None if a is None or b is None else round((b - a) * 1000.0, 1)

        return {
            "asr_start_ms": ms(t_eos_s, self.submitted_s),
            "asr_wait_ms": ms(self.submitted_s, started),
            "asr_decode_ms": ms(started, ended),
        }


class Transcriber:
    """Partial, speculative and final decodes for one session.

    Partials are optional and give way: one starts only when no decode is in flight anywhere
    in the process and — from a turn's second partial on — the CPU is not behind, and a
    speculative or final decode asks running partials to stop at their next check (the model
    lock, or between encoder and decoder), so a partial delays the final by at most one encoder
    pass. A turn's first partial runs on a busy machine too: the visitor sees at once that they
    are heard (where the browser shares the kiosk's two cores, the CPU is nearly always busy). A speculative decode made
    stale by the visitor speaking again is abandoned the same way.

    Args:
        decode: the blocking decode (language already chosen by the session).
        executor: the ASR executor (shared; the model serialises decodes with its lock).
        inflight: the process-wide record of decodes in flight.
        cpu_behind: whether the machine is too busy for optional work (partials).
    """

    def __init__(
        self,
        decode: DecodeFn,
        executor: Executor,
        inflight: InflightCounter,
        cpu_behind: Callable[[], bool] = lambda: False,
    ) -> None:
        self._decode = decode
        self._decoder = decode if isinstance(decode, SessionDecoder) else None
        self._cpu_behind = cpu_behind
        self._executor = executor
        self._inflight = inflight
        self._speculative: tuple[tuple[int, int], Decode] | None = None
        self._partials_in_turn = 0

    def turn_started(self) -> None:
        """The visitor began a turn: its first partial may run on a busy machine."""
        self._partials_in_turn = 0

    def _submit(self, audio: np.ndarray, *, partial: bool = False) -> Decode:
        loop = asyncio.get_running_loop()
        control = DecodeControl(partial=partial)
        self._inflight.count += 1
        if partial:
            self._inflight.partials.add(control)
        else:
            self._inflight.make_way()
        job = Decode(
            future=loop.run_in_executor(self._executor, self._decode, audio, control),
            control=control,
            submitted_s=loop.time(),
        )

        def done(f: asyncio.Future[Transcript]) -> None:
            job.ended_s = loop.time()
            if not f.cancelled():
                f.exception()  # an abandoned decode's DecodeAbandoned needs no reader
            self._inflight.count -= 1
            self._inflight.partials.discard(control)

        job.future.add_done_callback(done)
        return job

    def partial(self, audio: np.ndarray) -> asyncio.Future[Transcript] | None:
        """Start a partial decode, or None when the CPU is behind: another decode is in flight
        anywhere in the process, or — after the turn's first partial — the machine is busy
        (:mod:`engine.server.load`)."""
        if self._inflight.count > 0 or (self._partials_in_turn and self._cpu_behind()):
            return None
        self._partials_in_turn += 1
        return self._submit(audio, partial=True).future

    def speculate(self, span: tuple[int, int], audio: np.ndarray) -> Decode:
        """Start the final decode of ``span`` during the endpoint wait (returned)."""
        decode = self._submit(audio)
        self._speculative = (span, decode)
        return decode

    def resumed(self) -> None:
        """The visitor went on speaking: the speculative decode is given up."""
        if self._speculative is not None:
            self._speculative[1].abandon()
        self._speculative = None

    def detection_due(self, speech_ms: float) -> bool:
        """Should the session's language be detected now (``speech_ms`` of the turn so far)?
        True at most once until the detection answers; never when the language is known (or
        the decode is not a :class:`SessionDecoder`, which knows no language memory)."""
        return self._decoder is not None and self._decoder.spoken.detection_due(speech_ms)

    def detect(self, audio: np.ndarray) -> asyncio.Future[dict[str, float]]:
        """Detect the visitor's language on float32 16 kHz ``audio`` (the turn's first
        seconds) on the ASR executor; the result is noted on the loop
        (:meth:`engine.asr.language.SpokenLanguage.detected`). A failed detection is logged
        and forgotten: the final decode then finds the language itself.

        Raises:
            RuntimeError: the decode is not a :class:`SessionDecoder` (ask
                :meth:`detection_due` first).
        """
        if self._decoder is None:
            raise RuntimeError("language detection needs a SessionDecoder")
        loop = asyncio.get_running_loop()
        self._inflight.count += 1
        spoken = self._decoder.spoken
        future = loop.run_in_executor(self._executor, self._decoder.detect, audio)

        def done(f: asyncio.Future[dict[str, float]]) -> None:
            self._inflight.count -= 1
            if f.cancelled():
                return
            if f.exception() is not None:
                log.warning("language detection failed: %s", f.exception())
                spoken.detected({})
                return
            spoken.detected(f.result())

        future.add_done_callback(done)
        return future

    def final(self, span: tuple[int, int], audio: np.ndarray) -> Decode:
        """The final decode of ``span``: the speculative one when it covers the same audio."""
        spec, self._speculative = self._speculative, None
        if spec is not None and spec[0] == span:
            return spec[1]
        if spec is not None:
            spec[1].abandon()
        return self._submit(audio)


class SessionDecoder:
    """The blocking decode of one session, in the language it speaks (a :data:`DecodeFn`).

    The session's :class:`~engine.asr.language.SpokenLanguage` keeps the language in force: the
    configured one, or under ``auto`` the one detected and kept for the session (a decode that
    comes back empty or unsure forgets it, so a visitor who switches is detected again).

    Args:
        hearing: the process's ASR models.
        language: the session's language setting (``auto``, ``en``, ``zh``).
        awaited: what the dialog's question waits for (a slot type such as ``digits``, None
            for no question), read at each decode (a live session's
            :meth:`dialog.session.DialogSession.awaited_answer`); default: never a question.
    """

    def __init__(
        self,
        hearing: Hearing,
        language: str,
        awaited: Callable[[], str | None] = lambda: None,
    ) -> None:
        self._hearing = hearing
        self.spoken = hearing.spoken_language(language)
        #: What the dialog's question waits for (a slot type, None for no question), read at
        #: each decode: a live session's is
        #: :meth:`dialog.session.DialogSession.awaited_answer`.
        self.awaited = awaited

    def set_language(self, language: str) -> None:
        """The visitor switched the language setting (``auto``, ``en``, ``zh``)."""
        self.spoken = self._hearing.spoken_language(language)

    def detect(self, audio: np.ndarray) -> dict[str, float]:
        """Which configured language float32 16 kHz ``audio`` is in (blocking; the ASR
        executor): :meth:`engine.hearing.Hearing.detect_language`.

        Raises:
            engine.asr.whisper.ASRError: model missing or detection failure.
        """
        return self._hearing.detect_language(audio)

    def __call__(self, audio: np.ndarray, control: DecodeControl) -> Transcript:
        """Decode float32 (n,) 16 kHz ``audio`` on an ASR worker thread.

        Raises:
            engine.asr.whisper.ASRError: model missing or decode failure.
            engine.asr.whisper.DecodeAbandoned: ``control.abandon`` was set.
        """
        return self._hearing.transcribe_for(self.spoken, audio, control, self.awaited())
