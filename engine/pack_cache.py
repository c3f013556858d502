"""``python -m engine.pack_cache``: embed every installed domain pack's lines into the
embedding cache (:func:`engine.embeddings.embedding_cache_dir`) ahead of the first start.

``make setup`` runs it after ``dhe models``: a fresh clone's first ``dhe serve`` would otherwise
spend minutes (on a loaded 2-core machine) embedding the packs' training lines and knowledge-base
sentences before it is ready. Safe to run at any time and to interrupt: the cache holds pack text
only, is written atomically, and is rebuilt when unreadable; a warm cache makes this a few seconds.
Uses the default config's ``dialog.embedding_model`` (with ``DHE_*`` variables applied).
"""

from __future__ import annotations

import sys
import time
from functools import partial
from pathlib import Path

from dialog import DialogEngine, PackError
from dialog.embedding import embedding_progress
from dialog.pack import known_packs


def _progress(domain: str, done: int, total: int) -> None:
    """A pack embeds its lines in several batches (intent examples, knowledge base …):
    ``total`` is the current batch's, so the line says so (it grew from 723 to 1183)."""
    print(f"  {domain}: embedding a batch of {total} lines: {done} done", flush=True)


def _cache_state(cache_dir: Path | None) -> dict[str, tuple[int, int]]:
    """``{file name: (mtime ns, size)}`` of the embedding cache's files (empty: no cache)."""
    if cache_dir is None or not cache_dir.is_dir():
        return {}
    return {p.name: (p.stat().st_mtime_ns, p.stat().st_size) for p in cache_dir.glob("*.npz")}


def main() -> int:
    """Embed each pack's lines; prints one line per pack (and progress every ~10 s).

    Returns:
        0, or 1 when the config, the encoder or a pack cannot be loaded (the reason on stderr;
        the first ``dhe serve`` then embeds the lines itself, or says what is wrong).
    """
    from engine.config import ConfigError, load_config
    from engine.embeddings import EmbeddingError, section_reranker, sentence_encoder

    try:
        cfg = load_config(None).dialog
        encoder = sentence_encoder(cfg.embedding_model)
        reranker = section_reranker(cfg.rerank_model)
    except (ConfigError, EmbeddingError) as exc:
        print(f"embedding cache not built: {exc}", file=sys.stderr)
        return 1
    if encoder is None:  # embeddings off, or the default model not unpacked
        return 0
    cache_dir = getattr(encoder, "cache_dir", None)
    for domain in known_packs(cfg.packs_dir):
        t0, before = time.perf_counter(), _cache_state(cache_dir)
        embedding_progress.set(partial(_progress, domain))
        try:  # no connector: loading a pack calls no business system
            DialogEngine.load(domain, None, cfg.packs_dir, encoder=encoder, reranker=reranker)  # type: ignore[arg-type]
        except PackError as exc:
            print(f"embedding cache: pack {domain} not loaded: {exc}", file=sys.stderr)
            return 1
        took_s = time.perf_counter() - t0
        if before and _cache_state(cache_dir) == before:  # nothing new was written
            print(f"  {domain}: pack lines read from the cache in {took_s:.0f} s", flush=True)
        else:
            print(f"  {domain}: pack lines embedded in {took_s:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
