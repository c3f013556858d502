"""Kokoro-82M's ONNX graph: cut into predictor and decoder, the decoder's instance norms
weighted per frame so that it need not render a long silence to keep its voice, and its
squares computed as products (:func:`square_by_product`, the same values for less CPU).

:func:`split_graph` cuts the pinned export in two (the pitch is reshaped in between, see
:mod:`engine.tts.kokoro`). :func:`weigh_norms` and :func:`shorten_tail` let the decoder skip
most of the silence the model predicts at the end of a piece: a clause's last phoneme is given
~29 duration units (0.72 s) of which only the first few sound (measured on the first clauses of
the packs' replies: 我是数字员工， 98 units, 57 of them silent: 17 before the speech, 29 in the
final ŋ, 12 for the comma and the end token).

Those frames cannot simply be left out: every residual block of the decoder normalises each
channel over the whole piece (StyleTTS 2's AdaIN: ``ReduceMean → Sub → Mul → ReduceMean →
Add(eps) → Sqrt → Div``, 54 in the export), so the silent frames take part in the mean and
variance of every channel; decoded without them the voiced part came out 15-20 % quieter and
different throughout (correlation 0.93-0.97 with the whole render, 12 first clauses), and the
Mandarin ASR heard it worse. :func:`weigh_norms` makes those statistics weighted means
(``sum(w x) / sum(w)``) over a per-frame weight, a graph input; :func:`shorten_tail` drops the
middle of the last phoneme's silence and puts its weight on the kept frames just before the
cut, which the decoder renders alike (a steady silence of one token), so the norms see nearly
the statistics of the whole piece: level 0.98-1.00, correlation 0.97-0.985 with the whole
render (the static decoder itself is at ~0.97 of the float one), for ~20 % less decoder CPU on a
typical first clause. With all weights 1 the weighted graph renders exactly what the export
does (correlation 1.0000).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engine.tts.base import TTSError

#: Tensors between Kokoro's predictor and its decoder in the pinned int8 export (manifest
#: entry ``kokoro-82m``): per-token durations (``Round → Clip(min=1)``), the pitch track (Hz,
#: two frames per unit), the energy track, and the text features aligned to the frames.
DURATIONS = "/encoder/Clip_output_0"
PITCH = "/encoder/Reshape_output_0"
ENERGY = "/encoder/Reshape_1_output_0"
ALIGNED = "/encoder/MatMul_1_output_0"
#: The decoder input :func:`weigh_norms` adds: float32 (1, 1, frames), one weight per
#: duration unit (frame of :data:`ALIGNED`).
FRAME_WEIGHT = "frame_weight"
#: Symbols after a piece's last phoneme: marks, word gaps and the end token.
TRAILING = frozenset(',.!?;:—…()“”" $')


def split_graph(model_bytes: bytes) -> tuple[bytes, bytes]:
    """Cut the Kokoro graph into predictor (tokens, style, speed → durations, pitch, energy,
    aligned features) and decoder (those, style → audio), so the pitch can be reshaped in
    between (:mod:`engine.tts.zh_tones`). Together they compute exactly what the whole graph
    computes.

    Raises:
        TTSError: ``model-invalid`` when the graph lacks the tensors of the pinned export.
    """
    import onnx
    from onnx.utils import Extractor

    model = onnx.load_from_string(model_bytes)
    produced = {out for node in model.graph.node for out in node.output}
    missing = [t for t in (DURATIONS, PITCH, ENERGY, ALIGNED) if t not in produced]
    if missing:
        raise TTSError("model-invalid", f"not the pinned Kokoro export: no tensor {missing[0]}")
    extractor = Extractor(model)
    predictor = extractor.extract_model(
        ["tokens", "style", "speed"], [DURATIONS, PITCH, ENERGY, ALIGNED]
    )
    decoder = extractor.extract_model([ALIGNED, PITCH, ENERGY, "style"], ["audio"])
    return predictor.SerializeToString(), decoder.SerializeToString()


def weigh_norms(decoder_bytes: bytes) -> bytes:
    """The decoder with every instance norm's mean and variance over time weighted per frame
    by the new input :data:`FRAME_WEIGHT` (see the module docstring); the weight of a frame
    of ``aligned`` covers the samples it becomes at each block's resolution (sample ``i`` of
    ``L`` takes frame ``i * frames // L``).

    Raises:
        TTSError: ``model-invalid`` when no instance norm of the pinned export is found.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load_from_string(decoder_bytes)
    graph = model.graph
    chains = _norm_chains(graph)
    if not chains:
        raise TTSError("model-invalid", "not the pinned Kokoro decoder: no instance norm found")
    consts = {"wn_axis": [2], "wn_zero": 0, "wn_one": 1}
    graph.initializer.extend(
        numpy_helper.from_array(np.array(v, np.int64), k) for k, v in consts.items()
    )
    nodes = [
        helper.make_node("Shape", [FRAME_WEIGHT], ["wn_frames1"], start=2, end=3),
        helper.make_node("Squeeze", ["wn_frames1"], ["wn_frames"]),
    ]
    replace: dict[int, list] = {}
    for x, mean, square, variance in chains:
        p = mean.output[0] + "_weighted_"  # output names are unique, node names need not be
        w, total = p + "w", p + "total"
        replace[id(mean)] = [  # w: the frame weights at x's resolution, (1, 1, L)
            helper.make_node("Shape", [x], [p + "len1"], start=2, end=3),
            helper.make_node("Squeeze", [p + "len1"], [p + "len"]),
            helper.make_node("Range", ["wn_zero", p + "len", "wn_one"], [p + "i"]),
            helper.make_node("Mul", [p + "i", "wn_frames"], [p + "iF"]),
            helper.make_node("Div", [p + "iF", p + "len"], [p + "frame"]),
            helper.make_node("Gather", [FRAME_WEIGHT, p + "frame"], [w], axis=2),
            helper.make_node("ReduceSum", [w, "wn_axis"], [total], keepdims=1),
            *_weighted_mean(helper, x, w, total, p + "mean", list(mean.output)),
        ]
        replace[id(variance)] = _weighted_mean(
            helper, square, w, total, p + "var", list(variance.output)
        )
    rewritten = [new for n in graph.node for new in replace.get(id(n), [n])]
    del graph.node[:]
    graph.node.extend(nodes + rewritten)
    graph.input.append(helper.make_tensor_value_info(FRAME_WEIGHT, TensorProto.FLOAT, [1, 1, "F"]))
    return model.SerializeToString()


