"""What a prepared-replies cache file (:mod:`engine.tts.prepared`) is keyed on.

A cache file is keyed by a fingerprint of what shapes the audio and nothing else
(:func:`voice_fingerprint`), so a stale file is never served and an edit that cannot change the
audio (a docstring, a comment, a module off the synthesis path) keeps the file:

- the voice's config (provider, voice, speaker, length scale, opening, decoder …), the
  language and :data:`FORMAT_VERSION`;
- its model files (names and contents: :func:`content_digest`, a sha256 remembered per file
  by its size, mtime, ctime and inode, so byte-identical models in another folder or copied
  without their times keep the key, and ~160 MB of Kokoro is hashed once, not at every start);
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
import os
import sys
import threading
from collections.abc import Callable
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
#: model files (whose names and contents are keyed), or are the cache itself (its file
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


#: File (in the models' cache folder, beside the prepared replies) remembering each model
#: file's sha256 by its resolved path and stat: ``{path: [size, mtime_ns, ctime_ns, inode, hex]}``.
DIGESTS_FILE = "model-digests.json"
_digests_lock = threading.Lock()


def _digests_path() -> Path:
    """``<models dir>/cache/model-digests.json`` (:func:`engine.paths.models_dir`)."""
    from engine.paths import models_dir

    return models_dir() / "cache" / DIGESTS_FILE


def content_digest(path: Path) -> str:
    """Hex sha256 of a file's bytes, remembered in :data:`DIGESTS_FILE` under its resolved path
    with its size, mtime, ctime and inode: any of them changed (a rewrite changes the ctime
    even when the mtime is set back) and the file is hashed again. Hashing Kokoro's ~160 MB
    takes ~1 s (more on a busy machine), once per copy of the files; a remembered digest costs
    one ``stat``; entries of files gone are dropped. The memory file is an optimisation: unreadable, it is rebuilt; unwritable
    (a read-only install), every call hashes.

    Raises:
        OSError: ``path`` cannot be read.
    """
    from engine.models import sha256_file

    resolved = path.resolve()
    stat = resolved.stat()
    state = [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]
    memo_path = _digests_path()
    with _digests_lock:
        try:
            memo = json.loads(memo_path.read_text(encoding="utf-8"))
            if not isinstance(memo, dict):
                memo = {}
        except (OSError, ValueError):
            memo = {}
        known = memo.get(str(resolved))
        if isinstance(known, list) and len(known) == 5 and known[:4] == state:
            return str(known[4])
        digest = sha256_file(resolved)
        memo = {name: entry for name, entry in memo.items() if os.path.exists(name)}
        memo[str(resolved)] = [*state, digest]
        try:
            memo_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = memo_path.with_name(f"{memo_path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(memo, sort_keys=True, indent=0), encoding="utf-8")
            tmp.replace(memo_path)
        except OSError:
            pass
    return digest


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
    :data:`FORMAT_VERSION`, its model files' names and :func:`content_digest`, :func:`code_digest` of
    its provider's :data:`AUDIO_CODE`, the versions of its :data:`AUDIO_LIBRARIES` and
    Python's.

    Raises:
        engine.tts.base.TTSError: ``model-not-found``.
        OSError: a model file cannot be read.
        KeyError: not a prepared provider (not in :data:`AUDIO_CODE`).
    """
    return _fingerprint(voice_config, language, content_digest)


def legacy_fingerprint(voice_config: Any, language: str) -> str:
    """:func:`voice_fingerprint` as it was before model files were keyed by content: each
    file's size and mtime in their place. Only for carrying a store prepared under the old key
    over to the new one (:func:`engine.prepared_cache.prepare` renames it: the files it was
    prepared from are still there unchanged, as the old key trusted), so the change of key costs no re-synthesis (26 min for Mandarin under
    load).

    Raises:
        engine.tts.base.TTSError: ``model-not-found``.
        KeyError: not a prepared provider.
    """
    return _fingerprint(
        voice_config, language, lambda path: f"{path.stat().st_size} {path.stat().st_mtime_ns}"
    )


def _fingerprint(voice_config: Any, language: str, file_key: Callable[[Path], str]) -> str:
    """:func:`voice_fingerprint` with ``file_key(path) -> str`` keying each model file."""
    fields = _without_spin(voice_config.model_dump(mode="json"))
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
        digest.update(f"{path.name} {file_key(path)}\n".encode())
    for name in AUDIO_CODE[provider]:
        digest.update(f"{name} ".encode() + code_digest(_ROOT / name))
    return digest.hexdigest()


def _without_spin(fields: dict[str, Any]) -> dict[str, Any]:
    """``fields`` (a voice's settings as JSON) without ``spin`` at any depth: threads
    busy-waiting or not give the same audio (engine.tts.kokoro), in the voice itself and in a
    configured ``fallback`` voice alike."""
    return {
        name: _without_spin(value) if isinstance(value, dict) else value
        for name, value in fields.items()
        if name != "spin"
    }
