"""Kokoro's decoder under other onnxruntime session options: is it the same audio, and is it
faster, on the first pieces of the packs' Mandarin replies (the held opening's first clause,
whose make time is the first audio).

Each option set below is a decoder session of the voice's own graph (static decoder, norms
weighted, squares as products); the feeds are the decoder inputs the voice itself builds for
the first piece of each reply (predictor, pitch, durations, tail shortened). Every variant is
first checked bit for bit against the voice's own options (``np.array_equal`` of the audio:
a variant that matches needs no CER run before it lands), then timed interleaved, piece by
piece, round by round, so that a shared machine's load falls on all variants alike. Printed
per round: each variant's wall and process-CPU time over the baseline's.

Session 17, under load ~12 (nice 10, 6 first pieces: every 6th reply of the test's own sample 0::4,
2 rounds), all four bit-identical to the baseline (2 intra-op threads, no spinning): spinning
1.52-1.59x the wall time, ``ORT_PARALLEL`` with 2 inter-op threads 1.65-1.70x, 1 intra-op thread
0.92-1.01x wall and 0.89-0.90x CPU (again on 2 first pieces of the 1::4 sample, load ~8-10:
spinning 1.26x wall, parallel 1.78x, 1 thread 0.78x wall, 0.91x CPU). On a loaded host one thread
is as fast; a quiet host is expected to favour two (run this there before changing ``threads``).

    .venv/bin/python benchmarks/kokoro_session_options.py [--offset 1] [--every 2] [--rounds 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from engine.tts.intelligibility import pack_replies  # noqa: E402
from engine.tts.kokoro import SPIN, KokoroTTS  # noqa: E402
from engine.tts.kokoro_decoder import static_decoder  # noqa: E402
from engine.tts.kokoro_graph import square_by_product, weigh_norms  # noqa: E402
from engine.tts.sentences import split_sentences  # noqa: E402

MODEL_DIR = REPO / "var" / "models" / "kokoro-82m"
#: Variants: name → (allow_spinning, intra-op threads (0: one per core), parallel executor).
VARIANTS = {
    "baseline": (SPIN, 0, False),
    "spin": ("1", 0, False),
    "threads1": (SPIN, 1, False),
    "parallel": (SPIN, 0, True),
}


def _feeds(offset: int, every: int) -> list[dict[str, np.ndarray]]:
    """The decoder feeds of the first piece of each reply of sample ``offset`` (every
    ``every``-th reply), recorded from the voice's own runs."""
    tts = KokoroTTS(MODEL_DIR)
    real, got = tts._decoder, []

    class _Recorder:
        def run(self, names, feed):
            got.append({k: np.array(v) for k, v in feed.items()})
            return real.run(names, feed)

    tts._decoder = _Recorder()
    for reply in pack_replies("zh", offset=offset)[::every]:
        tts.synthesize_sentence(split_sentences(reply.text, tts.split_config)[0], "zh")
    return got


def _session(graph: bytes, spin: str, threads: int, parallel: bool):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.add_session_config_entry("session.intra_op.allow_spinning", spin)
    if threads:
        options.intra_op_num_threads = threads
    if parallel:
        options.execution_mode = ort.ExecutionMode.ORT_PARALLEL
        options.inter_op_num_threads = 2
    return ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--offset", type=int, default=1, help="sample (0 is the test's)")
    parser.add_argument("--every", type=int, default=2, help="take every n-th reply")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    feeds = _feeds(args.offset, args.every)
    graph = square_by_product(weigh_norms(static_decoder(MODEL_DIR)))
    sessions = {name: _session(graph, *v) for name, v in VARIANTS.items()}
    ref = [sessions["baseline"].run(None, f)[0] for f in feeds]
    for name, session in sessions.items():
        same = all(
            np.array_equal(session.run(None, f)[0], r) for f, r in zip(feeds, ref, strict=True)
        )
        print(f"{name}: bit-identical to baseline: {same}", flush=True)
    wall = {name: 0.0 for name in sessions}
    cpu = dict(wall)
    for round_ in range(args.rounds):
        for feed in feeds:
            for name, session in sessions.items():
                t0, c0 = time.perf_counter(), time.process_time()
                session.run(None, feed)
                wall[name] += time.perf_counter() - t0
                cpu[name] += time.process_time() - c0
        ratios = ", ".join(
            f"{n} wall {wall[n] / wall['baseline']:.3f} cpu {cpu[n] / cpu['baseline']:.3f}"
            for n in sessions
        )
        print(f"round {round_} ({len(feeds)} pieces, cumulative): {ratios}", flush=True)


if __name__ == "__main__":
    main()
