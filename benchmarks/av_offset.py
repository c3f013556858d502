"""The A/V offset of received media (sans-IO): from what a WebRTC client received (RTP
timestamps, arrivals, RTCP sender reports, decoded audio, the mouth's opening per frame) to how
far the mouth lags its sound, in ms (+ = the mouth moves after its sound).

:func:`av_offset` places each frame on a time line, holds each picture until the next, and
Pearson-correlates the held mouth opening with the audio's RMS envelope on a 10 ms grid at lags
of -200..+200 ms, the peak refined by a parabola (``tests/unit/test_lip_sync_client.py``
recovers known shifts between synthetic tracks within 2 ms). :func:`analyse` does it for one
captured reply two ways: by presentation (RTP time mapped to the sender's clock through its
sender reports, RFC 3550 section 6.4.1) and by arrival. ``benchmarks/lip_sync_client.py`` is the
client that captures and prints them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: Grid step of the cross-correlation (seconds) and the lags searched (steps either side).
GRID_S = 0.010
MAX_LAG_STEPS = 20
AUDIO_HZ = 48_000  # Opus RTP clock (RFC 7587)
VIDEO_HZ = 90_000  # video RTP clock (RFC 3551)


@dataclass(frozen=True, slots=True)
class Offset:
    """One estimate.

    Attributes:
        ms: the mouth after its sound (ms), refined between grid steps; negative: mouth first.
        corr: the Pearson correlation at the peak.
    """

    ms: float
    corr: float


def envelope(
    starts: np.ndarray, chunks: list[np.ndarray], grid: np.ndarray, window_s: float
) -> np.ndarray:
    """The audio's RMS around each grid time.

    Args:
        starts: float64 (C,) the time (s) of each chunk's first sample.
        chunks: C float arrays of mono 48 kHz samples.
        grid: float64 (G,) times (s), evenly spaced by :data:`GRID_S`.
        window_s: width of the RMS window centred on each grid time (a video frame's interval).

    Returns:
        float64 (G,) RMS in sample units; 0 where no audio falls.
    """
    bins = np.zeros(grid.size)
    counts = np.zeros(grid.size)
    for t0, pcm in zip(starts, chunks, strict=True):
        t = t0 + np.arange(pcm.size) / AUDIO_HZ
        k = np.floor((t - grid[0]) / GRID_S + 0.5).astype(np.int64)
        ok = (k >= 0) & (k < grid.size)
        np.add.at(bins, k[ok], pcm[ok].astype(np.float64) ** 2)
        np.add.at(counts, k[ok], 1)
    # A window of ``window_s`` centred on each grid time: whole bins inside, half a bin at
    # each end (an even count of bins would centre it half a step off).
    half = max(1, round(window_s / GRID_S / 2))
    kernel = np.ones(2 * half + 1)
    kernel[[0, -1]] = 0.5
    energy = np.convolve(bins, kernel, "same")
    n = np.convolve(counts, kernel, "same")
    return np.sqrt(np.divide(energy, n, out=np.zeros_like(energy), where=n > 0))


def held(times: np.ndarray, values: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Each grid time's value of the last frame shown at or before it (sample and hold).

    Args:
        times: float64 (F,) when each frame goes on screen (s), any order.
        values: float64 (F,) its measure (the mouth's opening).
        grid: float64 (G,) times (s).

    Returns:
        float64 (G,); before the first frame, the first frame's value.
    """
    order = np.argsort(times, kind="stable")
    t, v = times[order], values[order]
    i = np.searchsorted(t, grid, side="right") - 1
    return v[np.clip(i, 0, t.size - 1)]


def av_offset(
    video_t: np.ndarray,
    opening: np.ndarray,
    audio_t: np.ndarray,
    audio: list[np.ndarray],
    fps: float = 25.0,
) -> Offset:
    """How far the mouth lags its sound (see the module docstring for the method).

    Args:
        video_t: float64 (F,) when each video frame goes on screen (s).
        opening: float64 (F,) the mouth's opening in each frame (any unit).
        audio_t: float64 (C,) the time (s) of each audio chunk's first sample.
        audio: C float arrays of mono 48 kHz samples.
        fps: the video's frame rate (the RMS window is one frame).

    Raises:
        ValueError: under a second of video, or a flat signal.
    """
    if video_t.size < fps:
        raise ValueError(f"{video_t.size} video frames: too few to measure")
    # Half a step after each frame's start: a frame held over the grid times inside its
    # interval then stands, on average, for the middle of that interval.
    grid = np.arange(video_t.min() + GRID_S / 2, video_t.max() + 1.0 / fps, GRID_S)
    mouth = held(video_t, opening, grid)
    sound = envelope(audio_t, audio, grid, 1.0 / fps)
    if np.ptp(mouth) == 0 or np.ptp(sound) == 0:
        raise ValueError("flat mouth or sound: nothing to correlate")
    n = grid.size
    corr = np.full(2 * MAX_LAG_STEPS + 1, -1.0)
    for j, lag in enumerate(range(-MAX_LAG_STEPS, MAX_LAG_STEPS + 1)):
        m = mouth[max(0, lag) : n + min(0, lag)]
        s = sound[max(0, -lag) : n + min(0, -lag)]
        if np.ptp(m) > 0 and np.ptp(s) > 0:
            corr[j] = float(np.corrcoef(m, s)[0, 1])
    j = int(np.argmax(corr))
    frac = 0.0
    if 0 < j < corr.size - 1:
        a, b, c = corr[j - 1], corr[j], corr[j + 1]
        bend = a - 2 * b + c
        frac = 0.5 * (a - c) / bend if bend < 0 else 0.0
    return Offset((j - MAX_LAG_STEPS + frac) * GRID_S * 1000.0, float(corr[j]))


def unwrap(ts: list[int]) -> np.ndarray:
    """32-bit RTP timestamps as int64 counting on from the first (RFC 3550 wrap-around)."""
    a = np.asarray(ts, np.int64)
    d = (np.diff(a) + 2**31) % 2**32 - 2**31
    return np.concatenate([a[:1], a[0] + np.cumsum(d)]) if a.size else a


@dataclass(slots=True)
class Capture:
    """What one session received, wall-clock seconds (``time.time``) throughout."""

    #: kind → RTP timestamp → arrival of its first packet.
    arrivals: dict[str, dict[int, float]] = field(
        default_factory=lambda: {"audio": {}, "video": {}}
    )
    #: kind → [(NTP seconds since 1970, RTP timestamp)] of each sender report.
    reports: dict[str, list[tuple[float, int]]] = field(
        default_factory=lambda: {"audio": [], "video": []}
    )
    audio: list[tuple[int, np.ndarray]] = field(default_factory=list)  # (pts, mono float)
    #: kind → the RTP timestamp aiortc's receiver counts its pts from (its TimestampMapper).
    origins: dict[str, int] = field(default_factory=dict)

    def rtp(self, kind: str, pts: int) -> int:
        """The 32-bit RTP timestamp of a received frame's ``pts``."""
        return (pts + self.origins[kind]) % 2**32


def sender_clock(
    reports: list[tuple[float, int]], ts: np.ndarray, rate: int
) -> tuple[np.ndarray, float]:
    """Sender wall-clock seconds of RTP timestamps ``ts`` (int64, :func:`unwrap`-ed) through the
    sender reports: slope ``1 / rate``, the median intercept; and the intercepts' spread (ms).

    Raises:
        ValueError: no sender report.
    """
    if not reports:
        raise ValueError("no RTCP sender report received")
    base = int(ts[0])
    rtp = np.array([base + ((r - base) + 2**31) % 2**32 - 2**31 for _, r in reports], np.float64)
    icpt = np.array([n for n, _ in reports]) - rtp / rate
    return ts / rate + float(np.median(icpt)), float(np.ptp(icpt) * 1000.0)


@dataclass(frozen=True, slots=True)
class Turn:
    """One reply as received: the offsets both ways and how the video came."""

    presentation: Offset
    arrival: Offset
    reply_s: float
    frames: int
    dropped: int
    spread_audio_ms: float
    spread_video_ms: float


def analyse(cap: Capture, video: list[tuple[int, float]], fps: float = 25.0) -> Turn:
    """Offsets of one captured reply (:func:`av_offset` by presentation and by arrival).

    Args:
        cap: the session's capture.
        video: (RTP timestamp, mouth opening) per decoded video frame, in arrival order.
        fps: the video's frame rate while speaking.

    Raises:
        ValueError: no reply audio, no sender report, or too little video.
    """
    a_raw = [cap.rtp("audio", pts) for pts, _ in cap.audio]
    a_ts = unwrap(a_raw)
    chunks = [pcm for _, pcm in cap.audio]
    v_ts = unwrap([ts for ts, _ in video])
    opening = np.array([o for _, o in video])
    a_pres, spread_a = sender_clock(cap.reports["audio"], a_ts, AUDIO_HZ)
    v_pres, spread_v = sender_clock(cap.reports["video"], v_ts, VIDEO_HZ)
    a_arr = np.array([cap.arrivals["audio"].get(ts, np.nan) for ts in a_raw])
    v_arr = np.array([cap.arrivals["video"].get(ts, np.nan) for ts, _ in video])
    loud = np.array([np.sqrt(np.mean(p.astype(np.float64) ** 2)) > 30.0 for p in chunks])
    if not loud.any():
        raise ValueError("no reply audio received")
    results = []
    for a_t, v_t in ((a_pres, v_pres), (a_arr, v_arr)):
        t0, t1 = a_t[loud].min() - 0.3, a_t[loud].max() + 0.3
        v_in = (v_t >= t0) & (v_t <= t1) & np.isfinite(v_t)
        a_in = (a_t >= t0 - 0.1) & (a_t <= t1 + 0.1) & np.isfinite(a_t)
        results.append(
            av_offset(
                v_t[v_in],
                opening[v_in],
                a_t[a_in],
                [c for c, k in zip(chunks, a_in, strict=True) if k],
                fps,
            )
        )
    t0, t1 = a_pres[loud].min(), a_pres[loud].max()
    idx = np.round((v_ts - v_ts[0]) * fps / VIDEO_HZ).astype(np.int64)
    during = idx[(v_pres >= t0) & (v_pres <= t1)]
    dropped = int(during.max() - during.min() + 1 - np.unique(during).size) if during.size else 0
    return Turn(results[0], results[1], t1 - t0, int(during.size), dropped, spread_a, spread_v)


#: Samples per Web Audio render quantum (W3C Web Audio API, "render quantum size").
QUANTUM = 128


def played_offset(
    shown_s: np.ndarray,
    opening: np.ndarray,
    quanta_s: np.ndarray,
    power: np.ndarray,
    fps: float = 25.0,
    loud_rms: float = 1e-3,
) -> Offset:
    """How far the mouth lags its sound as a browser played them (``lip_sync_browser.py``):
    :func:`av_offset` over one reply, from the first to the last loud quantum (±0.3 s).

    Args:
        shown_s: float64 (F,) when each video frame went on screen (s, the page's clock).
        opening: float64 (F,) the mouth's opening in each.
        quanta_s: float64 (Q,) when each render quantum of :data:`QUANTUM` 48 kHz samples of
            the audio was played (s, the same clock).
        power: float64 (Q,) each quantum's mean square (samples as floats in -1..1).
        fps: the video's frame rate while speaking.
        loud_rms: a quantum louder than this RMS is the reply's sound (silence sent is 0).

    Raises:
        ValueError: no loud quantum, or too little video within the reply.
    """
    loud = power > loud_rms**2
    if not loud.any():
        raise ValueError("no reply audio played")
    t0, t1 = quanta_s[loud].min() - 0.3, quanta_s[loud].max() + 0.3
    v_in = (shown_s >= t0) & (shown_s <= t1)
    a_in = (quanta_s >= t0 - 0.1) & (quanta_s <= t1 + 0.1)
    chunks = [np.full(QUANTUM, np.sqrt(p)) for p in power[a_in]]
    return av_offset(shown_s[v_in], opening[v_in], quanta_s[a_in], chunks, fps)
