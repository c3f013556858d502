"""Which Mandarin speaker of Kokoro-82M does a listener understand best? Every native Mandarin
voice pack (``zf_*``, ``zm_*``) speaks the packs' replies, the project's Mandarin ASR
(engine.hearing: Whisper ``base`` + OpenCC) transcribes them, and the character error rate is
printed per speaker, with the tone reshaping (engine.tts.zh_tones) on and off, and for a
native speaker (tones off) at each pitch range asked for (``engine.tts.zh_tones.widen_pitch``).

The replies are a sample disjoint from the one the intelligibility test scores (every 4th
template from the 3rd on, not from the 1st), so the choice is not fitted to the test's figure;
``benchmarks/tts.py`` then reports the chosen default on the test's own sample.

    .venv/bin/python benchmarks/zh_speakers.py [--speakers zf_xiaoxiao,zm_yunxi] [--tones on,off]
        [--pitch-ranges 1.3,1.6,2.0] [--offsets 1,2,3] [--per-tone]

``--offsets 1,2,3`` takes every template the test does not score (69 replies, ~6 min a setting
on 2 loaded cores). ``--per-tone`` adds the characters the ASR missed by their lexical tone (1-4,
0 neutral), to see whether a change to the pitch helps the tone it aims at.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from engine.config import EngineConfig  # noqa: E402
from engine.hearing import Hearing  # noqa: E402
from engine.tts.intelligibility import missed_by_tone, pack_replies, speak_and_hear  # noqa: E402
from engine.tts.kokoro import KokoroTTS, load_voice_packs  # noqa: E402
from engine.tts.zh_tones import PITCH_RANGE  # noqa: E402
from engine.voices import model_folder  # noqa: E402

#: The choice sample: every 4th template from the 3rd (the test scores those from the 1st).
CHOICE_OFFSET = 2


def per_tone(scores) -> str:
    """``tone 1 7.9 % (19/239)  tone 2 …``: the reference characters the ASR missed, summed
    over the replies by lexical tone (:func:`engine.tts.intelligibility.missed_by_tone`)."""
    totals: dict[int, list[int]] = {}
    for score in scores:
        for tone, (missed, total) in missed_by_tone(score.reply.text, score.heard).items():
            pair = totals.setdefault(tone, [0, 0])
            pair[0] += missed
            pair[1] += total
    return "  ".join(
        f"tone {tone} {missed / total:.1%} ({missed}/{total})"
        for tone, (missed, total) in sorted(totals.items())
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speakers", default="", help="comma-separated; default: zf_*, zm_*")
    parser.add_argument("--tones", default="off,on", help="tone reshaping: on, off or both")
    parser.add_argument(
        "--pitch-ranges", default=str(PITCH_RANGE), help="comma-separated widen_pitch factors"
    )
    parser.add_argument(
        "--offsets", default=str(CHOICE_OFFSET), help="template offsets (of 4); 0 is the test's"
    )
    parser.add_argument(
        "--verbose", action="store_true", help="print the 5 worst replies' transcripts"
    )
    parser.add_argument(
        "--every-reply",
        action="store_true",
        help="print every reply's CER and transcript (name order), to pair two runs reply by reply",
    )
    parser.add_argument(
        "--per-tone", action="store_true", help="print the characters missed per lexical tone"
    )
    args = parser.parse_args()
    folder = model_folder("kokoro-82m")
    speakers = [s for s in args.speakers.split(",") if s] or sorted(
        s for s in load_voice_packs(folder) if s.startswith(("zf_", "zm_"))
    )
    offsets = [int(o) for o in args.offsets.split(",")]
    if 0 in offsets:
        print("warning: offset 0 is the sample the intelligibility test scores", file=sys.stderr)
    replies = [r for o in offsets for r in pack_replies("zh", offset=o)]
    asr = Hearing(EngineConfig()).asr_for("zh")
    print(f"{len(replies)} replies (templates {args.offsets} of every 4 of each pack)")
    settings = [
        (tones, float(r) if tones == "off" else PITCH_RANGE)
        for tones in args.tones.split(",")
        for r in (args.pitch_ranges.split(",") if tones == "off" else [PITCH_RANGE])
    ]
    for speaker in speakers:
        for tones, pitch_range in settings:
            tts = KokoroTTS(folder, voice=speaker, tones=tones == "on", pitch_range=pitch_range)
            c0 = time.process_time()
            scores = speak_and_hear(tts, asr, replies, "zh")
            errors = [s.error for s in scores]
            worst = max(scores, key=lambda s: s.error)
            print(
                f"{speaker:12s} tones {tones:3s} range {pitch_range:.1f}  CER mean {statistics.mean(errors):6.1%}  "
                f"median {statistics.median(errors):6.1%}  worst {worst.error:6.1%} "
                f"({worst.reply.name})  replies > 15 %: {sum(e > 0.15 for e in errors):2d}  "
                f"CPU {time.process_time() - c0:.0f} s",
                flush=True,
            )
            if args.per_tone:
                print("    missed by tone: " + per_tone(scores), flush=True)
            if args.verbose:
                for s in sorted(scores, key=lambda s: -s.error)[:5]:
                    print(f"    {s.error:6.1%}  {s.reply.text}  →  {s.heard}")
            if args.every_reply:
                for s in sorted(scores, key=lambda s: s.reply.name):
                    print(
                        f"    {s.error:6.1%}  {s.reply.domain}/{s.reply.name}  {s.reply.text}  →  {s.heard}"
                    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
