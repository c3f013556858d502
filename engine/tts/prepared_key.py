"""What a prepared-replies cache file (:mod:`engine.tts.prepared`) is keyed on.

A cache file is keyed by a fingerprint of what shapes the audio and nothing else
(:func:`voice_fingerprint`), so a stale file is never served and an edit that cannot change the
audio (a docstring, a comment, a module off the synthesis path) keeps the file:

- the voice's config (provider, voice, speaker, length scale, opening, decoder …), the
  language and :data:`FORMAT_VERSION`;
- its model files (names, sizes, mtimes: ``dhe models`` unpacks them, a new package is a new
  mtime);
- the code on the voice's synthesis path (:data:`AUDIO_CODE`), hashed as its syntax tree with
  docstrings dropped (:func:`code_digest`): comments, layout and documentation do not count,
  any change to what the code does does;
- the versions of the libraries the path runs (:data:`AUDIO_LIBRARIES`: the runtime, the
  G2P and its dictionaries) and of Python.

Why the synthesis path's source rather than a probe synthesis: a probe would cost a Kokoro run
(~0.3 s per language) at every server start and depends on bit-exact float output, while the
path is known and checked: ``tests/integration/test_prepared_key.py`` runs a real build and
synthesis per provider in a fresh interpreter, records every project module it executes and
every file it opens, and fails when one is neither listed in :data:`AUDIO_CODE` nor in
:data:`NOT_AUDIO_CODE` (code that finds the model files, keyed anyway, or is the cache itself), or a
library it runs is not in :data:`AUDIO_LIBRARIES` / :data:`NOT_AUDIO_LIBRARIES`.
"""

from __future__ import annotations

import ast
import hashlib
import json
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

#: Bump when the file layout changes (part of the fingerprint).
FORMAT_VERSION = 1
_ROOT = Path(__file__).resolve().parent.parent.parent
_SHARED_CODE = (
    "engine/voices.py",
    "engine/tts/__init__.py",
    "engine/tts/base.py",
    "engine/audio/__init__.py",
    "engine/audio/pauses.py",
    "engine/tts/sentences.py",
    "engine/tts/pacing.py",
    "avatar/__init__.py",
    "avatar/visemes.py",
    "avatar/phoneme_visemes.py",
)
#: Project modules (paths from the repository root) a prepared provider's audio and visemes
#: are made by: building the voice (:func:`engine.voices.build_voice`) and
#: :meth:`~engine.tts.base.SentenceTTS.synthesize_all`, and the modules they import (a module
#: whose body runs may hold a constant the path reads). Checked by a traced real synthesis.
AUDIO_CODE: dict[str, tuple[str, ...]] = {
    "kokoro": (
        *_SHARED_CODE,
        "engine/tts/kokoro.py",
        "engine/tts/kokoro_decoder.py",
        "engine/tts/kokoro_graph.py",
        "engine/tts/kokoro_openings.py",
        "engine/tts/kokoro_tokens.py",
        "engine/tts/zh_durations.py",
        "engine/tts/zh_g2p.py",
        "engine/tts/zh_text.py",
        "engine/tts/zh_tones.py",
    ),
    "piper": (*_SHARED_CODE, "engine/tts/piper.py"),
}
#: Project files the synthesis path runs or reads that cannot change a sample: they find the
#: model files (whose names, sizes and mtimes are keyed), or are the cache itself (its file
#: layout is :data:`FORMAT_VERSION`). Not keyed.
NOT_AUDIO_CODE = (
    "engine/tts/prepared.py",
    "engine/tts/prepared_key.py",
    "engine/paths.py",
    "connectors/paths.py",
    "engine/models.py",
    "engine/model_archives.py",
    "engine/tts/model_paths.py",
    "assets/models/manifest.yaml",
)
#: Distributions (PyPI names) whose code or data the synthesis path runs: their versions are
#: keyed (the ONNX runtime and graph tools, the G2P and its dictionaries).
AUDIO_LIBRARIES: dict[str, tuple[str, ...]] = {
    "kokoro": (
        "numpy",
        "onnxruntime",
        "onnx",
        "protobuf",
        "ml_dtypes",
        "jieba",
        "pypinyin",
        "misaki",
        "ordered-set",
    ),
    "piper": ("numpy", "onnxruntime", "onnx", "protobuf", "ml_dtypes", "piper-tts"),
}
#: Distributions the path runs that cannot change the audio: resource lookup (jieba finds its
#: dictionary through setuptools' pkg_resources), typing, the model manifest's YAML reader.
NOT_AUDIO_LIBRARIES = ("setuptools", "typing_extensions", "PyYAML")


