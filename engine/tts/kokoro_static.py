"""A faster Kokoro decoder: its convolutions quantized statically (QDQ, int8, per channel).

Kokoro's decoder (the iSTFTNet vocoder) is ~97 % of a piece's CPU, and onnxruntime's
``ConvInteger`` (the pinned export's dynamic quantization, which also re-quantizes every
activation on every call) 63 % of the decoder (onnxruntime 1.32's profiler, one 6 s clause).
onnxruntime's static quantization (``onnxruntime.quantization.quantize_static``, QDQ format:
``DequantizeLinear → Conv → QuantizeLinear``, fused into ``QLinearConv`` on load) runs the same
convolutions in about half the time, with weight scales per output channel and activation
ranges fixed by calibration.

The build (run by ``dhe models kokoro-82m``, :func:`build`) is deterministic: the float weights
come out of the pinned export (:mod:`engine.tts.kokoro_dequant`), the activation ranges from
:data:`RANGES_PATH` in the repository (min/max per tensor, written by :func:`calibrate` from the
fixed :data:`CALIBRATION_TEXTS`: the packs' own replies, a sample neither the intelligibility
test nor the speaker choice scores), so every machine writes the same bytes (sha256 in the
manifest). Which convolutions are quantized is :data:`QUANTIZED` (measured on the Mandarin ASR's
CER: see there).
"""

from __future__ import annotations

import contextlib
import json
import logging
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from engine.paths import ASSETS_DIR
from engine.tts.kokoro_decoder import STATIC_DECODER_FILE
from engine.tts.kokoro_dequant import dequantize_dynamic

#: Activation ranges (onnxruntime's calibration cache format, MinMax) for the static build.
RANGES_PATH = ASSETS_DIR / "models" / "kokoro-decoder-ranges.json"
#: Calibration replies: the packs' own Mandarin replies (templates 1::4 of the bank and tax
#: packs, slots filled; the intelligibility test scores 0::4, benchmarks/zh_speakers.py 2::4),
#: cut at sentence ends as the engine speaks them.
CALIBRATION_TEXTS = (
    "请说出或输入这六位验证码。",
    "谢谢。",
    "我已经向您尾号5678的手机发送了六位验证码。",
    "很抱歉，银行系统暂时无法使用。",
    "请稍后再试，或者转人工办理。",
    "您的身份验证已过期，需要重新验证。",
    "好的，您的预约保持不变。",
    "您要查询哪一年的个税申报？比如2024年。",
    "抱歉，没有找到这个尾号的纳税人，我们再试一次。",
    "您2024年度的个税汇算已审核完成，可退税1,280.50元。",
)
#: The convolutions quantized statically (name fragments): the generator's source branch and
#: its first three residual blocks, ~43 % of the decoder's ``ConvInteger`` time. The rest keep
#: the pinned export's dynamic quantization. Measured against the float decoder on one clause
#: (SNR of the waveform; the export's own dynamic int8 decoder: 13.1 dB): the source branch alone
#: 25.3 dB, blocks 0-2 alone 18.1 dB, blocks 3-5 alone 11.2 dB, these together 12.6 dB; the
#: blocks before the generator (``encode``, ``decode.*``, F0/energy) quantized made another
#: voice (-2.3 dB, 暂时 heard as 在十). With every generator convolution static the decoder took
#: 42 % less CPU (10.4 dB) but the Mandarin ASR's CER on the choice sample rose 11.3 -> 13.9 %;
#: with these 12.9 % (12.9 % too with the source branch alone, 17.5 dB: the ASR's spread), and on
#: the intelligibility test's own sample 12.4 -> 12.2 %. On the quiet machine (benchmarks/tts.py, the
#: test's 23 replies) RTF median 0.410 -> 0.278, first audio median 817 -> 679 ms, CER 12.4 ->
#: 12.2 %, streamed replies with a silence >= 350 ms 7 -> 1: so ``decoder: static`` is the default.
QUANTIZED = (
    "/generator/noise_convs.",
    "/generator/noise_res.",
    "/generator/resblocks.0/",
    "/generator/resblocks.1/",
    "/generator/resblocks.2/",
)


def float_decoder(model_path: Path, parts: tuple[str, ...] | None = QUANTIZED):
    """The decoder half of the pinned Kokoro export (:func:`engine.tts.kokoro_graph.split_graph`)
    as an ``onnx.ModelProto``, the nodes named by ``parts`` (None: all) with float32 weights
    (:func:`engine.tts.kokoro_dequant.dequantize_dynamic`).

    Raises:
        TTSError: ``model-invalid`` (not the pinned export).
        ValueError: a quantized pattern the dequantizer does not know.
    """
    import onnx

    from engine.tts.kokoro_graph import split_graph

    _, decoder = split_graph(Path(model_path).read_bytes())
    only = None if parts is None else (lambda name: any(p in name for p in parts))
    model, _ = dequantize_dynamic(onnx.load_from_string(decoder), only=only)
    return model


