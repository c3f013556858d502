"""``dhe converse`` before and after the session: its turns validated, its JSON rows.

Everything here runs without models: every input is checked before sandboxes, models and the
renderer start (a bad one exits 2 with one line naming it, and nothing is written), and the
``--json`` document's rows have their contract shape
``{"input", "transcript", "language", "intent", "reply", "timings_ms"}``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from dialog.types import MAX_TEXT_CHARS
from engine.audio.decode import AudioDecodeError, load_audio
from engine.config import DEFAULT_CONFIG_PATH, EngineConfig
from engine.outputs import UsageError


@dataclass(frozen=True, slots=True)
class TurnInput:
    """One visitor turn as given on the command line."""

    kind: Literal["audio", "text"]
    value: str
    audio: np.ndarray | None = field(default=None, compare=False, repr=False)


@dataclass(slots=True)
class TurnRecord:
    """One row of the ``--json`` document (``dhe converse --json``)."""

    input: str
    transcript: str
    language: str
    intent: str | None
    reply: str
    timings_ms: dict[str, float | None]

    def as_json(self) -> dict[str, Any]:
        """The contract shape: input, transcript, language, intent, reply, timings_ms."""
        return {
            "input": self.input,
            "transcript": self.transcript,
            "language": self.language,
            "intent": self.intent,
            "reply": self.reply,
            "timings_ms": self.timings_ms,
        }


def check_domain(domain: str, config: EngineConfig) -> None:
    """Fail fast on an unknown domain pack (before sandboxes and models start).

    Raises:
        UsageError: no such pack.
    """
    from dialog.pack import unknown_pack_message

    problem = unknown_pack_message(domain, config.dialog.packs_dir)
    if problem is not None:
        raise UsageError(f"--domain {domain[:64]}: {problem}")


def prepare_inputs(raw: list[tuple[str, str]]) -> list[TurnInput]:
    """Validate every turn before anything runs: text non-empty and short, audio decodable.

    Args:
        raw: ``(kind, value)`` pairs in command-line order, kind ``audio`` or ``text``.

    Raises:
        UsageError: no turns, an empty/oversized text, or an unreadable audio file.
    """
    if not raw:
        raise UsageError("give at least one --audio FILE or --text STR")
    turns: list[TurnInput] = []
    for kind, value in raw:
        if kind == "text":
            text = value.strip()
            if not text:
                raise UsageError("--text: empty text")
            if len(text) > MAX_TEXT_CHARS:
                raise UsageError(f"--text: longer than {MAX_TEXT_CHARS} characters")
            turns.append(TurnInput("text", text))
        else:
            if Path(value).is_dir():
                raise UsageError(f"--audio {value}: is a folder, give an audio file")
            try:
                turns.append(TurnInput("audio", value, load_audio(value)))
            except AudioDecodeError as exc:
                raise UsageError(f"--audio {exc}") from exc
    return turns


def known_failures() -> tuple[type[BaseException], ...]:
    """Typed failures whose message tells the operator what to do (the CLI prints one line).

    A function, not a constant: the classes live in the renderer's, ASR's, TTS's and
    connectors' modules, which the argument checks above must not import (``dhe converse``
    with a bad argument exits before any of them loads).
    """
    from avatar import AvatarLoadError
    from avatar.egl import RendererError
    from connectors.embedded import SandboxStartError
    from dialog.embedding import EmbeddingError
    from engine.asr.whisper import ASRError
    from engine.models import ModelError
    from engine.tts.base import TTSError

    return (
        ASRError,
        TTSError,
        ModelError,
        AvatarLoadError,
        RendererError,
        SandboxStartError,
        EmbeddingError,
        OSError,
    )


def setting_failure(exc: BaseException, config: EngineConfig, given: str | None) -> str | None:
    """The one-line usage error for a failure that a setting caused, naming the setting, or
    None for any other failure. Some settings are only found bad when their part loads (a
    Kokoro speaker, a model path, the avatar file): they are still bad settings (exit 2, the
    ``DHE_*`` variable named when one set it), not internal failures.

    Args:
        exc: what stopped the session (one of :func:`known_failures`).
        config: the config the session ran with.
        given: the ``--config`` value, or None.
    """
    from avatar import AvatarLoadError
    from engine.asr.whisper import ASRError
    from engine.models import load_manifest
    from engine.tts.base import TTSError

    if isinstance(exc, TTSError) and exc.code == "bad-setting":
        setting, message = "tts.voices", exc.message
    elif isinstance(exc, TTSError) and exc.code == "model-not-found":
        manifest = load_manifest()
        voices = [v.voice for v in config.tts.voices.values() if v.provider in ("piper", "kokoro")]
        if all(voice in manifest for voice in voices):
            return None  # a manifest voice not unpacked: setup's job (`dhe models`), not usage
        setting, message = "tts.voices", exc.message  # a voice file or folder that is not there
    elif isinstance(exc, AvatarLoadError) and config.avatar.model != "default":
        setting, message = "avatar.model", str(exc)
    elif isinstance(exc, ASRError) and exc.code == "model-missing":
        manifest = load_manifest()
        if all(name in manifest for name in config.asr.models.values()):
            return None  # a manifest model not unpacked: setup's job (`dhe models`), not usage
        setting, message = "asr.models", exc.message
    else:
        return None
    prefix = "DHE_" + setting.upper().replace(".", "__")
    variables = sorted(k for k in os.environ if k.upper().startswith(prefix))
    if variables:
        return f"{' or '.join(variables)} (environment): {message}"
    return f"{setting} in {given or DEFAULT_CONFIG_PATH}: {message}"


def describe(index: int, record: dict[str, Any]) -> str:
    """Human-readable lines for one turn of the ``--json`` document; the ``intent`` line only
    when NLU chose one (a slot answer such as keypad digits, no input or an out-of-scope turn
    has none; ``--json`` keeps its ``null``)."""
    timings = ", ".join(f"{k} {v:.0f}" for k, v in record["timings_ms"].items() if v is not None)
    intent = f"  intent: {record['intent']}\n" if record["intent"] is not None else ""
    return (
        f"turn {index + 1}: [{record['language']}] {record['transcript']!r}\n"
        f"{intent}  reply: {record['reply']}\n  timings (ms): {timings}"
    )
