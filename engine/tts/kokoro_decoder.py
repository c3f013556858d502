"""Which decoder graph :class:`engine.tts.kokoro.KokoroTTS` runs: the pinned export's own, or
the one :mod:`engine.tts.kokoro_static` builds (a module of its own so that the voice and the
build, which speaks through the voice to calibrate, do not import each other)."""

from __future__ import annotations

from pathlib import Path

from engine.tts.base import TTSError

#: The built decoder, next to the pinned model in the model folder.
STATIC_DECODER_FILE = "kokoro-decoder.int8-static.onnx"


def static_decoder(model_dir: Path, kind: str = "static") -> bytes:
    """The built decoder's bytes (:data:`STATIC_DECODER_FILE` in ``model_dir``).

    Raises:
        TTSError: ``bad-setting`` (``kind`` is not ``static``), ``model-not-found`` (not built
            yet: the message names the command that builds it).
    """
    if kind != "static":
        raise TTSError("bad-setting", f"unknown Kokoro decoder {kind!r}; have dynamic, static")
    path = Path(model_dir) / STATIC_DECODER_FILE
    if not path.is_file():
        raise TTSError(
            "model-not-found",
            f"{path} not built: run `dhe models kokoro-82m` (or decoder: dynamic)",
        )
    return path.read_bytes()
