"""The scripted visitor's microphone (:mod:`tests.support.visitor`): an aiortc audio track
that sends 20 ms frames of whatever clip was queued with :meth:`MicTrack.say` (silence
otherwise) and, with ``echo_gain``, mixes the avatar's own voice back in as a loudspeaker
reaching the microphone would; and the resampling of 16 kHz clips to its 48 kHz.
"""

from __future__ import annotations

import asyncio
import fractions
from collections import deque

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from tests.support.pacing import wait_for_frame

RATE_HZ = 48_000
FRAME = 960  # 20 ms


def to_48k(samples16k: np.ndarray) -> np.ndarray:
    """float32 16 kHz mono → int16 48 kHz mono (FFmpeg swresample via PyAV)."""
    pcm = (np.clip(samples16k, -1.0, 1.0) * 32767).astype(np.int16)
    frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate = 16_000
    resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE_HZ)
    out = [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
    out += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(out) if out else np.zeros(0, np.int16)


class MicTrack(MediaStreamTrack):
    """The visitor's microphone: queued clips, then silence; optional echo of what it hears."""

    kind = "audio"

    def __init__(self, echo_gain: float = 0.0, echo_delay_frames: int = 3) -> None:
        super().__init__()
        self._queue: deque[np.ndarray] = deque()
        # what the loudspeaker played, not yet heard by the microphone: starts with the delay,
        # whatever size the received frames have (the server sends 10 ms packets)
        self._echo = np.zeros(echo_delay_frames * FRAME, np.int16)
        self._echo_delay = echo_delay_frames * FRAME
        self.echo_gain = echo_gain
        self._start: float | None = None
        self._n = 0
        self.sent_speech_until: float | None = None  # loop time the queued audio ends

    def say(self, pcm48k: np.ndarray) -> float:
        """Queue int16 48 kHz audio; returns the loop time its first sample will be sent."""
        loop = asyncio.get_running_loop()
        queued = sum(c.size for c in self._queue)
        start = max(
            loop.time(), (self._start or loop.time()) + (self._n * FRAME + queued) / RATE_HZ
        )
        for i in range(0, pcm48k.size, FRAME):
            chunk = np.zeros(FRAME, np.int16)
            part = pcm48k[i : i + FRAME]
            chunk[: part.size] = part
            self._queue.append(chunk)
        return start

    def heard(self, pcm48k: np.ndarray) -> None:
        """Audio that reached the loudspeaker, int16 (n,) 48 kHz mono (the echo path, when
        ``echo_gain`` > 0)."""
        if self.echo_gain > 0:
            self._echo = np.concatenate([self._echo, pcm48k.astype(np.int16)])
            if self._echo.size > self._echo_delay + 10 * FRAME:  # bursty arrivals: bounded
                self._echo = self._echo[-(self._echo_delay + FRAME) :]

    async def recv(self) -> av.AudioFrame:
        """The next 20 ms frame (960 samples, int16 mono, 48 kHz), paced on the loop clock from
        the first call: queued speech, else silence, with the avatar's echo mixed in.

        Raises:
            MediaStreamError: the track was stopped.
        """
        if self.readyState != "live":
            raise MediaStreamError
        self._start = await wait_for_frame(self._start, self._n, FRAME / RATE_HZ)
        pcm = self._queue.popleft() if self._queue else np.zeros(FRAME, np.int16)
        if self.echo_gain > 0 and self._echo.size >= FRAME:
            echo, self._echo = self._echo[:FRAME], self._echo[FRAME:]
            mixed = pcm.astype(np.int32)
            mixed[: echo.size] += (echo.astype(np.float32) * self.echo_gain).astype(np.int32)
            pcm = np.clip(mixed, -32768, 32767).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE_HZ
        frame.pts = self._n * FRAME
        frame.time_base = fractions.Fraction(1, RATE_HZ)
        self._n += 1
        return frame
