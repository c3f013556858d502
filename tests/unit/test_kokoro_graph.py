"""Kokoro's decoder norms weighted per frame (engine.tts.kokoro_graph): a small graph with the
export's instance-norm chain, upsampled 2x before a second norm as the decoder's blocks are,
gives with frame weights exactly what it gives on the input with those frames repeated, and
:func:`shorten_tail` cuts the last phoneme's frames so that the weights make up for them."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from engine.tts.base import TTSError
from engine.tts.kokoro_graph import (
    ALIGNED,
    ENERGY,
    FRAME_WEIGHT,
    PITCH,
    shorten_tail,
    square_by_product,
    weigh_norms,
)


def _norm(x: str, p: str) -> list:
    """The export's AdaIN statistics: (x - mean) / sqrt(var + 1e-5) over axis 2."""
    return [
        helper.make_node("ReduceMean", [x, "axes"], [p + "m"], keepdims=1),
        helper.make_node("Sub", [x, p + "m"], [p + "d"]),
        helper.make_node("Mul", [p + "d", p + "d"], [p + "sq"]),
        helper.make_node("ReduceMean", [p + "sq", "axes"], [p + "v"], keepdims=1),
        helper.make_node("Add", [p + "v", "eps"], [p + "ve"]),
        helper.make_node("Sqrt", [p + "ve"], [p + "s"]),
        helper.make_node("Div", [p + "d", p + "s"], [p + "y"]),
    ]


def _decoder_like() -> bytes:
    """x (1, 3, T) → norm → repeat each frame twice (T → 2T) → norm → y (1, 3, 2T)."""
    nodes = [
        *_norm("x", "a_"),
        helper.make_node("Unsqueeze", ["a_y", "last"], ["u"]),
        helper.make_node("Concat", ["u", "u"], ["uu"], axis=3),
        helper.make_node("Shape", ["x"], ["shape"]),
        helper.make_node("Mul", ["shape", "twice_time"], ["shape2"]),
        helper.make_node("Reshape", ["uu", "shape2"], ["x2"]),
        *_norm("x2", "b_"),
    ]
    inits = [
        numpy_helper.from_array(np.array([2], np.int64), "axes"),
        numpy_helper.from_array(np.array([3], np.int64), "last"),
        numpy_helper.from_array(np.array([1, 1, 2], np.int64), "twice_time"),
        numpy_helper.from_array(np.array(1e-5, np.float32), "eps"),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, "T"])],
        [helper.make_tensor_value_info("b_y", TensorProto.FLOAT, [1, 3, "T2"])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    return model.SerializeToString()


def _run(model: bytes, **feed: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    return session.run(None, feed)[0]


def test_weights_count_frames_as_repeats_at_every_resolution() -> None:
    plain = _decoder_like()
    weighted = weigh_norms(plain)
    rng = np.random.default_rng(3)
    x = rng.normal(0, 1, (1, 3, 6)).astype(np.float32)
    ones = np.ones((1, 1, 6), np.float32)
    # weights 1: the export's own output
    np.testing.assert_allclose(_run(weighted, x=x, frame_weight=ones), _run(plain, x=x), atol=1e-5)
    # frame 4 weighing 5 = frame 4 there five times: the frames both renders share agree
    counts = np.array([1, 1, 1, 1, 5, 1])
    repeated = np.repeat(x, counts, axis=2)
    want = _run(plain, x=repeated)  # (1, 3, 2 * 10)
    got = _run(weighted, x=x, frame_weight=counts.astype(np.float32)[None, None, :])
    first_of = 2 * np.concatenate([[0], np.cumsum(counts)[:-1]])  # each frame's first copy, 2x
    np.testing.assert_allclose(got[..., 0::2], want[..., first_of], atol=1e-5)
    assert not np.allclose(got, _run(plain, x=x), atol=1e-3)  # the weights do change the norm
    names = {n.op_type for n in onnx.load_from_string(weighted).graph.node}
    assert "ReduceMean" not in names and "ReduceSum" in names


def _snake() -> bytes:
    """The export's Snake activation, x + sin(a x)^2 / a, its square a Pow by a Constant 2."""
    nodes = [
        helper.make_node("Constant", [], ["two"], value=numpy_helper.from_array(np.float32(2))),
        helper.make_node("Mul", ["a", "x"], ["ax"]),
        helper.make_node("Sin", ["ax"], ["s"]),
        helper.make_node("Pow", ["s", "two"], ["s2"]),
        helper.make_node("Reciprocal", ["a"], ["ra"]),
        helper.make_node("Mul", ["ra", "s2"], ["t"]),
        helper.make_node("Add", ["x", "t"], ["y"]),
    ]
    alpha = np.array([0.3, 1.0, 2.5], np.float32).reshape(1, 3, 1)
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, "T"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, "T"])],
        [numpy_helper.from_array(alpha, "a")],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]).SerializeToString()


