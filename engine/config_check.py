"""What ``dhe config check`` checks beyond the schema: settings that name things outside the
file (the ``dialog.domain`` pack's contents, ``dialog.embedding_model``, ``asr.models``,
``avatar.model``, a Kokoro voice's model and ``speaker``), without loading any model: each of
them otherwise stops ``dhe serve``'s start-up.
The schema and loading are :mod:`engine.config`'s.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import TYPE_CHECKING

from engine.config_file import read_mapping

if TYPE_CHECKING:
    from engine.config import EngineConfig


def check_references(config: EngineConfig) -> list[str]:
    """Problems with settings that name things outside the file, checked without loading any
    model: the ``dialog.domain`` pack itself (its YAML and checks), ``dialog.embedding_model``
    and ``dialog.rerank_model`` (a ``dhe models`` embedding model, an existing folder, or
    ``off``/``none``), each ``asr.models`` entry (a folder with ``model.bin`` or a manifest
    name, unless ``asr.allow_download``), ``avatar.model`` (``default`` or an existing file),
    each Kokoro voice's model (a manifest name or a folder) and ``speaker`` (one of its
    voice packs, when the model is unpacked), and each Piper voice (a manifest name or an
    ``.onnx`` file).

    Returns:
        One ``path: message`` per problem (the path is the ``DHE_*`` variable when the value
        came from the environment); empty when all is well.
    """
    return [
        *_pack_problems(config),
        *_embedding_model_problems(config.dialog.embedding_model),
        *_embedding_model_problems(config.dialog.rerank_model, "rerank_model"),
        *_asr_problems(config),
        *_avatar_problems(config),
        *_voice_problems(config),
    ]


def _pack_problems(config: EngineConfig) -> list[str]:
    """The configured pack's problems (``dialog.domain: pack 'x': FILE:LINE: message`` each),
    read as :func:`dialog.pack.load_pack` reads it: YAML and checks, no model, about a second.
    A broken pack passed ``dhe config check`` and stopped ``dhe serve`` only after its minutes
    of model warm-up (newcomer14)."""
    from dialog.pack import PackError, load_pack, pack_dir

    domain = config.dialog.domain
    try:
        load_pack(pack_dir(domain, config.dialog.packs_dir))
    except FileNotFoundError as exc:  # known when the config loaded; gone since
        return [f"{_where('dialog', 'domain')}: pack {domain!r}: {exc}"]
    except PackError as exc:
        return [f"{_where('dialog', 'domain')}: pack {domain!r}: {p}" for p in exc.problems]
    return []


def _where(*path: str) -> str:
    """``DHE_A__B (environment)`` when that variable set the value, else ``a.b``."""
    env = "DHE_" + "__".join(path).upper()
    if any(name.upper() == env for name in os.environ):
        return f"{env} (environment)"
    return ".".join(path)


def _asr_problems(config: EngineConfig) -> list[str]:
    from engine.models import load_manifest

    if config.asr.allow_download:
        return []
    manifest = load_manifest()
    whisper = sorted(n for n in manifest if n.startswith("whisper"))
    return [
        f"{_where('asr', 'models', lang)}: ASR model {name!r} is neither a model folder (with "
        f"model.bin) nor a `dhe models` name ({', '.join(n for n in whisper)})"
        for lang, name in config.asr.models.items()
        if name not in manifest and not (Path(name).expanduser() / "model.bin").is_file()
    ]


def _avatar_problems(config: EngineConfig) -> list[str]:
    model = config.avatar.model
    if model == "default" or Path(model).expanduser().is_file():
        return []
    return [f"{_where('avatar', 'model')}: no such avatar file: {model}"]


def _voice_problems(config: EngineConfig) -> list[str]:
    from engine.models import ModelError, load_manifest, model_path

    problems = []
    for lang, voice in config.tts.voices.items():
        if voice.provider == "piper":
            problems += _piper_problems(lang, voice.voice, load_manifest())
            continue
        if voice.provider != "kokoro":
            continue
        folder = Path(voice.voice).expanduser()
        if not folder.is_dir():
            if voice.voice not in load_manifest():
                problems.append(
                    f"{_where('tts', 'voices', lang, 'voice')}: Kokoro model {voice.voice!r} is "
                    "neither a folder nor a `dhe models` name"
                )
                continue
            try:
                folder = model_path(voice.voice)
            except ModelError:
                continue  # not unpacked yet: `dhe models` (setup) unpacks it
        speakers = _kokoro_speakers(folder)
        if not speakers:
            problems.append(
                f"{_where('tts', 'voices', lang, 'voice')}: {voice.voice!r} is no Kokoro model "
                "(no voice packs in it)"
            )
        elif voice.speaker and voice.speaker not in speakers:
            from engine.tts.kokoro import unknown_voice

            problems.append(
                f"{_where('tts', 'voices', lang, 'speaker')}: "
                + unknown_voice(voice.speaker, speakers, [lang])
            )
    return problems


def _piper_problems(lang: str, voice: str, manifest: dict) -> list[str]:
    """A Piper voice must be a ``dhe models`` name or an existing ``.onnx`` file (as
    :func:`engine.tts.model_paths.piper_model_path` resolves it): ``en_US-amy-medium`` passed
    the check, and the run then advised ``dhe models en_US-amy-medium``, which has no such
    model (newcomer11)."""
    path = Path(voice).expanduser()
    if path.suffix == ".onnx":
        return (
            []
            if path.is_file()
            else [f"{_where('tts', 'voices', lang, 'voice')}: no such Piper voice file: {voice}"]
        )
    if voice in manifest:
        return []
    piper = ", ".join(sorted(n for n in manifest if n.startswith("piper")))
    return [
        f"{_where('tts', 'voices', lang, 'voice')}: Piper voice {voice!r} is neither a "
        f"`dhe models` name ({piper}) nor an .onnx file"
    ]


def _kokoro_speakers(folder: Path) -> set[str]:
    """The voice pack names of a Kokoro model folder, read without loading the packs (the
    ``voices.npz`` index and ``voices/*.bin``, as :func:`engine.tts.kokoro.load_voice_packs`
    reads them); empty when it holds none or its index is unreadable, which
    :func:`_voice_problems` reports as no Kokoro model."""
    import numpy as np

    from engine.tts.kokoro import VOICES_DIR, VOICES_FILE

    names = {path.stem for path in (folder / VOICES_DIR).glob("*.bin")}
    try:
        with np.load(folder / VOICES_FILE) as packs:
            names.update(packs.files)
    except (OSError, ValueError):
        pass
    return names


def check_raw_references(path: str | Path, reported: list[str]) -> list[str]:
    """:func:`check_references` for a file that failed validation (``ConfigError``), so
    ``dhe config check`` reports every error at once: the file's values with each setting
    named in ``reported`` left out (its default then), validated again and checked; when that
    still fails (an invalid ``DHE_*`` variable, a setting inside a list), the raw
    ``dialog.embedding_model`` and ``dialog.rerank_model`` alone are checked.

    Args:
        path: the config file (a readable YAML mapping).
        reported: the validation problems already found (a setting named there is skipped).

    Returns:
        One ``path: message`` per problem; empty when all is well or nothing can be checked.
    """
    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    from engine.config import EngineConfig

    raw = copy.deepcopy(read_mapping(Path(path)))
    named = {problem.split(": ", 1)[0] for problem in reported}
    for setting in named:
        _drop(raw, setting.split("."))
    try:
        config = EngineConfig(**raw)
    except (ValidationError, SettingsError):
        return _raw_embedding_problems(raw, reported)
    return [p for p in check_references(config) if p.split(": ", 1)[0] not in named]


def _drop(raw: dict, keys: list[str]) -> None:
    """Remove ``raw[k0][k1]…`` where the path exists in nested mappings."""
    for key in keys[:-1]:
        raw = raw.get(key) if isinstance(raw, dict) else None
        if not isinstance(raw, dict):
            return
    if isinstance(raw, dict):
        raw.pop(keys[-1], None)


def _raw_embedding_problems(raw: dict, reported: list[str]) -> list[str]:
    """The raw ``dialog.embedding_model`` and ``dialog.rerank_model`` (or their ``DHE_*``
    variables), checked when the file cannot be validated, unless already reported."""
    problems: list[str] = []
    for key in ("embedding_model", "rerank_model"):
        env = f"DHE_DIALOG__{key.upper()}"
        value = os.environ.get(env)
        if value is None:
            dialog = raw.get("dialog")
            value = dialog.get(key) if isinstance(dialog, dict) else None
        named = (f"dialog.{key}:", f"{env} ")
        if isinstance(value, str) and not any(p.startswith(named) for p in reported):
            problems += _embedding_model_problems(value, key)
    return problems


def _embedding_model_problems(value: str, key: str = "embedding_model") -> list[str]:
    from dialog.embedding import EmbeddingError
    from engine.embeddings import resolve_spec

    env = f"DHE_DIALOG__{key.upper()}"
    setting = f"{env} (environment)" if env in os.environ else f"dialog.{key}"
    try:
        resolve_spec(value, setting=setting)
    except EmbeddingError as exc:
        return [str(exc)]
    return []
