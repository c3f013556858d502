"""Reply pieces sized so that synthesis stays ahead of playout (sans-IO).

A streamed reply is synthesized piece by piece: piece ``k + 1`` is synthesized while the audio
of the pieces before it plays (:meth:`engine.tts.base.SentenceTTS.synthesize` starts it the
moment piece ``k`` is done). The visitor hears a stall when piece ``k + 1`` takes longer to
make than the audio still queued ahead of it. For a fast voice (Piper, RTF ~0.05) any piece
is ready in time; for a slow one it is not: every Kokoro run also renders ~0.4 s of silence
before its speech and ~0.8 s after it (see :mod:`engine.tts.kokoro`), which the engine drops
again (:mod:`engine.audio.pauses`), so a short clause costs about as much to make as it lasts,
and a reply opening on one (抱歉， 0.66 s heard, ~0.8 s to make) left ~1 s of silence before
its second piece at the client.

:class:`Pace` models one voice on the target machine in spoken weight (the unit of
:mod:`engine.tts.sentences`: 1 per Latin character, 3 per Han character):

* a piece of weight ``w`` plays ``(w + heard_extra) * s`` seconds,
* and takes ``ratio * (w + overhead) * s`` seconds to synthesize (``s``: seconds per weight).

:func:`pace_pieces` groups a reply's clauses: every piece after the first takes as many
clauses of its sentence as can be made within the audio then still queued (the audio of the
pieces before it less the time their synthesis took), capped at ``max_weight``; the first
piece is the shortest opening after which that never runs dry, and may take the sentences
after a short first one (谢谢。 alone is heard for 0.65 s). A clause is never cut inside, so a
reply whose clauses are all too long for that is one piece. Later pieces stay inside their
sentence: run across a sentence end (一号大厅。预约号AP0042，) the Mandarin ASR heard the join
worse.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Pace:
    """Synthesis and playout time of one voice's pieces, in spoken weight (see the module
    docstring; measured per voice, e.g. :data:`engine.tts.kokoro.ZH_PACE`).

    Attributes:
        ratio: seconds of synthesis per second of weight played (the voice's RTF on the
            audio that is heard, with the server's renderer and encoder running).
        overhead: weight a piece costs to make beyond its own (rendered silences, the
            predictor, the front end).
        heard_extra: weight a piece plays beyond its own (its pauses, after shortening).
        max_weight: the most weight of one piece after the first (its length alone).
        across_sentences: a piece after the first may end in another sentence than it began.
        slack: weight by which a piece may come late (the client hears a silence of 200 ms
            as a stall; the engine keeps 140 ms of a join's silence: ~60 ms, one weight).
    """

    ratio: float
    overhead: float
    heard_extra: float = 0.0
    max_weight: int = 150
    slack: float = 1.0
    across_sentences: bool = False

    def __post_init__(self) -> None:
        if self.ratio <= 0 or self.overhead < 0 or self.max_weight <= 0:
            raise ValueError(f"invalid pace {self}")

    def heard(self, weight: float) -> float:
        """Weight-seconds a piece of ``weight`` plays."""
        return weight + self.heard_extra

    def cost(self, weight: float) -> float:
        """Weight-seconds a piece of ``weight`` takes to synthesize."""
        return self.ratio * (weight + self.overhead)


def pace_pieces(
    weights: Sequence[int], pace: Pace, opens: Sequence[bool] | None = None
) -> list[int]:
    """Group a reply's clauses into pieces (see the module docstring).

    Args:
        weights: the spoken weight of each clause of the reply, in order.
        pace: the voice's timing.
        opens: per clause, whether it opens a sentence; a piece after the first never runs
            on into the next sentence unless ``pace.across_sentences`` (None: no ends).

    Returns:
        How many clauses each piece takes, in order (they sum to ``len(weights)``).
    """
    opens = [False] * len(weights) if opens is None else list(opens)
    for first in range(1, len(weights) + 1):
        rest = _greedy(weights[first:], opens[first:], pace, pace.heard(sum(weights[:first])))
        if rest is not None:
            return [first, *rest]
    return []


def _greedy(
    weights: Sequence[int], opens: Sequence[bool], pace: Pace, ahead: float
) -> list[int] | None:
    """Clause counts of the pieces after the first, each as long as can be made within the
    audio queued ahead of it (``ahead`` weight-seconds when the first one starts); None when
    some clause cannot be made in time even alone."""
    counts: list[int] = []
    i = 0
    while i < len(weights):
        if pace.cost(weights[i]) > ahead + pace.slack:
            return None
        n, total = 1, weights[i]
        while i + n < len(weights) and (pace.across_sentences or not opens[i + n]):
            grown = total + weights[i + n]
            if grown > pace.max_weight or pace.cost(grown) > ahead + pace.slack:
                break
            n, total = n + 1, grown
        ahead = max(0.0, ahead - pace.cost(total)) + pace.heard(total)
        counts.append(n)
        i += n
    return counts
