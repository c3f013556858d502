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

:func:`opening_hold_s` serves the other opening (the first clause alone, the first audio
sooner): it keeps the pieces and moves the wait instead. Every later piece is made after the
first, one after another, so piece ``k`` is ready ``make_1 + ... + make_k`` after the first is;
if the audio before it (the first piece's, then the others') is shorter, the visitor hears the
difference as a stall inside the reply. Holding the first piece back by the largest such
difference turns the stall into the same wait *before* the reply, where it is latency, not a
hesitation in mid-sentence, and costs less than merging clauses does (the clause the first
piece would take is made while it waits). The make times are predicted from the first piece's
own synthesis time (the machine's speed right now: load, the renderer, a faster CPU), scaled
by :meth:`Pace.cost`. A piece's cost may be sized in another unit than the weight it is heard
by (``costs`` of :func:`opening_hold_s`): ``benchmarks/kokoro_pace.py`` compares Kokoro's
phoneme tokens with the weight (the voice keeps the weight: see
:data:`engine.tts.kokoro_openings.ZH_HOLD_PACE`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Pace:
    """Synthesis and playout time of one voice's pieces, in spoken weight (see the module
    docstring; measured per voice, e.g. :data:`engine.tts.kokoro_openings.ZH_PACE`).

    Attributes:
        ratio: seconds of synthesis per second of weight played (the voice's RTF on the
            audio that is heard, with the server's renderer and encoder running).
        overhead: size a piece costs to make beyond its own (rendered silences, the
            predictor, the front end), in the unit the pieces' costs are sized in: spoken
            weight unless :func:`opening_hold_s` is given other ``costs``.
        heard_extra: weight a piece plays beyond its own (its pauses, after shortening).
        max_weight: the most weight of one piece after the first (its length alone).
        across_sentences: a piece after the first may end in another sentence than it began.
        slack: weight by which a piece may come late (the client hears a silence of 200 ms
            as a stall; the engine keeps 140 ms of a join's silence: ~60 ms, one weight).
        weight_s: seconds one weight is heard (the voice's speaking rate; Kokoro's Mandarin
            voice ~55 ms), for :func:`opening_hold_s`.
        start_slowdown: how much longer the second piece takes to make than the first one
            predicts: it is made while the reply starts to play (the avatar starts rendering
            and encoding speech, the turn's events go out), for :func:`opening_hold_s`.
    """

    ratio: float
    overhead: float
    heard_extra: float = 0.0
    max_weight: int = 150
    slack: float = 1.0
    across_sentences: bool = False
    weight_s: float = 0.057
    start_slowdown: float = 1.0

    def __post_init__(self) -> None:
        if (
            self.ratio <= 0
            or self.overhead < 0
            or self.max_weight <= 0
            or self.weight_s <= 0
            or self.start_slowdown <= 0
        ):
            raise ValueError(f"invalid pace {self}")

    def heard(self, weight: float) -> float:
        """Weight-seconds a piece of ``weight`` plays."""
        return weight + self.heard_extra

    def cost(self, size: float) -> float:
        """Time a piece of ``size`` (weight, or the unit of :attr:`overhead`) takes to
        synthesize, in weight-seconds."""
        return self.ratio * (size + self.overhead)


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


def opening_hold_s(
    weights: Sequence[int],
    first_make_s: float,
    first_heard_s: float,
    pace: Pace,
    *,
    costs: Sequence[float] | None = None,
    next_started_s: float = 0.0,
    slack_s: float = 0.05,
    late_slack_s: float = 0.08,
    first_window_s: float = 1.8,
) -> float:
    """How long to hold a reply's first piece (synthesized just now) so that no later piece
    comes after the audio ahead of it has run out (see the module docstring).

    Args:
        weights: the spoken weight of every piece of the reply, the first included.
        first_make_s: wall seconds the first piece took to synthesize (the speed measure).
        first_heard_s: seconds the first piece plays once its silences are shortened.
        pace: the voice's timing; only ratios of :meth:`Pace.cost`, :meth:`Pace.heard` (with
            ``weight_s``) and ``start_slowdown`` are used, the speed comes from
            ``first_make_s``.
        costs: every piece's size for :meth:`Pace.cost`, in the unit of ``pace.overhead``
            (e.g. Kokoro's phoneme tokens); None: ``weights``.
        next_started_s: seconds since the second piece's synthesis began.
        slack_s: how late a piece may come at a join in the reply's first ``first_window_s``
            (the engine keeps 140 ms of a join's silence there and the client counts a stall
            from 200 ms: ~50 ms; :class:`engine.audio.pauses.PauseLimiter`).
        late_slack_s: the same for a join whose silence begins after the client's first
            1.5 s (the limiter keeps 260 ms of it, a stall counts from 350 ms: ~80 ms).
        first_window_s: audio ahead of a join (s) under which ``slack_s`` applies: the
            client's 1.5 s plus the 260 ms of silence the join may begin with, rounded up
            (the heard seconds of pieces after the first are predicted, ~0.3 s off at worst
            on the packs' replies).

    Returns:
        Seconds (>= 0) to wait before the first piece plays; 0 for a one-piece reply.

    Raises:
        ValueError: ``costs`` and ``weights`` differ in length.
    """
    sizes = list(weights if costs is None else costs)
    if len(sizes) != len(weights):
        raise ValueError(f"{len(sizes)} costs for {len(weights)} pieces")
    if len(weights) < 2 or first_make_s <= 0:
        return 0.0
    per_cost = first_make_s / pace.cost(sizes[0])
    ready, ahead, hold = -next_started_s, first_heard_s, 0.0
    for k, (weight, size) in enumerate(zip(weights[1:], sizes[1:], strict=True)):
        ready += per_cost * pace.cost(size) * (pace.start_slowdown if k == 0 else 1.0)
        slack = slack_s if ahead < first_window_s else late_slack_s
        hold = max(hold, ready - ahead - slack)
        ahead += pace.heard(weight) * pace.weight_s
    return hold
