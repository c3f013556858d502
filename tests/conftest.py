"""Shared fixtures: the public test data in ../shared/data and the model files.

Tests that read ../shared/data skip with a reason where it is absent (a user's fresh clone) and
fail under CI (``CI=true``), where its absence is a broken checkout (``docs/architecture.md``).
"""

from __future__ import annotations

import contextlib
import csv
import functools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


def require_path(path: Path, what: str) -> Path:
    """Return ``path`` if it exists; else skip (or fail under CI) naming ``what``."""
    if path.exists():
        return path
    message = f"{what} not found at {path}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} (required under CI=true)")
    pytest.skip(message)


@contextlib.contextmanager
def egl_required() -> Iterator[None]:
    """Around code that makes an EGL context (a :class:`~avatar.renderer.Renderer`, a pool's
    warm-up): without EGL on this machine the test skips, and fails under ``CI=true``.

    Raises:
        pytest.fail.Exception: EGL missing under ``CI=true``.
        pytest.skip.Exception: EGL missing otherwise.
    """
    from avatar.egl import EGLUnavailableError

    try:
        yield
    except EGLUnavailableError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"EGL is required under CI: {exc}")
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder ../shared/data (skip, or fail under CI, when absent)."""
    return require_path(SHARED_DATA, "shared test data (../shared/data)")


@pytest.fixture(scope="session")
def transcripts(shared_data: Path) -> list[dict[str, str]]:
    """Rows of audio/transcripts.tsv (file, language, reference, … duration_s)."""
    with (shared_data / "audio" / "transcripts.tsv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Folder for test artifacts (screenshots, videos); gitignored."""
    path = REPO_ROOT / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path


def model_folder(name: str) -> Path:
    """Folder of an unpacked `dhe models` entry (skip, or fail under CI, when not unpacked)."""
    from engine import models

    spec = models.load_manifest()[name]
    folder = models.models_dir() / name
    if models.is_ready(spec):
        return folder
    return require_path(folder / "missing", f"model {name} (run `dhe models {name}`)")


@pytest.fixture(scope="session")
def piper_voice_path() -> Path:
    """The default Piper voice (``$DHE_PIPER_VOICE`` or the unpacked ``piper-en_US-joe-medium``)."""
    env = os.environ.get("DHE_PIPER_VOICE")
    if env:
        return require_path(Path(env), "Piper voice from $DHE_PIPER_VOICE")
    return model_folder("piper-en_US-joe-medium") / "en_US-joe-medium.onnx"


@pytest.fixture(scope="session")
def whisper_tiny_path() -> Path:
    """The unpacked tiny.en model folder."""
    return model_folder("whisper-tiny.en")


@pytest.fixture(scope="session")
def espeak():
    """The espeak-ng TTS provider (skip, or fail under CI, when libespeak-ng is missing)."""
    import ctypes.util

    from engine.tts.espeak import EspeakTTS

    if ctypes.util.find_library("espeak-ng") is None:
        require_path(Path("/nonexistent/libespeak-ng"), "libespeak-ng (apt-get install espeak-ng)")
    return EspeakTTS()


@pytest.fixture(scope="session")
def hearing():
    """The engine's hearing as it is configured by default (``EngineConfig()``: Whisper
    ``tiny.en`` for English, ``base`` + OpenCC for Mandarin), each model loaded on first use and
    kept for the whole run: the ASR, turn and intelligibility tests share it instead of loading
    the same models once per module."""
    from engine.config import EngineConfig
    from engine.hearing import Hearing

    return Hearing(EngineConfig())


@pytest.fixture(scope="session")
def kokoro():
    """The default Mandarin voice (Kokoro-82M, ``dhe models kokoro-82m``), built and warmed up
    once per run: the Kokoro and intelligibility tests share its onnxruntime session."""
    from engine.tts.kokoro import KokoroTTS

    tts = KokoroTTS(model_folder("kokoro-82m"))
    tts.warm_up()
    return tts


@functools.cache
def trained_dialog(domain: str):
    """``domain``'s dialog engine with its NLU trained once per test process, as the server runs
    it (English sentence embeddings). It has no connector: a test binds its own with
    ``trained_dialog(d).with_connector(connector)``."""
    from dialog import DialogEngine
    from engine.embeddings import section_reranker, sentence_encoder

    return DialogEngine.load(  # type: ignore[arg-type]
        domain, connector=None, encoder=sentence_encoder(), reranker=section_reranker()
    )
