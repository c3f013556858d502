"""Where the held opening's wait comes from: per reply, the hold the pace predicts against the
hold that was really needed, and a refit of the pace (Kokoro, Mandarin).

Each reply is cut as the voice's opening cuts it and its pieces are synthesized one after
another, as :meth:`engine.tts.base.SentenceTTS.synthesize` makes them (piece ``k + 1`` starts
when piece ``k`` is done), never held: the make time of every piece, and the seconds it plays
once a session's :class:`~engine.audio.pauses.PauseLimiter` has shortened its silences. The
hold that was **needed** is the largest lateness of a later piece had the first played at once,
less the slack a join allows (``ready_k - ahead_k - slack``, :func:`needed_hold_s`); the hold
**predicted** is :func:`engine.tts.pacing.opening_hold_s` from the first piece's make time, with
the voice's hold pace (or a refit one).

The refit (:func:`fit`): ``heard_extra`` and ``weight_s`` by least squares on the pieces'
heard seconds (the same on any machine), ``overhead`` (what a run costs beyond its own size)
from a straight line through the pieces' CPU times, and the least ``start_slowdown`` whose
predicted holds cover the needed ones in ``--cover`` of the replies; twice, with the pieces'
cost sized by spoken weight (what the voice uses) and by phoneme tokens
(:meth:`KokoroTTS.token_count`), so the two can be compared on the same measured replies. The fitting sample is disjoint from the sample the
intelligibility test and ``benchmarks/tts.py`` score (templates ``1::4``, ``2::4``, ``3::4`` of
each pack; the test's are ``0::4``), which is reported beside it.

Nothing else runs here: in the server the second piece is made while the reply starts to play
(the avatar renders), slower; that ``start_slowdown`` was measured there (engine.tts.
kokoro_openings). Timings are noisy on a shared machine: say the load beside them.

    .venv/bin/python benchmarks/kokoro_pace.py [--speaker zm_yunxi] [--runs 1] [--cover 0.9]
        [--save replies.json | --load replies.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from engine.audio.pauses import PauseLimiter  # noqa: E402
from engine.tts.intelligibility import pack_replies  # noqa: E402
from engine.tts.kokoro import KokoroTTS  # noqa: E402
from engine.tts.kokoro_openings import DEFAULT_OPENING, HOLDS  # noqa: E402
from engine.tts.pacing import Pace, opening_hold_s  # noqa: E402
from engine.tts.sentences import spoken_weight  # noqa: E402
from engine.voices import model_folder  # noqa: E402

#: How late a piece may come (s): the default of :func:`engine.tts.pacing.opening_hold_s`.
SLACK_S = 0.05


@dataclass(frozen=True, slots=True)
class Streamed:
    """One reply made piece by piece: per piece its spoken weight, make and heard seconds,
    the process's CPU seconds making it (less inflated by a busy machine than the wall clock)
    and its phoneme tokens (the model's input length)."""

    text: str
    weights: list[int]
    make_s: list[float]
    heard_s: list[float]
    cpu_s: list[float]
    tokens: list[int]


def stream(tts: KokoroTTS, text: str) -> Streamed:
    """Synthesize ``text``'s pieces back to back (unheld) and time them."""
    pieces = tts.split(text)
    limiter = PauseLimiter()
    make, heard, cpu = [], [], []
    for piece in pieces:
        t0, c0 = time.perf_counter(), time.process_time()
        chunk = tts.synthesize_sentence(piece, "zh")
        make.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        pcm, _ = limiter.limit(np.frombuffer(chunk.pcm, np.int16), chunk.sample_rate)
        heard.append(pcm.size / chunk.sample_rate)
    weights = [spoken_weight(p) for p in pieces]
    tokens = [tts.token_count(p) for p in pieces]
    return Streamed(text, weights, make, heard, cpu, tokens)


def needed_hold_s(reply: Streamed, slack_s: float = SLACK_S) -> float:
    """The least hold (s) of the first piece after which no later piece comes more than
    ``slack_s`` after the audio ahead of it ran out (0 for a one-piece reply)."""
    ready = ahead = hold = 0.0
    for k in range(1, len(reply.weights)):
        ready += reply.make_s[k]
        ahead += reply.heard_s[k - 1]
        hold = max(hold, ready - ahead - slack_s)
    return hold


def predicted_hold_s(
    reply: Streamed, pace: Pace, by_tokens: bool = False, slack_s: float = SLACK_S
) -> float:
    """The hold :func:`opening_hold_s` gives this reply from its first piece's make time, the
    pieces' costs sized by their phoneme tokens or by their weight (as the voice sizes them)."""
    return opening_hold_s(
        reply.weights,
        reply.make_s[0],
        reply.heard_s[0],
        pace,
        costs=reply.tokens if by_tokens else None,
        slack_s=slack_s,
    )


def compare(replies: list[Streamed], pace: Pace, label: str, by_tokens: bool = False) -> None:
    """Print predicted against needed holds over ``replies`` (multi-piece ones)."""
    rows = [
        (predicted_hold_s(r, pace, by_tokens), needed_hold_s(r))
        for r in replies
        if len(r.weights) > 1
    ]
    if not rows:
        return
    short = [n - p for p, n in rows if n > p + 1e-9]
    print(
        f"{label}: {len(rows)} multi-piece replies; hold predicted median "
        f"{1e3 * statistics.median(p for p, _ in rows):.0f} ms (mean "
        f"{1e3 * statistics.mean(p for p, _ in rows):.0f}), needed median "
        f"{1e3 * statistics.median(n for _, n in rows):.0f} ms (mean "
        f"{1e3 * statistics.mean(n for _, n in rows):.0f}); short in {len(short)} "
        f"(most {1e3 * max(short, default=0.0):.0f} ms), excess mean "
        f"{1e3 * statistics.mean(max(0.0, p - n) for p, n in rows):.0f} ms"
    )


def fit(replies: list[Streamed], base: Pace, cover: float, by_tokens: bool = False) -> Pace:
    """The voice's pace refit on ``replies``: ``heard_extra`` and ``weight_s`` by least
    squares on heard seconds = ``weight_s * (w + heard_extra)``, ``overhead`` from CPU
    seconds = ``a + b * size`` (``a / b`` in the cost unit: phoneme tokens, or weights unless
    ``by_tokens``; a busy machine's wall clock scatters), and the least ``start_slowdown``
    (0.8-2.0, steps of 0.05) whose predicted holds cover the needed ones in ``cover`` of the
    multi-piece replies (here, with nothing else running, that is the margin the make times'
    noise needs)."""
    pieces = [
        (w, t, h, c)
        for r in replies
        for w, t, h, c in zip(r.weights, r.tokens, r.heard_s, r.cpu_s, strict=True)
    ]
    w, tokens, heard, cpu = (np.array(c, float) for c in zip(*pieces, strict=True))
    slope, intercept = np.polyfit(w, heard, 1)
    per_size, fixed = np.polyfit(tokens if by_tokens else w, cpu, 1)
    pace = replace(
        base,
        weight_s=round(float(slope), 4),
        heard_extra=round(float(intercept / slope), 1),
        overhead=round(float(fixed / per_size), 1),
    )
    multi = [r for r in replies if len(r.weights) > 1]
    need = np.array([needed_hold_s(r) for r in multi])
    best = (-1.0, pace)
    for slowdown in np.arange(0.8, 2.01, 0.05):
        trial = replace(pace, start_slowdown=round(float(slowdown), 2))
        covered = float(
            np.mean(
                [
                    predicted_hold_s(r, trial, by_tokens) + 1e-9 >= n
                    for r, n in zip(multi, need, strict=True)
                ]
            )
        )
        if covered >= cover:
            return trial
        best = max(best, (covered, trial), key=lambda b: b[0])
    print(f"no start_slowdown up to 2.0 covers {cover:.0%} of the replies; {best[0]:.0%} at most")
    return best[1]


def spread(replies: list[Streamed]) -> None:
    """Print how well the first piece predicts the second: measured over predicted make time
    (wall and CPU), the prediction scaled by spoken weight and by phoneme tokens, each plus
    the overhead of a straight line through the pieces' CPU times in that unit."""
    pairs = [r for r in replies if len(r.weights) > 1]
    cpu = [c for r in replies for c in r.cpu_s]
    for size in ("weights", "tokens"):
        per_size, fixed = np.polyfit([x for r in replies for x in getattr(r, size)], cpu, 1)
        extra = fixed / per_size
        for clock in ("make_s", "cpu_s"):
            q = [
                getattr(r, clock)[1]
                / getattr(r, clock)[0]
                / ((getattr(r, size)[1] + extra) / (getattr(r, size)[0] + extra))
                for r in pairs
            ]
            print(
                f"  second piece measured / predicted by {size} + {extra:4.1f} {clock:6s}: "
                f"median {statistics.median(q):.2f}, 80th {np.percentile(q, 80):.2f}, 90th "
                f"{np.percentile(q, 90):.2f} ({len(q)} replies)"
            )


def save(path: Path, made: dict[str, list[Streamed]]) -> None:
    """Write the measured replies as JSON (for refitting without synthesizing again)."""
    path.write_text(json.dumps({k: [asdict(r) for r in v] for k, v in made.items()}), "utf-8")


def load(path: Path) -> dict[str, list[Streamed]]:
    """Read replies written by :func:`save`."""
    data = json.loads(path.read_text("utf-8"))
    return {k: [Streamed(**r) for r in v] for k, v in data.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speaker", default=None, help="Kokoro speaker (default: the voice's)")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--cover", type=float, default=0.9)
    parser.add_argument("--verbose", action="store_true", help="print every reply")
    parser.add_argument("--save", type=Path, help="write the measured replies here (JSON)")
    parser.add_argument("--load", type=Path, help="refit replies written by --save")
    args = parser.parse_args()
    pace = HOLDS[DEFAULT_OPENING]
    assert pace is not None
    if args.load:
        made = load(args.load)
    else:
        kwargs = {"voice": args.speaker} if args.speaker else {}
        tts = KokoroTTS(model_folder("kokoro-82m"), opening=DEFAULT_OPENING, **kwargs)
        tts.warm_up()
        print(f"speaker {tts.voice}, opening {DEFAULT_OPENING}, load {os.getloadavg()[0]:.1f}")
        samples = {
            "fit (samples 1-3 of 4)": [r for o in (1, 2, 3) for r in pack_replies("zh", offset=o)],
            "scored (sample 0 of 4)": pack_replies("zh"),
        }
        made = {
            name: [stream(tts, r.text) for _ in range(args.runs) for r in replies]
            for name, replies in samples.items()
        }
        print(f"load after {os.getloadavg()[0]:.1f}")
        if args.save:
            save(args.save, made)
    for name, replies in made.items():
        compare(replies, pace, f"{name}, pace now")
        spread(replies)
        if args.verbose:
            for r in replies:
                print(
                    f"  w {r.weights} make ms {[round(1e3 * m) for m in r.make_s]} heard ms "
                    f"{[round(1e3 * h) for h in r.heard_s]} hold pred "
                    f"{1e3 * predicted_hold_s(r, pace):.0f} need {1e3 * needed_hold_s(r):.0f}"
                )
    for by_tokens in (False, True):
        unit = "tokens" if by_tokens else "weight"
        fitted = fit(made["fit (samples 1-3 of 4)"], pace, args.cover, by_tokens)
        print(f"refit, cost by {unit} ({args.cover:.0%} covered): {fitted}")
        for name, replies in made.items():
            compare(replies, fitted, f"{name}, refit by {unit}", by_tokens)
    return 0


if __name__ == "__main__":
    sys.exit(main())
