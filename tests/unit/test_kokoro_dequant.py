"""Float weights recovered from onnxruntime's dynamic quantization (engine.tts.kokoro_dequant):
a small Conv + MatMul graph quantized with ``quantize_dynamic`` comes back as float ``Conv`` /
``MatMul`` nodes whose weights are the quantized ones dequantized, and computes what the
float original computes within the int8 weights' rounding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import QuantType, quantize_dynamic

from engine.tts.kokoro_dequant import dequantize_dynamic


def _float_model() -> onnx.ModelProto:
    rng = np.random.default_rng(7)
    w = rng.normal(0, 0.2, (16, 8, 3)).astype(np.float32)  # Conv1d: 8 → 16 channels, kernel 3
    b = rng.normal(0, 0.1, 16).astype(np.float32)
    m = rng.normal(0, 0.2, (20, 12)).astype(np.float32)  # MatMul over the time axis: 20 → 12
    graph = helper.make_graph(
        [
            helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1]),
            helper.make_node("MatMul", ["c", "m"], ["y"]),
        ],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 20])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 16, 12])],
        [numpy_helper.from_array(a, n) for a, n in ((w, "w"), (b, "b"), (m, "m"))],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _run(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x})[0]


def test_dynamic_quantization_turned_back_into_float(tmp_path: Path) -> None:
    original = _float_model()
    onnx.save(original, tmp_path / "f.onnx")
    quantize_dynamic(tmp_path / "f.onnx", tmp_path / "q.onnx", weight_type=QuantType.QUInt8)
    quantized = onnx.load(tmp_path / "q.onnx")
    assert {"ConvInteger", "MatMulInteger"} <= {n.op_type for n in quantized.graph.node}

    restored, counts = dequantize_dynamic(quantized)
    ops = [n.op_type for n in restored.graph.node]
    assert counts == {"ConvInteger": 1, "MatMulInteger": 1}
    assert {"Conv", "MatMul"} <= set(ops)
    assert not {"DynamicQuantizeLinear", "ConvInteger", "MatMulInteger", "Cast"} & set(ops)
    weights = {i.name: numpy_helper.to_array(i) for i in restored.graph.initializer}
    conv_w = next(v for k, v in weights.items() if v.shape == (16, 8, 3))
    step = np.ptp(numpy_helper.to_array(original.graph.initializer[0])) / 255
    assert np.abs(conv_w - numpy_helper.to_array(original.graph.initializer[0])).max() <= step
    x = np.random.default_rng(8).normal(0, 1, (1, 8, 20)).astype(np.float32)
    want, got = _run(original, x), _run(restored, x)
    assert np.abs(got - want).max() < 0.05 * np.abs(want).max()  # int8 weights' rounding only
    requantized = _run(onnx.load(tmp_path / "q.onnx"), x)  # activations requantized per call
    assert not np.allclose(got, requantized, atol=0)