def square_by_product(decoder_bytes: bytes) -> bytes:
    """The decoder with every ``Pow(x, 2)`` computed as ``Mul(x, x)``: the same values to the
    bit. The export's Snake activations (``x + sin(a x)^2 / a``, 50 in the generator) square
    with ``Pow``, which onnxruntime 1.32 runs at about the cost of the ``Sin`` before it
    (5 % of a first piece's decoder CPU, its profiler), against a cheap element-wise product.

    Raises:
        TTSError: ``model-invalid`` when the graph has no ``Pow`` by a constant 2 (not the
            pinned export's decoder).
    """
    import onnx
    from onnx import numpy_helper

    model = onnx.load_from_string(decoder_bytes)
    graph = model.graph
    values = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    values.update(
        {
            n.output[0]: numpy_helper.to_array(n.attribute[0].t)
            for n in graph.node
            if n.op_type == "Constant" and n.attribute and n.attribute[0].name == "value"
        }
    )
    squared = 0
    for node in graph.node:
        exponent = values.get(node.input[1]) if node.op_type == "Pow" else None
        if exponent is not None and exponent.size == 1 and float(exponent.ravel()[0]) == 2.0:
            node.op_type, node.input[1], node.name = "Mul", node.input[0], node.name + "_square"
            squared += 1
    if not squared:
        raise TTSError("model-invalid", "not the pinned Kokoro decoder: no Pow(x, 2) found")
    return model.SerializeToString()


