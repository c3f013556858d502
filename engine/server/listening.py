"""Streaming hearing for one session: inbound Opus → 16 kHz mono → Silero VAD → endpointing
(the adapter around the sans-IO endpointing core).

* :class:`StreamBuffer` keeps the last seconds of the visitor's 16 kHz audio in memory (never on
  disk), addressed by absolute stream sample.
* :class:`Listener` pulls the aiortc track, resamples (FFmpeg swresample via PyAV), runs VAD on
  the inference executor (state carried between 32 ms windows), asks the echo guard about
  speech-like windows, feeds :class:`~engine.server.endpointing.Endpointer` and hands each
  decision on (to :class:`~engine.server.turn_taking.TurnTaking`) with the loop time the window
  ended. Whether the avatar is busy — onsets then need the barge-in confirmation — is state the
  session sets when a reply starts and ends (:attr:`Listener.avatar_busy`), never asked per
  window.

The decodes are :mod:`engine.server.transcribing`'s.
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

from engine.audio.vad import SAMPLE_RATE_HZ, WINDOW_SAMPLES, SileroVAD
from engine.server.echo import EchoGuard
from engine.server.endpointing import StreamEndpointer

log = logging.getLogger(__name__)

#: Seconds of visitor audio kept in memory (a turn is cut at 25 s by the endpointer).
KEEP_S = 32.0
#: Re-anchor the arrival clock when frames arrive this much later or earlier than their position
#: says (seconds); any earlier arrival re-anchors the latency clock
#: (:meth:`Listener.earliest_time_of`).
REANCHOR_S = 0.2


@dataclass(slots=True)
class StreamBuffer:
    """The most recent ``KEEP_S`` seconds of a 16 kHz float32 stream, by absolute position.

    Appending writes into spare room of a store that grows to ``2 * keep`` samples and slides
    what is kept back to its front only when it is full: about one copy per sample appended
    (concatenating the whole window copied all 32 s — 2 MB — for every 20 ms frame)."""

    keep: int = int(KEEP_S * SAMPLE_RATE_HZ)
    _store: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32), repr=False)
    _head: int = 0  # index in _store of the oldest kept sample
    _tail: int = 0  # index in _store after the newest
    _base: int = 0  # absolute position of _store[_head]

    @property
    def end(self) -> int:
        """Absolute position after the last sample."""
        return self._base + self._tail - self._head

    def append(self, samples: np.ndarray) -> None:
        """Add float32 (n,) samples at the end, forgetting what is older than ``keep``."""
        x = samples.astype(np.float32, copy=False)
        if self._tail + x.size > self._store.size:
            kept = self._store[self._head : self._tail]
            size = max(min(2 * self._store.size, 2 * self.keep), kept.size + x.size, 4096)
            store = self._store if size <= self._store.size else np.empty(size, np.float32)
            store[: kept.size] = kept  # overlapping slide to the front: numpy copies safely
            self._store, self._head, self._tail = store, 0, kept.size
        self._store[self._tail : self._tail + x.size] = x
        self._tail += x.size
        extra = self._tail - self._head - self.keep
        if extra > 0:
            self._head += extra
            self._base += extra

    def slice(self, start: int, end: int) -> np.ndarray:
        """Samples ``[start, end)`` (clipped to what is kept), float32 copy."""
        size = self._tail - self._head
        a = max(0, start - self._base)
        b = max(a, min(size, end - self._base))
        return self._store[self._head + a : self._head + b].copy()

    def wipe(self) -> None:
        """Forget everything (end of session)."""
        self._base = self.end
        self._store = np.zeros(0, np.float32)
        self._head = self._tail = 0


#: Called with each decision (:data:`~engine.server.endpointing.Decision`, or the turn policy's
#: :class:`~engine.audio.turn_policy.TurnCheckDue`) and the loop time (seconds) its window ended.
DecisionSink = Callable[[object, float], None]


class Listener:
    """The inbound side of one session.

    Args:
        endpointer: the session's endpointing core (with the turn policy around it, live).
        echo: the session's echo guard (None: off).
        vad_executor: where Silero runs (never the event loop).
        on_decision: receives the endpointer's decisions.
        vad_factory: makes the session's streaming VAD (default Silero; called on the executor).

    Attributes:
        avatar_busy: a reply is being prepared or played (set by the session from its reply
            handle's lifecycle): onsets are barge-ins and need the barge-in confirmation.
        vad_ms: VAD compute time since the last reset (ms).
    """

    def __init__(
        self,
        endpointer: StreamEndpointer,
        echo: EchoGuard | None,
        vad_executor: Executor,
        on_decision: DecisionSink,
        vad_factory: Callable[[], SileroVAD] = SileroVAD,
    ) -> None:
        self.endpointer = endpointer
        self.echo = echo
        self.buffer = StreamBuffer()
        self.avatar_busy = False
        self.on_decision = on_decision
        self._executor = vad_executor
        self._vad_factory = vad_factory
        self._vad: SileroVAD | None = None
        self._resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE_HZ)
        self._anchor_s: float | None = None  # loop time of stream sample 0
        self._earliest_s: float | None = None  # the same from the earliest arrivals
        self._vad_pos = 0
        self.vad_ms = 0.0

    def time_of(self, sample: int) -> float:
        """Loop time (seconds) at which stream ``sample`` arrived (estimated; steady, for
        aligning the echo guard's envelopes: it moves only when arrivals drift more than
        :data:`REANCHOR_S` from it, later after a stall, and back once frames come on time)."""
        return (self._anchor_s or 0.0) + sample / SAMPLE_RATE_HZ

    def earliest_time_of(self, sample: int) -> float:
        """Loop time (seconds) at which stream ``sample`` arrived or, after the server fell
        behind, would have arrived on time: the start of the latencies it reports (end of
        speech → transcript, reply, first audio; barge-in onset → audio flushed)."""
        return (self._earliest_s or 0.0) + sample / SAMPLE_RATE_HZ

    async def run(self, track: MediaStreamTrack) -> None:
        """Consume ``track`` until it ends (returns) — raises only on internal failures."""
        loop = asyncio.get_running_loop()
        vad = self._vad = await loop.run_in_executor(self._executor, self._vad_factory)
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            samples = self._to_16k(frame)
            if samples.size == 0:
                continue
            start = self._arrived(loop.time(), samples)
            if self.echo is not None:
                self.echo.note_inbound(self.time_of(start), samples, SAMPLE_RATE_HZ)
            if vad.buffered + samples.size < WINDOW_SAMPLES:
                # No window completes (a 20 ms frame is 320 samples, a window 512): the VAD
                # only keeps the samples, so no inference and no hop to the executor.
                vad.process(samples)
                continue
            probs = await loop.run_in_executor(self._executor, self._score, samples)
            self.feed(probs)

    def _arrived(self, now_s: float, samples: np.ndarray) -> int:
        """Keep ``samples`` (arrived at loop time ``now_s``) and move the arrival clocks;
        returns their first stream sample."""
        start = self.buffer.end
        anchor = now_s - (start + samples.size) / SAMPLE_RATE_HZ
        # Both ways: a clock that only moved later stayed as late as the longest stall for the
        # rest of the session, eating the echo guard's lag range (EchoGuard.max_lag_s) and
        # lengthening every later turn's endpoint span by the stall.
        if self._anchor_s is None or abs(anchor - self._anchor_s) > REANCHOR_S:
            self._anchor_s = anchor
        # The latency clock follows the earliest arrivals, so a stall that delayed frames
        # (and moved the arrival clock later) does not shorten the reported latencies.
        if self._earliest_s is None or not 0.0 <= anchor - self._earliest_s <= REANCHOR_S:
            self._earliest_s = anchor
        self.buffer.append(samples)
        return start

    def _score(self, samples: np.ndarray) -> np.ndarray:
        assert self._vad is not None
        t0 = time.perf_counter()
        probs = self._vad.process(samples)
        self.vad_ms += (time.perf_counter() - t0) * 1000.0
        return probs

    def feed(self, probs: np.ndarray) -> None:
        """Feed Silero probabilities of the next 512-sample windows (float32 (k,), in [0, 1])
        to the endpointer; each decision goes to :attr:`on_decision` with the loop time its
        window ended."""
        threshold = self.endpointer.settings.threshold
        for prob in probs:
            window = self._vad_pos
            self._vad_pos += WINDOW_SAMPLES
            t_end = self.time_of(self._vad_pos)
            judged = (
                self.echo is not None and float(prob) >= threshold and not self.endpointer.in_speech
            )
            # The hold of a possible barge-in asks the onset verdict, which the step where a
            # visitor starts talking over the reply does not fool (engine.server.echo).
            verdict = self.echo.judge(t_end, onset=self.avatar_busy) if judged else None
            for decision in self.endpointer.feed(
                float(prob),
                window,
                avatar_busy=self.avatar_busy,
                echo=verdict is not None and verdict.echo,
                hold_echo=verdict is not None and verdict.onset_echo,
            ):
                self.on_decision(decision, t_end)

    def _to_16k(self, frame: av.AudioFrame) -> np.ndarray:
        out = [f.to_ndarray().reshape(-1) for f in self._resampler.resample(frame)]
        return np.concatenate(out).astype(np.float32) if out else np.zeros(0, np.float32)

    def close(self) -> None:
        """Wipe the kept audio and the VAD state, and let go of the resampler's filter graph
        (its FFmpeg worker threads, one per CPU: a fresh resampler makes none until used)."""
        self.buffer.wipe()
        if self._vad is not None:
            self._vad.reset()
        self._resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE_HZ)
