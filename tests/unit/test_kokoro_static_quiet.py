"""Setup's static quantization of the Kokoro decoder (engine.tts.kokoro_static) runs
onnxruntime's real ``quantize_static`` without its advice to pre-process the model: the decoder
is built unprocessed on purpose (its sha256 is pinned), so the advice only alarmed whoever ran
setup. Other warnings still get through."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from engine.tts.kokoro_static import _no_preprocess_advice, _quantize


def _conv_model() -> onnx.ModelProto:
    rng = np.random.default_rng(3)
    w = numpy_helper.from_array(rng.normal(0, 0.2, (4, 2, 3)).astype(np.float32), "w")
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["y"], pads=[1, 1])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 16])],
        [w],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


class _Feeds:
    def __init__(self) -> None:
        rng = np.random.default_rng(5)
        self._feeds = iter([{"x": rng.normal(0, 1, (1, 2, 16)).astype(np.float32)}] * 2)

    def get_next(self) -> dict | None:
        return next(self._feeds, None)


def test_quantize_static_runs_without_the_preprocessing_advice(tmp_path: Path, caplog) -> None:
    out, ranges = tmp_path / "q.onnx", tmp_path / "ranges.json"
    with caplog.at_level(logging.WARNING):
        _quantize(_conv_model(), out, ranges, _Feeds())
    assert out.is_file() and ranges.is_file()
    assert [op.op_type for op in onnx.load(out).graph.node].count("QuantizeLinear") >= 1
    assert not [r for r in caplog.records if "pre-processing" in r.getMessage()]


def test_only_that_advice_is_dropped_and_only_inside(caplog) -> None:
    advice = "Please consider to run pre-processing before quantization. Refer to example: …"
    with caplog.at_level(logging.WARNING):
        with _no_preprocess_advice():
            logging.warning(advice)
            logging.warning("calibration data is short")
        logging.warning(advice)
    assert [r.getMessage() for r in caplog.records] == ["calibration data is short", advice]