def test_the_snakes_square_is_a_product_with_the_same_bits() -> None:
    plain = _snake()
    squared = square_by_product(plain)
    ops = [n.op_type for n in onnx.load_from_string(squared).graph.node]
    assert "Pow" not in ops and ops.count("Mul") == 3
    x = np.random.default_rng(5).normal(0, 3, (1, 3, 500)).astype(np.float32)
    got, want = _run(squared, x=x), _run(plain, x=x)
    np.testing.assert_array_equal(got, want)
    alpha = np.array([0.3, 1.0, 2.5], np.float32).reshape(1, 3, 1)
    np.testing.assert_allclose(got, x + np.sin(alpha * x) ** 2 / alpha, rtol=1e-5, atol=1e-5)


def test_a_graph_without_a_square_is_refused() -> None:
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 4])],
    )
    with pytest.raises(TTSError, match="no Pow"):
        square_by_product(helper.make_model(graph).SerializeToString())


def test_a_graph_without_the_norms_is_refused() -> None:
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 4])],
    )
    with pytest.raises(TTSError, match="no instance norm"):
        weigh_norms(helper.make_model(graph).SerializeToString())


def _piece(units: list[int]):
    frames = sum(units)
    aligned = np.arange(frames, dtype=np.float32)[None, None, :].repeat(2, axis=1)
    track = np.arange(2 * frames, dtype=np.float32)[None, :]
    return np.array(units), aligned, track, track + 0.5


def test_the_last_phonemes_silence_is_cut_and_its_weight_kept() -> None:
    # 我是, then ŋ with the model's ~29 units, the comma and the end token
    symbols = ["^", "w", "o", "↓", "ŋ", ",", "$"]
    units, aligned, pitch, energy = _piece([17, 2, 1, 2, 29, 11, 1])
    got, feed = shorten_tail(symbols, units, aligned, pitch, energy, keep_units=8)
    assert got.tolist() == [17, 2, 1, 2, 8, 11, 1]
    assert units[4] == 29  # the caller's durations are left alone
    w = feed[FRAME_WEIGHT]
    assert w.shape == (1, 1, 42) and feed[ALIGNED].shape == (1, 2, 42)
    assert w.sum() == 63  # the 21 dropped frames still count in the norms
    assert w[0, 0, 26:30].tolist() == [6.25] * 4 and w[0, 0, :26].max() == 1 == w[0, 0, 30:].max()
    # ŋ's first 8 frames (22-29), then the comma's frames (51-61) and the end token's (62)
    assert feed[ALIGNED][0, 0, 28:32].tolist() == [28, 29, 51, 52]
    assert feed[PITCH][0, 58:62].tolist() == [58, 59, 102, 103]
    assert feed[ENERGY][0, 58:62].tolist() == [58.5, 59.5, 102.5, 103.5]


def test_a_short_last_phoneme_is_rendered_whole() -> None:
    symbols = ["^", "h", "ɑ", "↗", " ", ",", "$"]  # 好的， ends on a 4-unit token
    units, aligned, pitch, energy = _piece([18, 2, 4, 4, 1, 4, 2])
    got, feed = shorten_tail(symbols, units, aligned, pitch, energy, keep_units=8)
    assert got.tolist() == units.tolist()
    assert feed[FRAME_WEIGHT].tolist() == np.ones((1, 1, 35)).tolist()
    assert feed[ALIGNED] is aligned and feed[PITCH] is pitch and feed[ENERGY] is energy
