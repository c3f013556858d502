"""Streaming hearing for one session: inbound Opus → 16 kHz mono → Silero VAD → endpointing,
with partial, speculative and final Whisper decodes (the adapters around the sans-IO cores).

* :class:`StreamBuffer` keeps the last seconds of the visitor's 16 kHz audio in memory (never on
  disk), addressed by absolute stream sample.
* :class:`Listener` pulls the aiortc track, resamples (FFmpeg swresample via PyAV), runs VAD on
  the inference executor (state carried between 32 ms windows), asks the echo guard about
  speech-like windows, feeds :class:`~engine.server.endpointing.Endpointer` and hands each
  decision to the session with the loop time the window ended.
* :class:`Transcriber` runs decodes on the ASR executor: partials only when no other decode is
  in flight anywhere in the process (the CPU is behind otherwise) and giving way to any final
  one, the speculative final early in the endpoint wait, reused when the turn ends with the
  same audio span.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from engine.asr.whisper import DecodeControl, Transcript
from engine.audio.vad import SAMPLE_RATE_HZ, WINDOW_SAMPLES, SileroVAD
from engine.server.echo import EchoGuard
from engine.server.endpointing import Decision, Endpointer

log = logging.getLogger(__name__)

#: Seconds of visitor audio kept in memory (a turn is cut at 25 s by the endpointer).
KEEP_S = 32.0
#: Re-anchor the arrival clock when frames arrive this much later than their position says
#: (seconds); earlier arrivals also re-anchor the latency clock (:meth:`Listener.earliest_time_of`).
REANCHOR_S = 0.2


@dataclass(slots=True)
class StreamBuffer:
    """The most recent ``KEEP_S`` seconds of a 16 kHz float32 stream, by absolute position."""

    keep: int = int(KEEP_S * SAMPLE_RATE_HZ)
    _data: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32), repr=False)
    _base: int = 0  # absolute position of _data[0]

    @property
    def end(self) -> int:
        """Absolute position after the last sample."""
        return self._base + self._data.size

    def append(self, samples: np.ndarray) -> None:
        """Add float32 (n,) samples at the end, forgetting what is older than ``keep``."""
        self._data = np.concatenate([self._data, samples.astype(np.float32, copy=False)])
        extra = self._data.size - self.keep
        if extra > 0:
            self._data = self._data[extra:]
            self._base += extra

    def slice(self, start: int, end: int) -> np.ndarray:
        """Samples ``[start, end)`` (clipped to what is kept), float32 copy."""
        a = max(0, start - self._base)
        b = max(a, min(self._data.size, end - self._base))
        return self._data[a:b].copy()

    def wipe(self) -> None:
        """Forget everything (end of session)."""
        self._data = np.zeros(0, np.float32)


#: Called with each decision and the loop time (seconds) its window ended.
DecisionSink = Callable[[Decision, float], None]


class Listener:
    """The inbound side of one session.

    Args:
        endpointer: the session's endpointing core.
        echo: the session's echo guard (None: off).
        vad_executor: where Silero runs (never the event loop).
        avatar_busy: whether a reply is playing or being prepared, asked per window.
        on_decision: receives the endpointer's decisions.
    """

    def __init__(
        self,
        endpointer: Endpointer,
        echo: EchoGuard | None,
        vad_executor: Executor,
        avatar_busy: Callable[[], bool],
        on_decision: DecisionSink,
    ) -> None:
        self.endpointer = endpointer
        self.echo = echo
        self.buffer = StreamBuffer()
        self._executor = vad_executor
        self._busy = avatar_busy
        self._sink = on_decision
        self._vad: SileroVAD | None = None
        self._resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE_HZ)
        self._anchor_s: float | None = None  # loop time of stream sample 0
        self._earliest_s: float | None = None  # the same from the earliest arrivals
        self._vad_pos = 0
        self.vad_ms = 0.0  # VAD compute time since the last reset (ms)

    def time_of(self, sample: int) -> float:
        """Loop time (seconds) at which stream ``sample`` arrived (estimated; steady, for
        aligning the echo guard's envelopes)."""
        return (self._anchor_s or 0.0) + sample / SAMPLE_RATE_HZ

    def earliest_time_of(self, sample: int) -> float:
        """Loop time (seconds) at which stream ``sample`` arrived or, after the server fell
        behind, would have arrived on time: the start of the latencies it reports (end of
        speech → transcript, reply, first audio; barge-in onset → audio flushed)."""
        return (self._earliest_s or 0.0) + sample / SAMPLE_RATE_HZ

    async def run(self, track: MediaStreamTrack) -> None:
        """Consume ``track`` until it ends (returns) — raises only on internal failures."""
        loop = asyncio.get_running_loop()
        self._vad = await loop.run_in_executor(self._executor, SileroVAD)
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            now = loop.time()
            samples = self._to_16k(frame)
            if samples.size == 0:
                continue
            start = self.buffer.end
            anchor = now - (start + samples.size) / SAMPLE_RATE_HZ
            if self._anchor_s is None or anchor - self._anchor_s > REANCHOR_S:
                self._anchor_s = anchor
            # The latency clock follows the earliest arrivals, so a stall that delayed frames
            # (and moved the arrival clock later) does not shorten the reported latencies.
            if self._earliest_s is None or not 0.0 <= anchor - self._earliest_s <= REANCHOR_S:
                self._earliest_s = anchor
            self.buffer.append(samples)
            if self.echo is not None:
                self.echo.note_inbound(self.time_of(start), samples, SAMPLE_RATE_HZ)
            probs = await loop.run_in_executor(self._executor, self._score, samples)
            self._feed(probs)

    def _score(self, samples: np.ndarray) -> np.ndarray:
        assert self._vad is not None
        t0 = time.perf_counter()
        probs = self._vad.process(samples)
        self.vad_ms += (time.perf_counter() - t0) * 1000.0
        return probs

    def _feed(self, probs: np.ndarray) -> None:
        threshold = self.endpointer.settings.threshold
        for prob in probs:
            window = self._vad_pos
            self._vad_pos += WINDOW_SAMPLES
            t_end = self.time_of(self._vad_pos)
            echo = (
                self.echo is not None
                and float(prob) >= threshold
                and not self.endpointer.in_speech
                and self.echo.is_echo(t_end)
            )
            for decision in self.endpointer.feed(
                float(prob), window, avatar_busy=self._busy(), echo=echo
            ):
                self._sink(decision, t_end)

    def _to_16k(self, frame: av.AudioFrame) -> np.ndarray:
        out = [f.to_ndarray().reshape(-1) for f in self._resampler.resample(frame)]
        return np.concatenate(out).astype(np.float32) if out else np.zeros(0, np.float32)

    def close(self) -> None:
        """Wipe the kept audio and the VAD state."""
        self.buffer.wipe()
        if self._vad is not None:
            self._vad.reset()


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
    in the process and the CPU is not behind, and a speculative or final decode asks running
    partials to stop at their next check (the model lock, or between encoder and decoder),
    so a partial delays the final by at most one encoder pass. A speculative decode made
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
        self._cpu_behind = cpu_behind
        self._executor = executor
        self._inflight = inflight
        self._speculative: tuple[tuple[int, int], Decode] | None = None

    def _submit(self, audio: np.ndarray, *, partial: bool = False) -> Decode:
        loop = asyncio.get_running_loop()
        control = DecodeControl()
        self._inflight.count += 1
        if partial:
            self._inflight.partials.add(control)
        else:
            self._inflight.make_way()
        submitted_s = loop.time()
        job = Decode(
            future=loop.run_in_executor(self._executor, self._decode, audio, control),
            control=control,
            submitted_s=submitted_s,
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
        anywhere in the process, or the machine is busy (:mod:`engine.server.load`)."""
        if self._inflight.count > 0 or self._cpu_behind():
            return None
        return self._submit(audio, partial=True).future

    def speculate(self, span: tuple[int, int], audio: np.ndarray) -> None:
        """Start the final decode of ``span`` during the endpoint wait."""
        self._speculative = (span, self._submit(audio))

    def resumed(self) -> None:
        """The visitor went on speaking: the speculative decode is given up."""
        if self._speculative is not None:
            self._speculative[1].control.abandon.set()
        self._speculative = None

    def final(self, span: tuple[int, int], audio: np.ndarray) -> Decode:
        """The final decode of ``span``: the speculative one when it covers the same audio."""
        spec, self._speculative = self._speculative, None
        if spec is not None and spec[0] == span:
            return spec[1]
        if spec is not None:
            spec[1].control.abandon.set()
        return self._submit(audio)
