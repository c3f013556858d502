"""The sentence encoder behind English intent recognition and knowledge-base search
(``dialog.embedding_model``), resolved from config once per process."""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from dialog.embedding import DEFAULT_MODEL, EmbeddingError, SentenceEncoder
from dialog.encoder_files import FOLDER_FILES, PACKED_FILE
from engine import models as model_store
from engine.paths import models_dir

log = logging.getLogger(__name__)

#: The default English section reranker (``dialog.rerank_model``): all-MiniLM-L6-v2, trained
#: on paraphrase and question pairs (sentence-transformers), a second view of what an English
#: question is about beside multilingual-e5 (:data:`dialog.kb.RERANK_WEIGHT`).
DEFAULT_RERANKER = "minilm-l6-v2"
#: Values of ``dialog.embedding_model`` that turn embeddings off (n-grams and BM25 only).
OFF = frozenset({"", "off", "none"})


def embedding_cache_dir() -> Path:
    """Where pack-text embeddings are cached between runs: ``<models dir>/cache`` (derived from
    the packs' own text only; safe to delete)."""
    return models_dir() / "cache"


def embedding_models() -> list[str]:
    """Names of the ``dhe models`` manifest entries that are sentence-embedding models (they
    unpack the files :meth:`dialog.embedding.SentenceEncoder.load` reads).

    Raises:
        engine.models.ModelError: the manifest is unreadable.
    """
    names = []
    for name, spec in model_store.load_manifest().items():
        files = {dest for dest, _ in spec.final_files()}
        if PACKED_FILE in files or set(FOLDER_FILES) <= files:
            names.append(name)
    return names


def resolve_spec(spec: str, *, setting: str = "dialog.embedding_model") -> Path | str | None:
    """Resolve a ``dialog.embedding_model`` value without loading or unpacking anything.

    Args:
        spec: a manifest model name, a folder path, or ``off``/``none``/empty (any case).
        setting: how error messages name the setting (e.g. the ``DHE_*`` variable).

    Returns:
        ``None`` when embeddings are turned off; the folder (a :class:`~pathlib.Path`) when
        ``spec`` names an existing one; else the manifest model name (it may still need
        ``dhe models``).

    Raises:
        EmbeddingError: a path-like value that names no folder, or a name that is neither a
            folder nor a manifest embedding model (the message lists the known names).
    """
    if spec.strip().lower() in OFF:
        return None
    path = Path(spec).expanduser()
    if path.is_dir():
        return path
    if "/" in spec or spec.startswith((".", "~")):
        raise EmbeddingError(f"{setting}: no such folder: {spec}")
    try:
        known = embedding_models()
    except model_store.ModelError as exc:
        raise EmbeddingError(f"{setting}: {exc}") from exc
    if spec not in known:
        raise EmbeddingError(
            f"{setting}: {spec!r} is neither a folder nor a `dhe models` embedding model "
            f"(known: {', '.join(known)}; or 'off')"
        )
    return spec


@functools.cache
def sentence_encoder(spec: str = DEFAULT_MODEL) -> SentenceEncoder | None:
    """Load the configured encoder (shared by every session and domain of the process).

    Args:
        spec: a manifest model name (unpacked by ``dhe models``), a folder path, or ``off``
            (resolved by :func:`resolve_spec`).

    Returns:
        The encoder, or ``None`` when turned off or when the *default* model has not been
        unpacked (a warning names the command that fetches it; NLU then uses n-grams alone).

    Raises:
        EmbeddingError: a configured folder or non-default model is missing or unreadable.
    """
    fallback = "intent recognition falls back to character n-grams alone"
    return _load(spec, DEFAULT_MODEL, "dialog.embedding_model", fallback)


@functools.cache
def section_reranker(spec: str = DEFAULT_RERANKER) -> SentenceEncoder | None:
    """Load the configured English section reranker (``dialog.rerank_model``, see
    :class:`dialog.kb.KnowledgeBase`), shared like :func:`sentence_encoder`.

    Args:
        spec: as :func:`sentence_encoder`.

    Returns:
        The encoder, or ``None`` when turned off or when the *default* model has not been
        unpacked (a warning names the command; sections are then chosen without it).

    Raises:
        EmbeddingError: a configured folder or non-default model is missing or unreadable.
    """
    fallback = "FAQ sections are chosen without the reranker"
    return _load(spec, DEFAULT_RERANKER, "dialog.rerank_model", fallback)


def _load(spec: str, default: str, setting: str, fallback: str) -> SentenceEncoder | None:
    resolved = resolve_spec(spec, setting=setting)
    if resolved is None:
        return None
    if isinstance(resolved, Path):
        path = resolved
    else:
        try:
            path = model_store.model_path(resolved)
        except model_store.ModelError as exc:
            if resolved != default:
                raise EmbeddingError(f"{setting}: {exc}") from exc
            log.warning("%s; %s", exc, fallback)
            return None
    return SentenceEncoder.load(path, cache_dir=embedding_cache_dir())
