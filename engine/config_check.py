"""What ``dhe config check`` checks beyond the schema: settings that name things outside the
file (today ``dialog.embedding_model``), without loading any model. The schema and loading are
:mod:`engine.config`'s.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from engine.config_file import read_mapping

if TYPE_CHECKING:
    from engine.config import EngineConfig

_EMBEDDING_ENV = "DHE_DIALOG__EMBEDDING_MODEL"


def check_references(config: EngineConfig) -> list[str]:
    """Problems with settings that name things outside the file, checked without loading any
    model: today ``dialog.embedding_model`` (a ``dhe models`` embedding model, an existing
    folder, or ``off``/``none``).

    Returns:
        One ``path: message`` per problem (the path is the ``DHE_*`` variable when the value
        came from the environment); empty when all is well.
    """
    return _embedding_model_problems(config.dialog.embedding_model)


def check_raw_references(path: str | Path, reported: list[str]) -> list[str]:
    """:func:`check_references` for a file that failed validation (``ConfigError``), on its
    raw values, so ``dhe config check`` reports every error at once.

    Args:
        path: the config file (a readable YAML mapping).
        reported: the validation problems already found (a setting named there is skipped).

    Returns:
        One ``path: message`` per problem; empty when all is well or nothing can be checked.
    """
    value = os.environ.get(_EMBEDDING_ENV)
    if value is None:
        dialog = read_mapping(Path(path)).get("dialog")
        value = dialog.get("embedding_model") if isinstance(dialog, dict) else None
    named = ("dialog.embedding_model:", f"{_EMBEDDING_ENV} ")
    if not isinstance(value, str) or any(p.startswith(named) for p in reported):
        return []
    return _embedding_model_problems(value)


def _embedding_model_problems(value: str) -> list[str]:
    from dialog.embedding import EmbeddingError
    from engine.embeddings import resolve_spec

    env = _EMBEDDING_ENV
    setting = f"{env} (environment)" if env in os.environ else "dialog.embedding_model"
    try:
        resolve_spec(value, setting=setting)
    except EmbeddingError as exc:
        return [str(exc)]
    return []