def model_files(provider: str, voice: str) -> list[Path]:
    """The files a configured voice is read from (for :func:`voice_fingerprint`).

    Raises:
        engine.tts.base.TTSError: ``model-not-found``.
    """
    from engine.tts.model_paths import model_folder, piper_model_path

    if provider == "piper":
        onnx = piper_model_path(voice)
        return sorted(p for p in onnx.parent.iterdir() if p.is_file())
    folder = model_folder(voice)
    return sorted(p for p in folder.rglob("*") if p.is_file())


def _is_docstring(statement: ast.stmt) -> bool:
    """True for a bare string statement (a docstring when it opens a body)."""
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


def code_digest(path: Path) -> bytes:
    """sha256 of a Python module's behaviour as far as its source shows it: the syntax tree
    (:func:`ast.parse`, no line numbers) with every module, class and function docstring
    dropped, so comments, layout and documentation do not change it; any other edit does.

    Raises:
        OSError: unreadable file.
        SyntaxError: not Python.
    """
    tree = ast.parse(path.read_bytes(), filename=str(path))
    bodies = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    for node in ast.walk(tree):
        if isinstance(node, bodies) and node.body and _is_docstring(node.body[0]):
            node.body = node.body[1:] or [ast.Pass()]
    return hashlib.sha256(ast.dump(tree, include_attributes=False).encode()).digest()


def voice_fingerprint(voice_config: Any, language: str) -> str:
    """sha256 (hex) of what shapes a voice's audio and visemes: ``voice_config`` (a
    :class:`~engine.config.VoiceConfig`, as JSON; a Kokoro voice with no speaker keyed as
    :data:`engine.tts.kokoro.DEFAULT_SPEAKER`, which it speaks), the language,
    :data:`FORMAT_VERSION`, its model files' names, sizes and mtimes, :func:`code_digest` of
    its provider's :data:`AUDIO_CODE`, the versions of its :data:`AUDIO_LIBRARIES` and
    Python's.

    Raises:
        engine.tts.base.TTSError: ``model-not-found``.
        KeyError: not a prepared provider (not in :data:`AUDIO_CODE`).
    """
    fields = voice_config.model_dump(mode="json")
    provider = fields["provider"]
    if provider == "kokoro" and not fields.get("speaker"):
        from engine.tts.kokoro import DEFAULT_SPEAKER  # unset speaks as the default: one key

        fields["speaker"] = DEFAULT_SPEAKER
    digest = hashlib.sha256()
    digest.update(f"{FORMAT_VERSION} {language} {json.dumps(fields, sort_keys=True)}\n".encode())
    digest.update(f"python {sys.version_info[:3]}\n".encode())
    for dist in AUDIO_LIBRARIES[provider]:
        digest.update(f"{dist} {metadata.version(dist)}\n".encode())
    for path in model_files(provider, voice_config.voice):
        stat = path.stat()
        digest.update(f"{path.name} {stat.st_size} {stat.st_mtime_ns}\n".encode())
    for name in AUDIO_CODE[provider]:
        digest.update(f"{name} ".encode() + code_digest(_ROOT / name))
    return digest.hexdigest()
