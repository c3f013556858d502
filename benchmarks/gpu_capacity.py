"""GPU capacity: how many sessions can speak at the same moment with the reply ≤ 1.0 s and the
avatar video at 25 fps, on this machine's accelerator (one prepared script).

It first says what the machine offers, then loads every model the way the engine does on a GPU
and measures them together:

- ASR: faster-whisper (CTranslate2) ``whisper-tiny.en`` on CUDA (``float16``; ``int8`` on CPU).
- ONNX: onnxruntime's ``CUDAExecutionProvider`` (Smart Turn v3.2 end-of-turn checks; Piper's
  voice through ``use_cuda``).
- Rendering: the avatar on EGL (the NVIDIA driver's EGL device on a GPU machine, Mesa llvmpipe
  otherwise) with MSAA 4x, 512x512, one renderer (GL thread) per session.
- Video encoding: PyAV's hardware H.264 encoder when its FFmpeg has one (``h264_nvenc``), else
  libx264 (``ultrafast``, ``zerolatency``: the software encoder aiortc uses for H.264).

For N = 1, 2, 4, … sessions it runs N paced video workers (render + encode at 25 fps on absolute
deadlines; a late frame is skipped, as the engine's video track does) for ``--seconds``, and in
the middle of that every session "finishes speaking" at the same instant: N final decodes of a
synthetic question, N Smart Turn checks and N first sentences of the reply are submitted at once.
A session's reply time is ``--endpoint-ms`` (the end-of-turn pause the live policy waits
for) + its decode + its turn check + ``--dialog-ms`` + its first sentence of speech +
``--transport-ms`` (send + the client's jitter buffer); the three middle stages run on the
accelerator, queued as they would be. The largest N whose slowest reply is ≤ 1.0 s and whose
slowest session kept ≥ 25 fps is printed last. This is a component-level figure: check it
end to end with ``benchmarks/realtime_latency.py --sessions N`` against a server configured for
the GPU (``DHE_ASR__DEVICE=cuda DHE_ASR__COMPUTE_TYPE=float16 DHE_AVATAR__MSAA=4``).

``--device cpu`` is a dry run: the same code on the CPU (int8 ASR, CPU onnxruntime, llvmpipe)
with fewer sessions and seconds by default, to check the script itself on a machine without a
GPU; its figures are not a GPU's. The question is synthesized with espeak-ng (**synthetic**)::

    .venv/bin/python benchmarks/gpu_capacity.py [--device cuda|cpu] [--max-sessions 32]
        [--seconds 6] [--endpoint-ms 420] [--dialog-ms 40] [--transport-ms 80]

Prints figures; decides nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from visitor_speech import espeak  # noqa: E402  (espeak-ng en-us+m3: synthetic)

from avatar import DEFAULT_AVATAR_PATH, Renderer, load_avatar  # noqa: E402
from avatar.egl import create_context  # noqa: E402
from avatar.pose import Pose  # noqa: E402
from engine import models as model_store  # noqa: E402
from engine.asr.whisper import ASRSettings, WhisperASR  # noqa: E402
from engine.audio.turn_model import MODEL_FILE, MODEL_NAME, features  # noqa: E402

FPS = 25
SIZE = 512
QUESTION = "What documents do I need to open an account?"
REPLY_SENTENCE = "You need a valid passport or identity card and proof of your address."
HW_ENCODERS = ("h264_nvenc", "h264_vaapi", "h264_qsv", "h264_v4l2m2m")


def probe(device: str) -> dict[str, str]:
    """What the machine offers: CUDA for CTranslate2, onnxruntime's providers, the EGL/GL
    vendor and renderer, and the hardware encoders PyAV's FFmpeg carries."""
    import ctranslate2
    import onnxruntime
    from OpenGL import GL

    found = {
        "ctranslate2 cuda devices": str(ctranslate2.get_cuda_device_count()),
        "onnxruntime providers": ", ".join(onnxruntime.get_available_providers()),
    }
    out: dict[str, str] = {}

    def gl_strings() -> None:  # a context is current on the thread that made it
        ctx = create_context()
        try:
            for key, name in (("GL vendor", GL.GL_VENDOR), ("GL renderer", GL.GL_RENDERER)):
                out[key] = GL.glGetString(name).decode()
            out["GL max samples"] = str(GL.glGetIntegerv(GL.GL_MAX_SAMPLES))
        finally:
            ctx.destroy()

    worker = threading.Thread(target=gl_strings)
    worker.start()
    worker.join()
    found.update(out)
    found["PyAV hardware H.264 encoders"] = ", ".join(hw_encoders()) or "none"
    found["device asked for"] = device
    return found