def _excluded(model) -> list[str]:
    """Float convolutions that stay float (``conv_post``: float in the export too)."""
    return [
        n.name
        for n in model.graph.node
        if n.op_type == "Conv" and not any(part in n.name for part in QUANTIZED)
    ]


def build(model_dir: Path, log: Callable[[str], None] = print) -> Path:
    """Write :data:`STATIC_DECODER_FILE` into ``model_dir`` (~1 min on 2 cores) from the
    pinned model there and the ranges in :data:`RANGES_PATH`.

    Returns:
        The written file.

    Raises:
        FileNotFoundError: the pinned model or :data:`RANGES_PATH` is missing.
    """
    from engine.tts.kokoro import MODEL_FILE

    if not RANGES_PATH.is_file():
        raise FileNotFoundError(f"activation ranges not found: {RANGES_PATH}")
    log("  kokoro-82m: float weights out of the int8 export …")
    model = float_decoder(Path(model_dir) / MODEL_FILE)
    out = Path(model_dir) / STATIC_DECODER_FILE
    log("  kokoro-82m: quantizing the decoder's convolutions (static int8, per channel) …")
    _quantize(model, out.with_suffix(".partial"), RANGES_PATH, None)
    out.with_suffix(".partial").replace(out)
    return out


def calibrate(model_dir: Path, ranges: Path = RANGES_PATH) -> None:
    """Write the activation ranges (min/max of every convolution's input and output, as
    onnxruntime's calibration cache) of the float decoder speaking :data:`CALIBRATION_TEXTS`
    (all convolutions, so :data:`QUANTIZED` can change without calibrating again; ~5 min).

    Raises:
        TTSError: the model folder is incomplete.
    """
    import numpy as np
    from onnxruntime.quantization import CalibrationDataReader

    from engine.tts.kokoro import MODEL_FILE, KokoroTTS
    from engine.tts.kokoro_graph import ALIGNED, ENERGY, PITCH
    from engine.tts.zh_g2p import to_phonemes

    tts = KokoroTTS(Path(model_dir), decoder="dynamic")
    feeds = []
    for text in CALIBRATION_TEXTS:  # the predictor's outputs are the decoder's inputs
        ids = [i for _, i in tts._tokens(to_phonemes(text))]
        style = tts._style[len(ids) - 1][None, :]
        tokens = np.array([[0, *ids, 0]], dtype=np.int64)
        speed = np.array([1.0], dtype=np.float32)
        _, pitch, energy, aligned = tts._predictor.run(
            None, {"tokens": tokens, "style": style, "speed": speed}
        )
        feeds.append({ALIGNED: aligned, PITCH: pitch, ENERGY: energy, "style": style})

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self._feeds = iter(feeds)

        def get_next(self) -> dict | None:
            return next(self._feeds, None)

    ranges.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="dhe-kokoro-") as tmp:
        model = float_decoder(Path(model_dir) / MODEL_FILE, parts=None)
        _quantize(model, Path(tmp) / "discarded.onnx", ranges, Reader())
    data = json.loads(ranges.read_text("utf-8"))  # one tensor a line, for readable diffs
    ranges.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")


def _quantize(model, out: Path, ranges: Path, reader) -> None:
    """onnxruntime's quantize_static: QDQ, int8 weights per output channel, uint8 activations
    with MinMax ranges (read from ``ranges``, or measured with ``reader`` and written there)."""
    import onnx
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    with tempfile.TemporaryDirectory(prefix="dhe-kokoro-") as tmp, _no_preprocess_advice():
        src = Path(tmp) / "decoder-float.onnx"
        onnx.save(model, src)
        quantize_static(
            str(src),
            str(out),
            calibration_data_reader=reader,
            calibration_cache_path=str(ranges),
            quant_format=QuantFormat.QDQ,
            op_types_to_quantize=["Conv"],
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.MinMax,
            nodes_to_exclude=_excluded(model) if reader is None else [],
        )


class _PreprocessAdvice(logging.Filter):
    """Drops onnxruntime's "Please consider (to run) pre-processing before quantization"."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "pre-processing before quantization" not in record.getMessage()


@contextlib.contextmanager
def _no_preprocess_advice() -> Iterator[None]:
    """Keep quantize_static's advice to pre-process the model out of setup's output: the
    decoder is built as it is on purpose (pre-processing rewrites the graph, and the built
    file's sha256 is pinned in the models manifest), so the advice only alarms whoever
    runs setup. quantize_static logs it on the root logger."""
    advice = _PreprocessAdvice()
    root = logging.getLogger()
    root.addFilter(advice)
    try:
        yield
    finally:
        root.removeFilter(advice)