def _weighted_mean(helper, x: str, w: str, total: str, p: str, out: list[str]) -> list:
    """Nodes for ``out = sum(x * w, axis 2) / total`` (keepdims)."""
    return [
        helper.make_node("Mul", [x, w], [p + "_xw"]),
        helper.make_node("ReduceSum", [p + "_xw", "wn_axis"], [p + "_sum"], keepdims=1),
        helper.make_node("Div", [p + "_sum", total], out),
    ]


def _norm_chains(graph) -> list[tuple[str, object, str, object]]:
    """Every instance norm over time: (its input, the ``ReduceMean`` of the mean, the squared
    deviation it averages, the ``ReduceMean`` of the variance)."""
    from onnx import numpy_helper

    axes = {i.name: numpy_helper.to_array(i).ravel().tolist() for i in graph.initializer}
    producer = {out: node for node in graph.node for out in node.output}
    chains = []
    for node in graph.node:
        if node.op_type != "Div":
            continue
        sub, sqrt = producer.get(node.input[0]), producer.get(node.input[1])
        if not (sub and sqrt and sub.op_type == "Sub" and sqrt.op_type == "Sqrt"):
            continue
        eps = producer.get(sqrt.input[0])
        variance = producer.get(eps.input[0]) if eps and eps.op_type == "Add" else None
        square = producer.get(variance.input[0]) if variance else None
        mean = producer.get(sub.input[1])
        if not (
            variance is not None
            and square is not None
            and mean is not None
            and variance.op_type == mean.op_type == "ReduceMean"
            and square.op_type == "Mul"
            and list(square.input) == [sub.output[0]] * 2
            and mean.input[0] == sub.input[0]
            and all(
                axes.get(r.input[1] if len(r.input) > 1 else "") == [2] for r in (mean, variance)
            )
        ):
            continue
        chains.append((sub.input[0], mean, square.output[0], variance))
    return chains


def shorten_tail(
    symbols: Sequence[str],
    units: np.ndarray,
    aligned: np.ndarray,
    pitch: np.ndarray,
    energy: np.ndarray,
    keep_units: int,
    spread_units: int = 4,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Drop the silent middle of a piece's last phoneme beyond ``keep_units`` duration units
    before the decoder runs, its weight moved onto the ``spread_units`` kept frames before the
    cut (see the module docstring; the decoder must come from :func:`weigh_norms`).

    Args:
        symbols: the piece's token symbols, start and end tokens included.
        units: int (tokens,) durations from the predictor.
        aligned: float32 (1, 512, frames) text features, one frame per unit.
        pitch: float32 (1, 2 * frames) F0 (Hz), two frames per unit.
        energy: float32 (1, 2 * frames), as ``pitch``.
        keep_units: units of the last phoneme kept (25 ms each).
        spread_units: kept frames that carry the dropped frames' weight (1..keep_units).

    Returns:
        The durations with the last phoneme shortened, and the decoder's feed of
        :data:`ALIGNED`, :data:`PITCH`, :data:`ENERGY` and :data:`FRAME_WEIGHT` (all weights
        1 when nothing is dropped).
    """
    last = max((i for i, s in enumerate(symbols) if s not in TRAILING), default=0)
    start = int(units[:last].sum())
    drop = max(0, int(units[last]) - keep_units) if last else 0
    weight = np.ones((1, 1, aligned.shape[-1] - drop), np.float32)
    if drop:
        cut, end = start + keep_units, start + keep_units + drop
        aligned = np.concatenate([aligned[..., :cut], aligned[..., end:]], axis=-1)
        pitch = np.concatenate([pitch[..., : 2 * cut], pitch[..., 2 * end :]], axis=-1)
        energy = np.concatenate([energy[..., : 2 * cut], energy[..., 2 * end :]], axis=-1)
        spread = max(1, min(spread_units, keep_units))
        weight[..., cut - spread : cut] += drop / spread
        units = units.copy()
        units[last] -= drop
    feed = {ALIGNED: aligned, PITCH: pitch, ENERGY: energy, FRAME_WEIGHT: weight}
    return units, feed