def hw_encoders() -> list[str]:
    """Hardware H.264 encoders PyAV's FFmpeg has that actually open (a listed nvenc without a
    driver fails at open)."""
    usable = []
    for name in HW_ENCODERS:
        if name not in av.codecs_available:
            continue
        try:
            make_encoder(name)
        except (av.FFmpegError, ValueError):  # listed but no device/driver behind it
            continue
        usable.append(name)
    return usable


def make_encoder(name: str) -> av.CodecContext:
    """An opened H.264 encoder for 512² yuv420p at 25 fps, low-latency settings."""
    codec = av.CodecContext.create(name, "w")
    codec.width = codec.height = SIZE
    codec.pix_fmt = "yuv420p"
    codec.time_base = Fraction(1, FPS)
    codec.framerate = Fraction(FPS, 1)
    codec.bit_rate = 1_000_000
    codec.gop_size = 2 * FPS
    codec.options = (
        {"preset": "ultrafast", "tune": "zerolatency"}
        if name == "libx264"
        else {"preset": "p1", "tune": "ull", "zerolatency": "1"}
        if name.endswith("nvenc")
        else {}
    )
    codec.open()
    return codec


@dataclass
class Models:
    """Everything one process loads once and every session shares."""

    asr: WhisperASR
    turn: object  # an onnxruntime session on the asked provider
    turn_input: str
    tts: object  # engine.tts.piper.PiperTTS
    avatar: object
    encoder_name: str
    msaa: int


def load_models(device: str) -> Models:
    """Load ASR, the turn model, the English voice and the avatar for ``device``."""
    import onnxruntime

    from engine.tts.piper import PiperTTS
    from engine.voices import piper_model_path

    cuda = device == "cuda"
    asr = WhisperASR(
        "whisper-tiny.en",
        ASRSettings(device=device, compute_type="float16" if cuda else "int8", window_s=10.0),
    )
    providers = ["CUDAExecutionProvider"] if cuda else ["CPUExecutionProvider"]
    path = model_store.model_path(MODEL_NAME) / MODEL_FILE
    turn = onnxruntime.InferenceSession(str(path), providers=providers)
    if turn.get_providers()[0] != providers[0]:
        raise SystemExit(f"onnxruntime did not give {providers[0]}: {turn.get_providers()}")
    tts = PiperTTS(piper_model_path("piper-en_US-joe-medium"), use_cuda=cuda)
    encoders = hw_encoders() if cuda else []
    return Models(
        asr=asr,
        turn=turn,
        turn_input=turn.get_inputs()[0].name,
        tts=tts,
        avatar=load_avatar(DEFAULT_AVATAR_PATH),
        encoder_name=encoders[0] if encoders else "libx264",
        msaa=4,
    )


