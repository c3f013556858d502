"""The sentence encoder behind English intent recognition and knowledge-base search
(``dialog.embedding_model``), resolved from config once per process."""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from dialog.embedding import DEFAULT_MODEL, EmbeddingError, SentenceEncoder
from engine import models as model_store
from engine.paths import models_dir

log = logging.getLogger(__name__)

#: Values of ``dialog.embedding_model`` that turn embeddings off (n-grams and BM25 only).
OFF = frozenset({"", "off", "none"})


def embedding_cache_dir() -> Path:
    """Where pack-text embeddings are cached between runs: ``<models dir>/cache`` (derived from
    the packs' own text only; safe to delete)."""
    return models_dir() / "cache"


@functools.cache
def sentence_encoder(spec: str = DEFAULT_MODEL) -> SentenceEncoder | None:
    """Load the configured encoder (shared by every session and domain of the process).

    Args:
        spec: a manifest model name (unpacked by ``dhe models``), a folder path, or ``off``.

    Returns:
        The encoder, or ``None`` when turned off or when the *default* model has not been
        unpacked (a warning names the command that fetches it; NLU then uses n-grams alone).

    Raises:
        EmbeddingError: a configured folder or non-default model is missing or unreadable.
    """
    if spec.strip().lower() in OFF:
        return None
    path = Path(spec).expanduser()
    if not path.is_dir():
        if "/" in spec or spec.startswith((".", "~")):
            raise EmbeddingError(f"dialog.embedding_model: no such folder: {spec}")
        if spec not in model_store.load_manifest():
            raise EmbeddingError(
                f"dialog.embedding_model: {spec!r} is neither a folder nor a `dhe models` "
                f"embedding model (known: {DEFAULT_MODEL}; or 'off')"
            )
        try:
            path = model_store.model_path(spec)
        except model_store.ModelError as exc:
            if spec != DEFAULT_MODEL:
                raise EmbeddingError(f"dialog.embedding_model: {exc}") from exc
            log.warning("%s; intent recognition falls back to character n-grams alone", exc)
            return None
    return SentenceEncoder.load(path, cache_dir=embedding_cache_dir())
