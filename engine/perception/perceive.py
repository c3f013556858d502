"""``dhe perceive FILE``: the perception code on one image or video file.

Image → ``{"faces": [{"box": [x, y, w, h], "emotion", "scores": {...}}],
"gestures": [{"name", "score", "hand"}]}`` (box in pixels; ``name`` a MediaPipe canned gesture
or ``"None"``). Video (anything PyAV decodes) → ``{"events": [{"t_ms", "type", ...}]}`` in time
order, from the same core and debouncing as the live stage (:class:`Perceiver`), the frames
sampled at ``fps`` (the live stage runs at 5–15). Frames are never written anywhere. MediaPipe's
own log lines are kept off the terminal (:func:`native_stderr_silenced`).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from engine.events import EmotionChanged, Event, GestureDetected, PresenceChanged
from engine.perception.core import Perceiver, PerceptionSettings
from engine.perception.emotion import decide, emotion_scores
from engine.perception.gestures import name_hands
from engine.perception.mediapipe_models import MediaPipePerception, ModelPaths

#: Frames analysed per second of video (the live stage adapts between 5 and 15).
DEFAULT_FPS = 10.0
#: The most ``--fps`` takes: every frame of a 60 fps video (a camera's highest usual rate); a
#: higher rate would analyse no more frames, each is analysed once.
MAX_FPS = 60.0


class UnreadableFile(Exception):
    """The file is neither an image PIL reads nor a video PyAV decodes."""


def _read_image(path: Path) -> np.ndarray | None:
    """RGB uint8 ``(H, W, 3)`` with EXIF orientation applied; None when not a still image."""
    try:
        with Image.open(path) as image:
            if getattr(image, "n_frames", 1) > 1:
                return None  # an animation: treat as video
            return np.asarray(ImageOps.exif_transpose(image).convert("RGB"))
    except UnidentifiedImageError:
        return None
    except OSError as exc:
        raise UnreadableFile(f"{path}: cannot read ({exc.strerror or exc})") from exc


def perceive_image(rgb: np.ndarray, models: MediaPipePerception) -> dict[str, Any]:
    """The image document for one frame, ``rgb`` uint8 ``(H, W, 3)`` (``models`` in ``image``
    mode): ``{"faces": [{"box": [x, y, w, h] px, "emotion", "scores"}], "gestures": [{"name",
    "score", "hand"}]}``."""
    frame = models.observe(rgb)
    faces = []
    for face in frame.faces:
        scores = emotion_scores(face.blendshapes)
        faces.append(
            {
                "box": [round(v) for v in face.box],
                "emotion": decide(scores)[0],
                "scores": scores,
            }
        )
    gestures = [{"name": h.name, "score": h.score, "hand": h.hand} for h in name_hands(frame)]
    return {"faces": faces, "gestures": gestures}


def _open_video(path: Path) -> av.container.InputContainer:
    """The opened container, checked to hold a video stream.

    Raises:
        UnreadableFile: PyAV cannot open it, or it has no video stream.
    """
    try:
        container = av.open(str(path))
    except av.error.InvalidDataError as exc:
        raise UnreadableFile(f"{path}: not an image or a video (FFmpeg: invalid data)") from exc
    except (av.error.FFmpegError, OSError) as exc:  # the reason without FFmpeg's errno and path
        reason = exc.strerror or type(exc).__name__
        raise UnreadableFile(f"{path}: not an image or a video (FFmpeg: {reason})") from exc
    if not container.streams.video:
        container.close()
        raise UnreadableFile(f"{path}: has no video stream")
    return container


def _frames(path: Path, fps: float) -> Iterator[tuple[int, np.ndarray]]:
    """``(t_ms, rgb)`` for frames of the first video stream, at most ``fps`` per second."""
    with _open_video(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        step_ms, next_ms, last_ms = 1000.0 / fps, 0.0, -1
        try:
            for frame in container.decode(stream):
                if frame.pts is None:
                    continue
                t_ms = round(float(frame.pts * stream.time_base) * 1000)
                if t_ms < next_ms or t_ms <= last_ms:
                    continue
                next_ms, last_ms = t_ms + step_ms * 0.999, t_ms
                yield t_ms, frame.to_ndarray(format="rgb24")
        except av.error.FFmpegError as exc:  # the reason without FFmpeg's errno and call
            if last_ms < 0 and isinstance(exc, av.error.InvalidDataError):
                raise UnreadableFile(
                    f"{path}: not an image or a video (FFmpeg: invalid data)"
                ) from exc
            reason = exc.strerror or type(exc).__name__
            raise UnreadableFile(f"{path}: video decoding failed (FFmpeg: {reason})") from exc


def event_record(event: Event) -> dict[str, Any]:
    """One perception event as a JSON record with ``t_ms`` and ``type``.

    Raises:
        TypeError: ``event`` is not one of the perception events.
    """
    t_ms = event.t_ns // 1_000_000
    if isinstance(event, PresenceChanged):
        record = {"t_ms": t_ms, "type": "presence", "present": event.present}
        if event.face_box is not None:
            record["face_box"] = list(event.face_box)
        return record
    if isinstance(event, EmotionChanged):
        return {"t_ms": t_ms, "type": "emotion", "emotion": event.emotion, "score": event.score}
    if isinstance(event, GestureDetected):
        return {
            "t_ms": t_ms,
            "type": "gesture",
            "name": event.name,
            "score": event.score,
            "hand": event.hand,
        }
    raise TypeError(f"not a perception event: {type(event).__name__}")


def perceive_video(
    path: Path,
    models: MediaPipePerception,
    *,
    fps: float = DEFAULT_FPS,
    settings: PerceptionSettings | None = None,
) -> dict[str, Any]:
    """The video document: debounced perception events in time order.

    Args:
        path: a video file PyAV decodes.
        models: the MediaPipe face and hand models.
        fps: frames analysed per second of video.
        settings: debouncing and thresholds (defaults when None).

    Returns:
        ``{"events": [record, …]}``, records as :func:`event_record` writes them.

    Raises:
        UnreadableFile: no frame of the file could be decoded.
    """
    perceiver = Perceiver("perceive", settings or PerceptionSettings())
    events, frames = [], 0
    for t_ms, rgb in _frames(path, fps):
        frames += 1
        events.extend(event_record(e) for e in perceiver.step(models.observe(rgb, t_ms)).events)
    if frames == 0:
        raise UnreadableFile(f"{path}: no decodable video frames")
    return {"events": events}


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Send what native code writes to file descriptor 2 (MediaPipe's glog/absl lines, TFLite's
    "Created TensorFlow Lite XNNPACK delegate") to the null device for the duration.

    MediaPipe's C++ logging reads no environment switch once loaded (``GLOG_minloglevel`` and
    ``TF_CPP_MIN_LOG_LEVEL`` do not quiet it), so the descriptor itself is redirected. For a
    single-threaded command only: in a server it would hide every thread's errors. Python's
    ``sys.stderr`` is flushed first and restored with the descriptor on exit, also on error.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def perceive_file(
    path: Path,
    *,
    fps: float = DEFAULT_FPS,
    settings: PerceptionSettings | None = None,
    paths: ModelPaths | None = None,
) -> dict[str, Any]:
    """Image or video document for ``path``.

    Raises:
        UnreadableFile: missing, unreadable, or neither image nor video.
        engine.perception.mediapipe_models.PerceptionModelError: model files missing.
    """
    if path.is_dir():
        raise UnreadableFile(f"{path}: is a folder; give an image or a video file")
    if not path.is_file():
        raise UnreadableFile(f"{path}: no such file")
    rgb = _read_image(path)
    if rgb is not None:
        with native_stderr_silenced(), MediaPipePerception(paths, mode="image") as models:
            return perceive_image(rgb, models)
    frames = _frames(path, fps)  # an unreadable file fails before the models load
    try:
        next(frames, None)
    finally:
        frames.close()
    with native_stderr_silenced(), MediaPipePerception(paths, mode="video") as models:
        return perceive_video(path, models, fps=fps, settings=settings)


def summary(doc: dict[str, Any]) -> list[str]:
    """Readable lines for a document (the output without ``--json``)."""
    if "events" in doc:
        lines = []
        for e in doc["events"]:
            detail = {
                "presence": lambda e: "visitor arrived" if e["present"] else "visitor left",
                "emotion": lambda e: f"{e['emotion']} ({e['score']:.2f})",
                "gesture": lambda e: f"{e['name']} ({e['score']:.2f}, {e['hand']} hand)",
            }[e["type"]](e)
            lines.append(f"{e['t_ms'] / 1000:7.2f} s  {e['type']:8s} {detail}")
        return lines or ["no perception events"]
    lines = [
        f"face {i + 1} at x={f['box'][0]} y={f['box'][1]} w={f['box'][2]} h={f['box'][3]}: "
        f"{f['emotion']} ({f['scores'][f['emotion']]:.2f})"
        for i, f in enumerate(doc["faces"])
    ]
    lines += [f"{g['hand']} hand: {g['name']} ({g['score']:.2f})" for g in doc["gestures"]]
    return lines or ["no face, no hand"]
