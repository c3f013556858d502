"""Realtime latency of ``dhe serve`` as a visitor sees it (aiortc client over loopback).

Per spoken turn it prints: end of speech → final transcript, → reply text, → first reply audio
sent (server clock, from the metrics event), → first reply audio received (client clock), and
where the final decode's time went (end of speech → decode asked for, waiting for the model,
the decode itself; TTS first audio), then p50/p95 of each over the turns; the barge-in stop
time from the visitor's speech onset; and how many concurrent sessions keep ≥ 24 fps of video.

The client runs on the server's machine, so it must not take CPU a real visitor's browser (on
another machine) would not: it does **not decode** the avatar video it receives. Every video
frame is still rendered, encoded and sent by the server; the client counts the complete VP8
frames that arrive, and the fps figures are those counts (``--decode-video`` decodes them too,
to see what a same-machine decoder costs).

Spoken FAQ questions are synthesized with espeak-ng (a voice unlike the avatar's Piper voice;
**synthetic**); the real LibriSpeech/LJ Speech clips from ../shared/data are
out-of-domain questions. Usage::

    .venv/bin/python benchmarks/realtime_latency.py [--url http://127.0.0.1:8080] [--turns 6]
        [--max-sessions 3] [--decode-video]

Without ``--url`` it starts ``dhe serve --port 0`` itself. Prints figures; decides nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import statistics
import subprocess
import sys
from pathlib import Path

import av
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from engine.audio.decode import load_audio  # noqa: E402
from engine.audio.vad import SileroVAD, SpeechSegmenter, speech_segments  # noqa: E402
from tests.support.visitor import ServerProcess, VisitorClient, to_48k  # noqa: E402

SHARED = REPO.parent / "shared" / "data"
FAQ_QUESTIONS = (  # synthetic voice (espeak-ng), in-domain: knowledge-base answers
    "When are you open?",
    "Where can I find an ATM?",
    "What documents do I need to open an account?",
)
REAL_CLIPS = ("audio/en/en_ljspeech_LJ001-0006_fine_typography.wav",)


def espeak(text: str) -> np.ndarray:
    """Synthesize ``text`` with espeak-ng (voice en-us+m3) → float32 16 kHz mono."""
    wav = subprocess.run(
        ["espeak-ng", "-v", "en-us+m3", "-s", "160", "--stdout", text],
        check=True,
        capture_output=True,
    ).stdout
    with av.open(io.BytesIO(wav)) as container:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=16000)
        out = [
            f.to_ndarray().reshape(-1)
            for frame in container.decode(audio=0)
            for f in resampler.resample(frame)
        ]
    return np.concatenate(out).astype(np.float32)


def speech_bounds(audio: np.ndarray) -> tuple[float, float]:
    """(first speech, last speech) in seconds from the clip start (Silero, same segmenter)."""
    segments = speech_segments(SileroVAD().process(audio), SpeechSegmenter())
    return segments[0][0] / 16000, segments[-1][1] / 16000


#: Server-side figures of each turn (metrics event), in milliseconds, with their labels.
SERVER_FIGURES = (
    ("final_transcript_ms", "final transcript"),
    ("reply_text_ms", "reply text"),
    ("reply_first_audio_ms", "first audio sent"),
    ("asr_start_ms", "  final decode asked"),
    ("asr_wait_ms", "  waited for model"),
    ("asr_decode_ms", "  decode ran"),
    ("dialog", "  dialog"),
    ("tts_first_audio_ms", "  tts first audio"),
)


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


async def one_turn(client: VisitorClient, audio: np.ndarray) -> dict[str, float | None]:
    _, speech_end = speech_bounds(audio)
    t_say = client.mic.say(to_48k(audio))
    t_eos = t_say + speech_end
    metrics = await client.wait_event(lambda m: m.get("type") == "metrics", 60, after=t_say)
    sound = client.received.sound_times(after=t_eos)
    timings = metrics["timings_ms"]
    row = {key: timings.get(key) for key, _ in SERVER_FIGURES}
    row["received_ms"] = round((sound[0] - t_eos) * 1000, 1) if sound else None
    row["intent"] = metrics.get("intent")
    t_metrics = client.received.events[-1][0]
    await client.wait_event(
        lambda m: m.get("type") == "state" and m["state"] == "idle", timeout=90, after=t_metrics
    )
    await asyncio.sleep(0.5)
    return row


async def latency(url: str, turns: int, decode_video: bool) -> None:
    clips = [(q, espeak(q)) for q in FAQ_QUESTIONS] + [
        (c, load_audio(SHARED / c)) for c in REAL_CLIPS if (SHARED / c).exists()
    ]
    client = VisitorClient(url, decode_video=decode_video)
    await client.connect()
    await asyncio.sleep(1.0)
    rows = []
    try:
        for i in range(turns):
            name, audio = clips[i % len(clips)]
            row = await one_turn(client, audio)
            rows.append(row)
            print(
                f"turn {i + 1} [{name[:40]}] intent={row['intent']}: "
                f"final {row['final_transcript_ms']} ms, reply text {row['reply_text_ms']} ms, "
                f"first audio sent {row['reply_first_audio_ms']} ms, "
                f"received {row['received_ms']} ms (final decode asked {row['asr_start_ms']}, "
                f"waited {row['asr_wait_ms']}, ran {row['asr_decode_ms']}; "
                f"tts first {row['tts_first_audio_ms']})",
                flush=True,
            )
    finally:
        await client.close()
    print("end of speech → (ms)      p50      p95   (indented: parts, ms)")
    for key, label in (*SERVER_FIGURES, ("received_ms", "first audio received")):
        values = [r[key] for r in rows if r[key] is not None]
        print(f"  {label:22s} {pct(values, 50):8.0f} {pct(values, 95):8.0f}")
    faq = [r["reply_first_audio_ms"] for r in rows if r["intent"] and r["reply_first_audio_ms"]]
    if faq:
        print(
            f"FAQ answers: end of speech → first reply audio sent p50 {statistics.median(faq):.0f} ms"
        )


async def barge_in(url: str, decode_video: bool, repeats: int = 3) -> None:
    clip = (
        load_audio(SHARED / REAL_CLIPS[0])
        if (SHARED / REAL_CLIPS[0]).exists()
        else espeak("Sorry, can I ask something else?")
    )
    onset, _ = speech_bounds(clip)
    stops, server_ms = [], []
    for _ in range(repeats):
        client = VisitorClient(url, decode_video=decode_video)
        await client.connect()
        try:
            await client.send_event({"type": "text", "text": FAQ_QUESTIONS[0]})
            await client.wait_event(lambda m: m.get("state") == "speaking", timeout=30)
            await asyncio.sleep(1.5)
            t_onset = client.mic.say(to_48k(clip)) + onset
            msg = await client.wait_event(lambda m: m.get("state") == "interrupted", timeout=15)
            await asyncio.sleep(1.0)
            before = [t for t in client.received.sound_times(after=t_onset - 1.0)]
            last = max(t for t in before if t < t_onset + 3.0)
            stops.append((last - t_onset) * 1000)
            server_ms.append(msg.get("bargein_ms", float("nan")))
        finally:
            await client.close()
    print(
        f"barge-in: speech onset → last reply audio received p50 {pct(stops, 50):.0f} ms "
        f"(server: onset → audio flushed p50 {pct(server_ms, 50):.0f} ms; onset must last 200 ms)"
    )


def frames_received(client: VisitorClient) -> int:
    """Video frames received so far: decoded ones, or complete encoded ones when not decoding."""
    return len(client.received.video if client.decode_video else client.received.encoded_video)


async def concurrency(
    url: str, max_sessions: int, decode_video: bool, seconds: float = 12.0
) -> None:
    best = 0
    what = "decoded" if decode_video else "complete VP8 frames received, not decoded"
    for n in range(1, max_sessions + 1):
        clients = [VisitorClient(url, decode_video=decode_video) for _ in range(n)]
        for c in clients:
            await c.connect()
        await asyncio.sleep(2.0)
        for c in clients:
            await c.send_event({"type": "text", "text": FAQ_QUESTIONS[0]})
        loop = asyncio.get_running_loop()
        t0, counts0 = loop.time(), [frames_received(c) for c in clients]
        await asyncio.sleep(seconds)
        t1 = loop.time()
        fps = [(frames_received(c) - k) / (t1 - t0) for c, k in zip(clients, counts0, strict=True)]
        for c in clients:
            await c.close()
        print(
            f"{n} concurrent session(s), each replying: video fps {[round(f, 1) for f in fps]} "
            f"({what})"
        )
        if min(fps) >= 24.0:
            best = n
        else:
            break
        await asyncio.sleep(2.0)
    print(f"sessions at ≥ 24 fps on this machine ({os.cpu_count()} CPUs): {best}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="a running server (default: start one)")
    parser.add_argument("--turns", type=int, default=6)
    parser.add_argument("--max-sessions", type=int, default=3)
    parser.add_argument(
        "--decode-video",
        action="store_true",
        help="decode the received video on this machine too (default: count frames only)",
    )
    args = parser.parse_args()
    server = None
    url = args.url
    if not url:
        server = ServerProcess(env={"DHE_SERVER__MAX_SESSIONS": str(args.max_sessions + 1)})
        url = server.start()
    print(
        f"server {url}; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; "
        f"client {'decodes' if args.decode_video else 'does not decode'} the received video",
        flush=True,
    )
    try:
        await latency(url, args.turns, args.decode_video)
        await barge_in(url, args.decode_video)
        await concurrency(url, args.max_sessions, args.decode_video)
    finally:
        print(f"load average at the end {os.getloadavg()[0]:.2f}")
        if server is not None:
            server.stop()


if __name__ == "__main__":
    asyncio.run(main())
