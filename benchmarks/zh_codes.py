"""How well the Mandarin voice's letter/digit codes are heard: only the dev replies (template
offsets 1-3 of every 4, never the test's 0) whose text holds a Latin letter next to a digit
(K-3F07A2C1, T000135, AP0042 ...), spoken by Kokoro and heard by the Mandarin ASR.

Usage: ``.venv/bin/python benchmarks/zh_codes.py [--speaker zm_yunxi] [--pitch-range 1.6]``
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.config import EngineConfig
from engine.hearing import Hearing
from engine.tts.intelligibility import pack_replies, speak_and_hear
from engine.tts.kokoro import KokoroTTS
from engine.tts.zh_g2p import to_phonemes
from engine.voices import model_folder

_CODE = re.compile(r"[A-Za-z][-\w]*\d|\d[-\w]*[A-Za-z]")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speaker", default="zm_yunxi")
    parser.add_argument("--pitch-range", type=float, default=1.6)
    args = parser.parse_args()
    replies = [r for o in (1, 2, 3) for r in pack_replies("zh", offset=o) if _CODE.search(r.text)]
    tts = KokoroTTS(model_folder("kokoro-82m"), voice=args.speaker, tones=False,
                    pitch_range=args.pitch_range)  # fmt: skip
    scores = speak_and_hear(tts, Hearing(EngineConfig()).asr_for("zh"), replies, "zh")
    for s in scores:
        print(f"{s.error:6.1%}  {s.reply.domain}/{s.reply.name}  {s.reply.text}  ->  {s.heard}")
        print(f"        {to_phonemes(s.reply.text)}")
    print(f"{len(scores)} code replies, CER mean {statistics.mean(s.error for s in scores):.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
