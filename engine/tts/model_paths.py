"""Where a configured voice's model files are (``tts.voices.<lang>.voice``: a manifest name or
a path).

Kept apart from :mod:`engine.voices` (which builds the providers) so that
:mod:`engine.tts.prepared` can fingerprint a voice's files without importing the module that
imports it.
"""

from __future__ import annotations

from pathlib import Path

from engine import models as model_store
from engine.tts.base import TTSError


def piper_model_path(voice: str) -> Path:
    """Resolve a Piper voice: a manifest name (its folder's ``*.onnx``) or an ``.onnx`` path.

    Raises:
        TTSError: ``model-not-found`` naming the command that fixes it.
    """
    path = Path(voice).expanduser()
    if path.suffix == ".onnx":
        if not path.is_file():
            raise TTSError("model-not-found", f"Piper voice {path} does not exist")
        return path
    try:
        folder = model_store.model_path(voice)
    except model_store.ModelError as exc:
        raise TTSError("model-not-found", str(exc)) from exc
    found = sorted(folder.glob("*.onnx"))
    if not found:
        raise TTSError("model-not-found", f"no .onnx voice in {folder}")
    return found[0]


def model_folder(voice: str) -> Path:
    """Resolve a model folder: a manifest name (``kokoro-82m``) or a folder path.

    Raises:
        TTSError: ``model-not-found`` naming the command that fixes it.
    """
    path = Path(voice).expanduser()
    if path.is_dir():
        return path
    try:
        return model_store.model_path(voice)
    except model_store.ModelError as exc:
        raise TTSError("model-not-found", str(exc)) from exc
