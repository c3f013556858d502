"""Per-turn dialog time: p50 and p95 of ``DialogSession.handle_text`` over the packs' own
held-out lines, each the first turn of a fresh session (NLU with the configured sentence encoder,
knowledge-base search, the flow interpreter, reply rendering). No business system is started: a
turn that calls one (a booking listing free slots) is answered "unavailable" at once.

Prints, per pack and over all turns::

    bank dialog turn ms: p50 9.8 p95 14.1 (cpu p50 9.6 p95 13.9, 261 turns)

Wall time is what the visitor waits; CPU time (``time.process_time``: the whole process, so
the worker thread that reads the line and onnxruntime's own threads count) is what the turn
itself costs, and is the steadier figure on a shared machine. Nothing else runs in the process
while a turn is measured; BLAS runs on one thread, as in ``dhe`` (:func:`engine.cli.limit_blas_threads`).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from connectors.base import ConnectorUnavailable  # noqa: E402
from dialog.pack import DEFAULT_PACKS_DIR  # noqa: E402
from dialog.session import DialogEngine  # noqa: E402
from engine.cli import limit_blas_threads  # noqa: E402
from engine.config import load_config  # noqa: E402
from engine.embeddings import section_reranker, sentence_encoder  # noqa: E402


class NoSystems:
    """Stands in for the business systems: every call is unavailable (no I/O, no wait)."""

    async def call(self, op: str, params: dict, **_: object) -> None:
        raise ConnectorUnavailable(f"{op}: no business system in this benchmark")


def percentiles(values: list[float]) -> tuple[float, float]:
    """``(p50, p95)`` of ``values`` (inclusive quantiles)."""
    cuts = statistics.quantiles(values, n=20, method="inclusive")
    return statistics.median(values), cuts[18]


async def measure(engine: DialogEngine, lines: list[str]) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of each line as a fresh session's first turn."""
    wall, cpu = [], []
    for i, line in enumerate(lines):
        session = engine.new_session(f"bench-{i}")
        t0, c0 = time.perf_counter(), time.process_time()
        await session.handle_text(line)
        cpu.append((time.process_time() - c0) * 1000.0)
        wall.append((time.perf_counter() - t0) * 1000.0)
        session.close()
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", default="holdout", help="own set to read lines from")
    parser.add_argument(
        "--packs-dir", type=Path, default=DEFAULT_PACKS_DIR, help="packs to load (default: ours)"
    )
    args = parser.parse_args(argv)
    limit_blas_threads()  # as `dhe serve` / `dhe chat` run
    config = load_config().dialog
    encoder = sentence_encoder(config.embedding_model)
    reranker = section_reranker(config.rerank_model)
    all_wall, all_cpu = [], []
    for root in sorted(p.parent for p in args.packs_dir.glob("*/eval")):
        path = root / "eval" / f"{args.set}.csv"
        if not path.is_file():
            continue
        with path.open(encoding="utf-8", newline="") as fh:
            texts = [row["text"] for row in csv.DictReader(fh)]
        lines = [t for t in texts if not any(c.isdigit() for c in t)]
        engine = DialogEngine.load(
            root.name,
            connector=NoSystems(),  # type: ignore[arg-type]
            encoder=encoder,
            packs_dir=args.packs_dir,
            reranker=reranker,
        )
        asyncio.run(measure(engine, lines[:5]))  # warm-up
        wall, cpu = asyncio.run(measure(engine, lines))
        all_wall += wall
        all_cpu += cpu
        (w50, w95), (c50, c95) = percentiles(wall), percentiles(cpu)
        print(
            f"{root.name} dialog turn ms: p50 {w50:.1f} p95 {w95:.1f} "
            f"(cpu p50 {c50:.1f} p95 {c95:.1f}, {len(wall)} turns)"
        )
    (w50, w95), (c50, c95) = percentiles(all_wall), percentiles(all_cpu)
    print(f"all dialog turn ms: p50 {w50:.1f} p95 {w95:.1f} (cpu p50 {c50:.1f} p95 {c95:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
