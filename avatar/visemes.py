"""Viseme vocabulary and timing tracks.

The viseme set is the Oculus/Meta 15-viseme standard (Oculus Lipsync, "Viseme Reference":
sil, PP, FF, TH, DD, kk, CH, SS, nn, RR, aa, E, I, O, U). A :class:`VisemeTrack` places visemes
on a sample clock so that the mouth and the audio share one time base.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The 15 Oculus visemes, in the order of the Oculus Lipsync reference.
OCULUS_VISEMES: tuple[str, ...] = (
    "sil",
    "PP",
    "FF",
    "TH",
    "DD",
    "kk",
    "CH",
    "SS",
    "nn",
    "RR",
    "aa",
    "E",
    "I",
    "O",
    "U",
)


@dataclass(frozen=True, slots=True)
class VisemeCue:
    """One viseme held from ``start_sample`` (inclusive) to ``end_sample`` (exclusive).

    Samples are counted at the owning track's ``sample_rate`` from the start of its audio.
    """

    viseme: str
    start_sample: int
    end_sample: int


@dataclass(frozen=True, slots=True)
class VisemeTrack:
    """Visemes for one piece of audio.

    Attributes:
        sample_rate: Hz of the audio the cues are counted in.
        cues: non-overlapping cues in time order.
    """

    sample_rate: int
    cues: tuple[VisemeCue, ...]

    @property
    def num_samples(self) -> int:
        """End of the last cue (samples), 0 for an empty track."""
        return self.cues[-1].end_sample if self.cues else 0
