"""Decode any audio file PyAV (FFmpeg) reads into the engine's input format: 16 kHz mono float32."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

#: Sample rate of everything the engine hears (Silero VAD and Whisper both expect 16 kHz).
INPUT_RATE_HZ = 16_000

#: Refuse inputs longer than this; a visitor turn is seconds, not an hour.
MAX_INPUT_SECONDS = 600.0


class AudioDecodeError(Exception):
    """The file is missing, unreadable, not audio, or too long. The message names the file."""


def load_audio(path: str | Path, *, max_seconds: float = MAX_INPUT_SECONDS) -> np.ndarray:
    """Decode, downmix and resample a file to the engine's input format.

    Args:
        path: any container/codec FFmpeg decodes (WAV, FLAC, MP3, Ogg/Opus, MP4 audio …).
        max_seconds: refuse longer inputs.

    Returns:
        float32 array of shape (n,), 16 kHz mono, values in [-1, 1].

    Raises:
        AudioDecodeError: the file cannot be opened, has no audio stream, or is too long.
    """
    path = Path(path)
    if not path.is_file():
        raise AudioDecodeError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise AudioDecodeError(f"{path}: the file is empty (0 bytes)")
    try:
        container = av.open(str(path))
    except av.InvalidDataError as exc:
        raise AudioDecodeError(
            f"{path}: not an audio file FFmpeg can read (its data is in no format it knows)"
        ) from exc
    except (av.FFmpegError, OSError, UnicodeDecodeError) as exc:  # the reason, in words
        reason = getattr(exc, "strerror", None) or exc.__class__.__name__
        raise AudioDecodeError(f"{path}: not a readable audio file ({reason})") from exc
    with container:
        if not container.streams.audio:
            raise AudioDecodeError(f"{path}: contains no audio stream")
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=INPUT_RATE_HZ)
        chunks: list[np.ndarray] = []
        total = 0
        limit = int(max_seconds * INPUT_RATE_HZ)
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunk = out.to_ndarray().reshape(-1)
                    chunks.append(chunk)
                    total += chunk.size
                if total > limit:
                    raise AudioDecodeError(f"{path}: longer than {max_seconds:.0f} s")
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
        except av.FFmpegError as exc:
            raise AudioDecodeError(f"{path}: audio stream cannot be decoded ({exc})") from exc
    if not chunks:
        raise AudioDecodeError(f"{path}: audio stream holds no samples")
    audio = np.concatenate(chunks).astype(np.float32, copy=False)
    return np.clip(audio, -1.0, 1.0)
