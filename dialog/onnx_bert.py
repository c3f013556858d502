"""A BERT sentence encoder as an ONNX graph, built in memory from plain float32 tensors and run
by onnxruntime (no PyTorch, no model hub).

The graph takes the summed input embeddings (token + position + type, before the first layer
norm) and an attention mask, and returns mean-pooled, L2-normalised sentence vectors: the
sentence-transformers recipe (Reimers & Gurevych 2019, arXiv:1908.10084) over the BERT encoder
(Devlin et al. 2019, arXiv:1810.04805; post-norm layers, exact erf GELU). The token lookup stays
outside the graph, so a 4-bit token table need not be expanded (:mod:`dialog.encoder_files`).
"""

from __future__ import annotations

import math

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper
from onnx import helper as oh

#: ONNX opset of the graph (LayerNormalization is in opset 17).
OPSET = 17


class _Graph:
    """Nodes and initializers under construction; each node gets a fresh output name."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []

    def const(self, name: str, value: np.ndarray | float | list[int]) -> str:
        array = np.asarray(value)
        array = array.astype(np.int64 if array.dtype.kind in "iu" else np.float32)
        self.inits.append(numpy_helper.from_array(array, name))
        return name

    def op(self, kind: str, *inputs: str, **attrs: object) -> str:
        out = f"{kind.lower()}_{len(self.nodes)}"
        self.nodes.append(oh.make_node(kind, list(inputs), [out], **attrs))
        return out

    def linear(self, x: str, tensors: dict[str, np.ndarray], prefix: str) -> str:
        """``x @ W.T + b`` for the Hugging Face ``Linear`` at ``prefix``."""
        w = self.const(prefix + ".weight", np.ascontiguousarray(tensors[prefix + ".weight"].T))
        return self.op(
            "Add", self.op("MatMul", x, w), self.const(prefix + ".bias", tensors[prefix + ".bias"])
        )

    def layer_norm(self, x: str, tensors: dict[str, np.ndarray], prefix: str, eps: float) -> str:
        g = self.const(prefix + ".weight", tensors[prefix + ".weight"])
        b = self.const(prefix + ".bias", tensors[prefix + ".bias"])
        return self.op("LayerNormalization", x, g, b, axis=-1, epsilon=eps)


def build_encoder(tensors: dict[str, np.ndarray], config: dict) -> bytes:
    """The serialised ONNX model of a BERT sentence encoder.

    Args:
        tensors: ``BertModel`` tensors by Hugging Face name (float32), without the token table.
        config: ``hidden_size``, ``num_attention_heads``, ``num_hidden_layers``,
            ``layer_norm_eps``.

    Returns:
        The model bytes. Inputs: ``embeddings`` ``(n, t, hidden)`` float32 and ``mask``
        ``(n, t)`` float32 (1 for a token, 0 for padding). Output ``vectors`` ``(n, hidden)``
        float32, unit L2 norm.

    Raises:
        KeyError: a tensor the architecture needs is missing.
    """
    hidden, heads = int(config["hidden_size"]), int(config["num_attention_heads"])
    eps = float(config.get("layer_norm_eps", 1e-12))
    g = _Graph()
    x = g.layer_norm("embeddings", tensors, "embeddings.LayerNorm", eps)
    one = g.const("one", 1.0)
    # additive key mask (n, 1, 1, t): 0 for tokens, -1e9 for padding
    bias = g.op("Mul", g.op("Sub", one, "mask"), g.const("minus_big", -1e9))
    bias = g.op("Unsqueeze", bias, g.const("axes_1_2", [1, 2]))
    split = g.const("split_heads", [0, 0, 3, heads, hidden // heads])
    merge = g.const("merge_heads", [0, 0, hidden])
    scale = g.const("scale", 1.0 / math.sqrt(hidden // heads))
    half, inv_sqrt2 = g.const("half", 0.5), g.const("inv_sqrt2", 1.0 / math.sqrt(2.0))
    picks = [g.const(f"pick_{i}", np.array(i, dtype=np.int64)) for i in range(3)]
    for i in range(int(config["num_hidden_layers"])):
        p = f"encoder.layer.{i}."
        qkv = {n: tensors[f"{p}attention.self.{n}.weight"] for n in ("query", "key", "value")}
        fused = {
            f"{p}qkv.weight": np.concatenate(list(qkv.values()), axis=0),
            f"{p}qkv.bias": np.concatenate([tensors[f"{p}attention.self.{n}.bias"] for n in qkv]),
        }
        heads_x = g.op("Reshape", g.linear(x, fused, f"{p}qkv"), split)
        heads_x = g.op("Transpose", heads_x, perm=[2, 0, 3, 1, 4])  # (3, n, heads, t, d)
        q, k, v = (g.op("Gather", heads_x, pick, axis=0) for pick in picks)
        scores = g.op("MatMul", q, g.op("Transpose", k, perm=[0, 1, 3, 2]))
        probs = g.op("Softmax", g.op("Add", g.op("Mul", scores, scale), bias), axis=-1)
        context = g.op("Transpose", g.op("MatMul", probs, v), perm=[0, 2, 1, 3])
        attended = g.linear(g.op("Reshape", context, merge), tensors, f"{p}attention.output.dense")
        x = g.layer_norm(g.op("Add", attended, x), tensors, f"{p}attention.output.LayerNorm", eps)
        up = g.linear(x, tensors, f"{p}intermediate.dense")
        gelu = g.op("Add", g.op("Erf", g.op("Mul", up, inv_sqrt2)), one)
        gelu = g.op("Mul", g.op("Mul", up, half), gelu)
        down = g.linear(gelu, tensors, f"{p}output.dense")
        x = g.layer_norm(g.op("Add", down, x), tensors, f"{p}output.LayerNorm", eps)
    mask3 = g.op("Unsqueeze", "mask", g.const("axis_2", [2]))
    axis1 = g.const("axis_1", [1])
    summed = g.op("ReduceSum", g.op("Mul", x, mask3), axis1, keepdims=0)
    count = g.op("Max", g.op("ReduceSum", mask3, axis1, keepdims=0), one)
    g.nodes.append(oh.make_node("LpNormalization", [g.op("Div", summed, count)], ["vectors"], p=2))
    graph = oh.make_graph(
        g.nodes,
        "sentence_encoder",
        [
            oh.make_tensor_value_info("embeddings", TensorProto.FLOAT, ["n", "t", hidden]),
            oh.make_tensor_value_info("mask", TensorProto.FLOAT, ["n", "t"]),
        ],
        [oh.make_tensor_value_info("vectors", TensorProto.FLOAT, ["n", hidden])],
        g.inits,
    )
    model = oh.make_model(graph, opset_imports=[oh.make_opsetid("", OPSET)])
    model.ir_version = 8  # readable by every onnxruntime since 1.10
    return model.SerializeToString()
