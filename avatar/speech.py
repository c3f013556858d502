"""Scheduled speech on the session clock: viseme cues with coarticulation, the mouth shape they
make, speech segments, and the jaw's loudness gain (sans-IO; samples passed in).

Coarticulation: each viseme cue is a trapezoid envelope whose edges are smoothstep ramps
``crossfade_ms`` wide centred on the cue boundaries, so neighbouring visemes crossfade (their
envelopes sum to 1 across a shared boundary) and cues shorter than the ramp never reach full
weight (short phonemes are under-articulated). This is the dominance-blending idea of Cohen &
Massaro (1993, "Modeling coarticulation in synthetic visual speech") reduced to fixed-width
linear-phase ramps, like the crossfades of Oculus Lipsync's smoothing; 60 ms sits in the
40–80 ms range of visible lip transitions. Silence (``sil``) contributes no mouth shape, so the
mouth relaxes to closed (``jawOpen`` 0) between phrases.

Loudness: when the speech's audio is given, the jaw's opening follows its loudness within each
viseme (louder → wider, quieter → narrower), as a speaker's jaw does; the envelope is the RMS
over 20 ms windows every 10 ms, normalised to the chunk's 75th-percentile level, with a
compressive exponent (:data:`LOUDNESS_EXPONENT`). It scales ``jawOpen`` and ``mouthLowerDown``
only, so the lip shapes of the visemes stay. The jaw never opens past :data:`JAW_OPEN_MAX`, the
widest viseme's own opening (``aa`` in :data:`avatar.expressions.VISEME_TO_ARKIT`, the Oculus
reference's open vowel): a loud open vowel keeps that shape instead of a shout's gape (newcomer12
#11: 11 of 604 voiced frames of the demo over twice the median opening, at gain up to 1.4).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np

from avatar.expressions import VISEME_TO_ARKIT
from avatar.motion import ease
from avatar.visemes import OCULUS_VISEMES, VisemeTrack

#: Loudness → jaw gain: (rms / level) ** exponent, clamped to [LOUDNESS_MIN, LOUDNESS_MAX].
LOUDNESS_EXPONENT, LOUDNESS_MIN, LOUDNESS_MAX = 0.85, 0.2, 1.4
LOUD_PERCENTILE = 75  # the chunk level that keeps the viseme table's own opening
#: The jaw's widest opening under loudness: the open vowel's own (``aa``: 0.62).
JAW_OPEN_MAX = max(v.get("jawOpen", 0.0) for v in VISEME_TO_ARKIT.values())
_JAW_CHANNELS = ("jawOpen", "mouthLowerDownLeft", "mouthLowerDownRight")
_FAR = 2**62


@dataclass(frozen=True, slots=True)
class _Cue:
    start: int  # session samples
    end: int
    viseme: str


class SpeechSchedule:
    """Viseme cues, speech segments and loudness on one clock.

    Args:
        sample_rate: Hz of the session clock.
        crossfade_ms: width of the viseme crossfade ramps.
    """

    def __init__(self, sample_rate: int, crossfade_ms: float) -> None:
        self.sample_rate = sample_rate
        self.half = max(1, round(crossfade_ms * sample_rate / 2000))
        self._cues: list[_Cue] = []
        self._starts: list[int] = []
        self._max_cue = 0
        self.segments: list[tuple[int, int]] = []  # (start, end) samples, sorted
        self._loudness: list[tuple[int, int, np.ndarray]] = []  # (start, hop samples, gains)

    def add(self, track: VisemeTrack, start_sample: int, pcm: np.ndarray | None = None) -> None:
        """Schedule a track (see :meth:`avatar.timeline.AvatarTimeline.add_speech`).

        Raises:
            ValueError: a cue names a viseme outside the Oculus 15.
        """
        rate, src = self.sample_rate, track.sample_rate
        for cue in track.cues:
            if cue.viseme not in VISEME_TO_ARKIT:
                raise ValueError(f"unknown viseme {cue.viseme!r}; expected one of {OCULUS_VISEMES}")
            start = start_sample + (cue.start_sample * rate + src // 2) // src
            end = start_sample + (cue.end_sample * rate + src // 2) // src
            if end <= start:
                continue
            k = bisect.bisect_right(self._starts, start)
            self._starts.insert(k, start)
            self._cues.insert(k, _Cue(start, end, cue.viseme))
            self._max_cue = max(self._max_cue, end - start)
        if not track.cues:
            return
        end = start_sample + (track.num_samples * rate + src // 2) // src
        bisect.insort(self.segments, (start_sample, end))
        if pcm is not None:
            gains = loudness_gains(np.asarray(pcm), src)
            if gains.size:
                hop = (src // 100 * rate + src // 2) // src
                bisect.insort(self._loudness, (start_sample, hop, gains), key=lambda e: e[0])

    def clear(self, at_sample: int) -> None:
        """Drop speech after ``at_sample``; the mouth closes over one ramp from there."""
        kept: list[_Cue] = []
        for cue in self._cues:
            if cue.start >= at_sample:
                continue
            if cue.end > at_sample:  # the falling ramp starts at at_sample
                cue = _Cue(cue.start, at_sample + self.half, cue.viseme)
            kept.append(cue)
        self._cues, self._starts = kept, [c.start for c in kept]
        self.segments = [(s, min(e, at_sample)) for s, e in self.segments if s < at_sample]
        self._loudness = [e for e in self._loudness if e[0] < at_sample]

    def forget_before(self, sample: int, linger: int) -> None:
        """Drop what cannot affect ``sample`` or later; segments are kept ``linger`` samples
        past their end (an emotion's relax point is computed from them)."""
        keep = [c for c in self._cues if c.end > sample - self.half]
        self._cues, self._starts = keep, [c.start for c in keep]
        self.segments = [seg for seg in self.segments if seg[1] + linger > sample]
        self._loudness = [
            e for e in self._loudness if e[0] + e[1] * e[2].size + 2 * self.half > sample
        ]

    def is_speaking(self, sample: int) -> bool:
        """True while ``sample`` lies inside a speech segment."""
        k = bisect.bisect_right(self.segments, (sample, _FAR))
        return any(s <= sample < e for s, e in self.segments[max(0, k - 8) : k])

    def visemes_at(self, sample: int) -> dict[str, float]:
        """Crossfaded viseme weights at ``sample`` (no ``sil``; the sum is at most 1)."""
        half = self.half
        k = bisect.bisect_left(self._starts, sample + half)
        out: dict[str, float] = {}
        j = k - 1
        while j >= 0 and self._cues[j].start > sample - half - self._max_cue - half:
            cue = self._cues[j]
            j -= 1
            if cue.viseme == "sil" or cue.end + half <= sample:
                continue
            rise = ease((sample - (cue.start - half)) / (2 * half))
            fall = ease(((cue.end + half) - sample) / (2 * half))
            w = min(rise, fall)
            if w > 0:
                out[cue.viseme] = out.get(cue.viseme, 0.0) + w
        total = sum(out.values())
        if total > 1.0:
            out = {k: v / total for k, v in out.items()}
        return out

    def loudness_gain(self, sample: int) -> float:
        """Jaw gain from the speech audio's loudness at ``sample`` (1.0 where none was given)."""
        k = bisect.bisect_right(self._loudness, sample, key=lambda e: e[0]) - 1
        if k < 0:
            return 1.0
        start, hop, gains = self._loudness[k]
        x = (sample - start) / hop
        if x >= gains.size:
            return 1.0
        i = int(x)
        nxt = gains[min(i + 1, gains.size - 1)]
        return float(gains[i] + (nxt - gains[i]) * (x - i))

    def mouth_at(self, sample: int) -> tuple[dict[str, float], dict[str, float]]:
        """(viseme weights, ARKit mouth weights) at ``sample``, the jaw scaled by loudness."""
        visemes = self.visemes_at(sample)
        mouth: dict[str, float] = {}
        for viseme, w in visemes.items():
            for name, v in VISEME_TO_ARKIT[viseme].items():
                mouth[name] = mouth.get(name, 0.0) + w * v
        if mouth and self._loudness:
            gain = self.loudness_gain(sample)
            jaw = mouth.get("jawOpen", 0.0) * gain
            if jaw > JAW_OPEN_MAX:  # the jaw and lower lip stop together, in proportion
                gain *= JAW_OPEN_MAX / jaw
            for name in _JAW_CHANNELS:
                if name in mouth:
                    mouth[name] *= gain
        return visemes, mouth

    def reply_end(self, at: int, window: int, gap: int) -> int | None:
        """End of the run of segments (each within ``gap`` of the last) that starts within
        ``window`` samples after ``at``; None when no speech starts then."""
        k = bisect.bisect_left(self.segments, (at, -_FAR))
        if k >= len(self.segments):
            return None
        start, end = self.segments[k]
        if start - at > window:
            return None
        for s, e in self.segments[k + 1 :]:
            if s - end > gap:
                break
            end = max(end, e)
        return end


def loudness_gains(pcm: np.ndarray, rate_hz: int) -> np.ndarray:
    """Jaw gains (N,) every 10 ms of int16 ``pcm`` at ``rate_hz`` (see the module docstring)."""
    hop = max(1, rate_hz // 100)
    x = pcm.astype(np.float64).ravel()
    n = x.size // hop
    if n == 0:
        return np.zeros(0)
    power = (x[: n * hop].reshape(n, hop) ** 2).mean(axis=1)
    rms = np.sqrt(np.convolve(power, [0.5, 0.5], mode="same"))  # 20 ms windows
    level = np.percentile(rms, LOUD_PERCENTILE)
    if level <= 0:
        return np.zeros(0)
    gains = np.clip((rms / level) ** LOUDNESS_EXPONENT, LOUDNESS_MIN, LOUDNESS_MAX)
    return np.convolve(gains, np.ones(3) / 3, mode="same")  # ~30 ms smoothing
