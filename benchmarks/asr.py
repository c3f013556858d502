"""Speech recognition speed and accuracy per clip, English and Mandarin, before and after.

For every clip of ../shared/data/audio it decodes the whole clip (VAD-gated as the session does:
the speech span ± 150 ms) several times and prints CPU and wall time (best and median: the
machine may be shared, CPU time is the steadier figure) with the error rate against the
reference (English WER after the Whisper normaliser; Mandarin CER over Simplified characters;
only clips with a human or documented reference count towards the means, the others are
marked ``(model ref)``).

Paths measured:

* ``en`` — tiny.en on its 10 s window (unchanged; its WER must not get worse);
* ``zh/30s`` — before: multilingual ``base`` on Whisper's full 30 s window;
* ``zh/short`` — after: ``base`` on its configured short window (``asr.window_s.zh``, 8 s;
  speech + 2 s when longer);
* ``auto/before`` — the previous ``auto`` path, reproduced: tiny.en (retried on 30 s when its
  short decode loops), faster-whisper's 30 s language detection, ``base`` on 30 s;
* ``auto/after`` — :meth:`Hearing.transcribe` on ``auto`` now: tiny.en without the 30 s retry,
  a 5 s-window detection, ``base`` on its short window;
* ``session`` — a session whose language was detected early (during the turn, on its first
  second of speech; :class:`~engine.asr.language.SpokenLanguage`): the final decode alone,
  plus the detection's own CPU, spent before the end of speech.

Usage::

    .venv/bin/python benchmarks/asr.py [--runs 3] [--lang en,zh]
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from engine.asr.whisper import Transcript  # noqa: E402
from engine.audio.decode import load_audio  # noqa: E402
from engine.audio.vad import SileroVAD, SpeechSegmenter, speech_segments  # noqa: E402
from engine.config import EngineConfig  # noqa: E402
from engine.hearing import AUTO_EN_MIN_LOGPROB, Hearing  # noqa: E402
from tests.integration.test_asr_mandarin import cer  # noqa: E402
from tests.integration.test_asr_whisper import wer  # noqa: E402

SHARED = REPO.parent / "shared" / "data"
PAD = 2400  # 150 ms at 16 kHz, as vad.pad_ms


def speech(audio: np.ndarray) -> np.ndarray:
    """The speech span of a clip ± 150 ms (Silero + the default segmenter); ``audio`` and the
    result float32 (n,), 16 kHz mono."""
    segments = speech_segments(SileroVAD().process(audio), SpeechSegmenter())
    return audio[max(0, segments[0][0] - PAD) : segments[-1][1] + PAD]


def before_auto(hearing: Hearing, audio: np.ndarray) -> Transcript:
    """The ``auto`` path before this change (the previous ``Hearing.transcribe``)."""
    first = hearing.asr_for("en").transcribe(audio, language="en")
    confident = first.avg_logprob is not None and first.avg_logprob >= AUTO_EN_MIN_LOGPROB
    if first.text and confident:
        return first
    detected, _ = hearing.asr_for("zh").detect_language(audio)
    if detected != "zh":
        return first
    return hearing.asr_for("zh").transcribe(audio, language="zh")


def timed(fn: Callable[[], Transcript], runs: int) -> tuple[Transcript, list[float], list[float]]:
    """Call ``fn`` once to warm it, then ``runs`` times timed.

    Returns:
        The last transcript, the wall times and the CPU times (``time.process_time``) of the
        timed calls, in ms.
    """
    fn()  # warm (model load, first-call allocations)
    walls, cpus, result = [], [], None
    for _ in range(runs):
        c0, t0 = time.process_time(), time.perf_counter()
        result = fn()
        walls.append((time.perf_counter() - t0) * 1000)
        cpus.append((time.process_time() - c0) * 1000)
    assert result is not None
    return result, walls, cpus


def main() -> None:
    """Parse the flags and print, per language, the error rate and CPU ms of the old and
    the current decode windows over ../shared/data's clips (module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--lang", default="en,zh")
    args = parser.parse_args()
    before = Hearing(EngineConfig(asr={"window_s": {"en": 10.0}, "detect_window_s": 30.0}))
    after = Hearing(EngineConfig())
    with (SHARED / "audio" / "transcripts.tsv").open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh, delimiter="\t") if r["language"] in args.lang]
    scores: dict[str, list[float]] = {}
    cpu_all: dict[str, list[float]] = {}
    for row in rows:
        audio = speech(load_audio(SHARED / "audio" / row["file"]))
        labelled = row["reference_kind"].startswith(("human", "demo_reference", "known_text"))
        if row["language"] == "en":
            paths = {
                "en": lambda a=audio: after.transcribe(a, "en"),
                "auto/after": lambda a=audio: after.transcribe(a, "auto"),
            }
            score = wer
        else:
            paths = {
                "zh/30s": lambda a=audio: before.transcribe(a, "zh"),
                "zh/short": lambda a=audio: after.transcribe(a, "zh"),
                "auto/before": lambda a=audio: before_auto(before, a),
                "auto/after": lambda a=audio: after.transcribe(a, "auto"),
            }
            spoken = after.spoken_language("auto")
            spoken.detected(after.detect_language(audio[: 16_000 + PAD]))
            paths["session"] = lambda a=audio, s=spoken: after.transcribe_for(s, a)
            score = cer
        print(f"{row['file']}  ({len(audio) / 16000:.1f} s of speech)")
        for name, fn in paths.items():
            result, walls, cpus = timed(fn, args.runs)
            err = score(row["reference"], result.text)
            key = f"{row['language']} {name}"
            if labelled:
                scores.setdefault(key, []).append(err)
            cpu_all.setdefault(key, []).append(min(cpus))
            print(
                f"  {name:12s} {'WER' if score is wer else 'CER'} {err:6.1%}"
                f"{'' if labelled else ' (model ref)'}  CPU best {min(cpus):5.0f} ms "
                f"p50 {statistics.median(cpus):5.0f}  wall best {min(walls):5.0f} "
                f"p50 {statistics.median(walls):5.0f}  [{result.language}] {result.text}"
            )
        if row["language"] != "en":
            c0 = time.process_time()
            after.detect_language(audio[: 16_000 + PAD])
            print(
                f"  (early detection on the first 1.15 s: {(time.process_time() - c0) * 1000:.0f} ms CPU)"
            )
    print("\nmeans over the labelled clips (error) and all clips (best CPU ms):")
    for key, values in cpu_all.items():
        errs = scores.get(key, [])
        err = f"{statistics.mean(errs):6.1%} over {len(errs)}" if errs else "-"
        print(f"  {key:16s} error {err:>14s}   CPU {statistics.mean(values):5.0f} ms")


if __name__ == "__main__":
    main()