def video_worker(models: Models, seconds: float, ready: threading.Barrier) -> float:
    """Render + encode one session's frames at 25 fps on absolute deadlines for ``seconds``
    once every session is set up (``ready``); late frames are skipped. Returns the fps."""
    encoder = make_encoder(models.encoder_name)
    sent = 0
    with Renderer(models.avatar, SIZE, SIZE, msaa=models.msaa, fxaa=False) as renderer:
        out = np.empty((SIZE, SIZE, 3), np.uint8)
        renderer.render(Pose(), out)  # shaders compiled, buffers allocated
        ready.wait()
        start = time.perf_counter()
        i = 0
        while (now := time.perf_counter()) < start + seconds:
            due = start + i / FPS
            if now > due + 1 / FPS:  # this frame's time has passed: skip to the current one
                i = int((now - start) * FPS)
                continue
            if due > now:
                time.sleep(due - now)
            jaw = 0.5 + 0.5 * np.sin(i / 3.0)  # a mouth that moves: no frame is a repeat
            renderer.render(Pose(weights={"jawOpen": float(jaw)}, yaw=0.01 * np.sin(i / 9)), out)
            frame = av.VideoFrame.from_ndarray(out, format="rgb24").reformat(format="yuv420p")
            frame.pts = i
            encoder.encode(frame)
            sent += 1
            i += 1
        elapsed = time.perf_counter() - start
    encoder.encode(None)  # flush
    return sent / elapsed


def one_reply(models: Models, question: np.ndarray, t0: float) -> float:
    """One session's reply work (decode, turn check, first sentence) from ``t0``
    (``time.perf_counter`` seconds) on ``question``, float32 (n,) 16 kHz; returns seconds from
    ``t0`` to the first sentence's audio."""
    models.asr.transcribe(question, language="en")
    models.turn.run(None, {models.turn_input: features(question[-8 * 16_000 :])})
    models.tts.synthesize_sentence(REPLY_SENTENCE, "en")
    return time.perf_counter() - t0


def run_sessions(models: Models, n: int, seconds: float, question: np.ndarray) -> tuple:
    """N sessions: paced video throughout, N replies at once a third of the way in. Returns
    (slowest reply work in s, per-session fps list)."""
    ready = threading.Barrier(n + 1)
    with ThreadPoolExecutor(max_workers=2 * n) as pool:
        videos = [pool.submit(video_worker, models, seconds, ready) for _ in range(n)]
        ready.wait()
        time.sleep(seconds / 3)  # video paced before the replies start
        t0 = time.perf_counter()
        replies = [pool.submit(one_reply, models, question, t0) for _ in range(n)]
        work = [f.result() for f in replies]
        fps = [f.result() for f in videos]
    return max(work), fps


def main() -> int:
    """Parse the flags, run the capacity probe and print its figures; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=("cuda", "cpu"), default="cuda")
    parser.add_argument("--max-sessions", type=int, default=None)
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--endpoint-ms", type=float, default=420.0)
    parser.add_argument("--dialog-ms", type=float, default=40.0)
    parser.add_argument("--transport-ms", type=float, default=80.0)
    args = parser.parse_args()
    dry = args.device == "cpu"
    max_sessions = args.max_sessions or (2 if dry else 32)
    seconds = args.seconds or (4.0 if dry else 8.0)
    if dry:
        print("DRY RUN on the CPU (--device cpu): checks the script; these are not GPU figures")
    for key, value in probe(args.device).items():
        print(f"{key}: {value}")
    models = load_models(args.device)
    print(f"video encoder: {models.encoder_name}; MSAA {models.msaa}x; {SIZE}x{SIZE} at {FPS}")
    question = espeak(QUESTION)
    one_reply(models, question, time.perf_counter())  # first-run allocations out of the way
    fixed_ms = args.endpoint_ms + args.dialog_ms + args.transport_ms
    best, n = 0, 1
    while n <= max_sessions:
        work_s, fps = run_sessions(models, n, seconds, question)
        reply_ms = fixed_ms + work_s * 1e3
        ok = reply_ms <= 1000.0 and min(fps) >= FPS
        print(
            f"{n} session(s) at once: slowest reply {reply_ms:.0f} ms "
            f"(accelerator work {work_s * 1e3:.0f} ms + fixed {fixed_ms:.0f} ms); "
            f"fps min {min(fps):.1f} median {statistics.median(fps):.1f}"
            f"{'' if ok else '  <- over budget'}",
            flush=True,
        )
        if ok and best == n // 2:
            best = n
        if not ok and not dry:  # the dry run goes on: every code path once
            break
        n *= 2
    print(f"sessions speaking at once with reply <= 1.0 s and {FPS} fps ({args.device}): {best}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
