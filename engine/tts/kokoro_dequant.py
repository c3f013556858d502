"""Float weights back out of Kokoro's dynamically quantized ONNX export.

The pinned Kokoro-82M export (manifest entry ``kokoro-82m``) was made with onnxruntime's
``quantize_dynamic``: every convolution is ``DynamicQuantizeLinear → ConvInteger (uint8 weights,
one scale) → [+ int32 bias] → Cast → Mul(x_scale × w_scale)`` and every matrix product
``DynamicQuantizeLinear → MatMulInteger (int8 weights, a scale per column) → Cast → Mul``.
Static quantization (:mod:`engine.tts.kokoro_static`) starts from float weights, which this
module recovers exactly: ``w = (w_q - zero_point) × scale``, the float bias taken from before its run-time
quantization (``Div → Floor → Cast``). The activations then run in float until requantized.
"""

from __future__ import annotations

import collections
from collections.abc import Callable

import numpy as np

#: The ops quantize_dynamic wrote and this module turns back into float ones.
_INTEGER_OPS = {"ConvInteger": "Conv", "MatMulInteger": "MatMul"}


def dequantize_dynamic(model, only: Callable[[str], bool] | None = None):
    """Replace every ``ConvInteger``/``MatMulInteger`` pattern of ``model`` (an
    ``onnx.ModelProto``, changed in place and returned) by a float ``Conv``/``MatMul`` with
    dequantized float32 weights, and drop what only fed the replaced nodes. ``only``: replace
    just the nodes whose name it accepts (the others stay dynamically quantized).

    Returns:
        The model, and a count of replaced nodes per op type.

    Raises:
        ValueError: a pattern differs from what ``quantize_dynamic`` writes (another export).
    """
    from onnx import helper, numpy_helper

    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    producer = {out: node for node in graph.node for out in node.output}
    consumers: dict[str, list] = collections.defaultdict(list)
    for node in graph.node:
        for name in node.input:
            consumers[name].append(node)

    def one(name: str, *ops: str):
        found = consumers[name]
        if len(found) != 1 or found[0].op_type not in ops:
            got = [n.op_type for n in found]
            raise ValueError(f"{name} feeds {got}, expected one of {ops}")
        return found[0]

    replaced: dict[int, object] = {}
    new_inits = []
    counts: collections.Counter[str] = collections.Counter()
    for node in graph.node:
        if node.op_type not in _INTEGER_OPS or (only is not None and not only(node.name)):
            continue
        x_q, w_q, _x_zp, w_zp = node.input
        quant = producer.get(x_q)
        if quant is None or quant.op_type != "DynamicQuantizeLinear":
            raise ValueError(f"{node.name}: input not from DynamicQuantizeLinear")
        nxt, bias = one(node.output[0], "Add", "Cast"), None
        if nxt.op_type == "Add":  # the int32 bias, quantized at run time from a float one
            bias = _float_bias(nxt, node.output[0], producer)
            nxt = one(nxt.output[0], "Cast")
        scale_mul = one(nxt.output[0], "Mul")
        scales = producer[next(i for i in scale_mul.input if i != nxt.output[0])]
        w_scale = next(i for i in scales.input if i != quant.output[1])
        weight = _dequantized(
            *(numpy_helper.to_array(inits[n]) for n in (w_q, w_zp, w_scale)), node.op_type
        )
        name = f"{w_q}_float"
        new_inits.append(numpy_helper.from_array(weight, name))
        op = _INTEGER_OPS[node.op_type]
        inputs = [quant.input[0], name, *([bias] if bias and op == "Conv" else [])]
        new = helper.make_node(
            op, inputs, [scale_mul.output[0]], name=f"{node.name or node.output[0]}_float"
        )
        new.attribute.extend(node.attribute)
        replaced[id(scale_mul)] = new
        counts[node.op_type] += 1
    nodes = [replaced.get(id(n), n) for n in graph.node]
    needed = {o.name for o in graph.output}
    kept = []
    for node in reversed(nodes):  # dead-code elimination, outputs first
        if any(out in needed for out in node.output):
            kept.append(node)
            needed.update(node.input)
    all_inits = [*graph.initializer, *new_inits]
    del graph.node[:]
    graph.node.extend(reversed(kept))
    del graph.initializer[:]
    graph.initializer.extend(i for i in all_inits if i.name in needed)
    return model, dict(counts)


def _float_bias(add, conv_out: str, producer: dict) -> str:
    """The float bias behind ``Add(conv_out, Reshape(Cast(Floor(Div(bias, scale)))))``."""
    chain = producer[next(i for i in add.input if i != conv_out)]
    for op in ("Reshape", "Cast", "Floor", "Div"):
        if chain.op_type != op:
            raise ValueError(f"bias of {conv_out}: {chain.op_type} where {op} was expected")
        if op != "Div":
            chain = producer[chain.input[0]]
    return chain.input[0]


def _dequantized(w_q: np.ndarray, zero: np.ndarray, scale: np.ndarray, op: str) -> np.ndarray:
    """float32 ``(w_q - zero) × scale``; per output channel (axis 0, Conv) or per column
    (axis 1, MatMul) when the zero point and scale are vectors."""
    w = w_q.astype(np.float32)
    if op == "ConvInteger" and zero.ndim:
        zero = zero.reshape(-1, *(1,) * (w.ndim - 1))
    if op == "ConvInteger" and scale.ndim:
        scale = scale.reshape(-1, *(1,) * (w.ndim - 1))
    return ((w - zero.astype(np.float32)) * scale.astype(np.float32)).astype(np.float32)
