"""Per voice: first-audio latency, real-time factor and intelligibility (CER / WER).

For each offline voice (Kokoro-82M for Mandarin, Piper joe for English):

* first audio: ms from handing the reply text to the streaming provider to its first chunk
  (a clause or sentence piece), over the packs' replies; best and median of ``--runs``, and
  the process's CPU ms until then (all threads), which a shared machine inflates less;
* RTF: synthesis seconds / seconds of audio, whole replies, on this CPU (and the process's CPU
  seconds per audio second, which a busy machine inflates less than the wall clock);
* CER (zh) or WER (en): the same replies transcribed by the project's ASR
  (engine.tts.intelligibility; the intelligibility test asserts on the same figures).

Wall-clock figures are noisy on a shared machine: run on a quiet one, or read the best.

    .venv/bin/python benchmarks/tts.py [--runs 3] [--voices zh,en] [--no-asr]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from engine.config import EngineConfig  # noqa: E402
from engine.hearing import Hearing  # noqa: E402
from engine.tts.intelligibility import pack_replies, report, speak_and_hear  # noqa: E402
from engine.voices import Voices  # noqa: E402


async def _first_audio_s(tts, text: str, language: str) -> tuple[float, float]:
    """Wall and process CPU seconds from the reply text to its first chunk."""
    t0, p0 = time.perf_counter(), time.process_time()
    async for _chunk in tts.synthesize(text, language):
        return time.perf_counter() - t0, time.process_time() - p0
    return float("nan"), float("nan")


def measure(language: str, runs: int, asr: bool) -> None:
    """Print the three figures for the configured offline voice of ``language``."""
    config = EngineConfig()
    t0 = time.perf_counter()
    tts = Voices(config.tts).for_language(language)
    load_s = time.perf_counter() - t0
    replies = pack_replies(language)
    name = type(tts).__name__
    first_ms: list[float] = []
    first_cpu_ms: list[float] = []
    for _ in range(runs):
        for reply in replies:
            wall_s, cpu_s = asyncio.run(_first_audio_s(tts, reply.text, language))
            first_ms.append(1000 * wall_s)
            first_cpu_ms.append(1000 * cpu_s)
    rtfs: list[float] = []
    cpu_rtfs: list[float] = []  # process CPU seconds per audio second (all threads)
    for reply in replies:
        c0, p0 = time.perf_counter(), time.process_time()
        chunks = tts.synthesize_all(reply.text, language)
        audio_s = sum(c.duration_s for c in chunks)
        rtfs.append((time.perf_counter() - c0) / audio_s)
        cpu_rtfs.append((time.process_time() - p0) / audio_s)
    print(f"{language} {name}: load + warm-up {load_s:.1f} s")
    print(
        f"{language} {name}: first audio ms  best {min(first_ms):.0f}  "
        f"median {statistics.median(first_ms):.0f}  worst {max(first_ms):.0f}  "
        f"({len(replies)} replies x {runs} runs; CPU ms median "
        f"{statistics.median(first_cpu_ms):.0f})"
    )
    print(
        f"{language} {name}: RTF  best {min(rtfs):.3f}  median {statistics.median(rtfs):.3f}  "
        f"worst {max(rtfs):.3f}  (CPU s per audio s: median {statistics.median(cpu_rtfs):.3f})"
    )
    if asr:
        hearing = Hearing(config).asr_for(language)
        scores = speak_and_hear(tts, hearing, replies, language)
        metric = "CER" if language == "zh" else "WER"
        print(report(scores, f"{language} {name} {metric}"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--voices", default="zh,en", help="languages, comma-separated")
    parser.add_argument("--no-asr", action="store_true", help="skip the CER/WER part")
    args = parser.parse_args()
    for language in args.voices.split(","):
        measure(language.strip(), args.runs, not args.no_asr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
