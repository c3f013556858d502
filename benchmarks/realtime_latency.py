"""Realtime latency of ``dhe serve`` as a visitor hears it (aiortc client over loopback).

Scenarios (``--only`` picks some; all by default):

- ``latency``: per spoken turn, end of speech → final transcript, → reply text, → first reply
  audio sent (server clock, from the metrics event), → first reply audio **received** (client
  clock), where the final decode's time went, when the reply was prepared if it was
  ahead of the endpoint (``engine.foresight``), and the silences inside the reply as received
  (the longest in its first 1.5 s and anywhere; none should reach 200 / 350 ms). The **first
  turn** (the first after ``/healthz`` turned 200 when this script started the server) is
  printed apart; p50/p95 are over the warm turns.
- ``bargein``: the visitor speaks into a spoken turn's multi-sentence reply at 0.5 s, at 1.5 s,
  in the middle of its first piece, in the first gap between pieces and in the middle of its
  second piece (the pieces are found in a reference reply: silent runs ≥ 80 ms). Per point:
  visitor onset → reply silent (≤ 450 ms wanted), reply audio heard after that until the visitor
  stops (0 wanted), visitor end of speech → the new reply's first audio (≤ 8 s wanted).
- ``mandarin``: Mandarin questions synthesized with espeak-ng (pinyin through its ``cmn-latn-pinyin``
  voice, unlike the avatar's Kokoro voice; **synthetic**) and the labelled zh clips of ../shared/data, with the session's
  language ``auto`` and ``zh``: end of speech → first reply audio received p50/p95 (over all
  turns and over the real clips alone: Whisper takes espeak-ng's Mandarin for English in 2 of
  the 3 questions, so under ``auto`` they measure a misheard turn), and the CER of the final
  transcripts of the labelled clips (Simplified characters).
- ``concurrency``: 1..``--max-sessions`` sessions answering a typed question at once: video fps.
- ``idle`` (only when this script starts the server): the server's CPU with no session and
  with one idle session (connected, nobody speaking), ``/proc`` user + system time: over its
  first 20 s (the renderer pool makes its spare for the next visitor then) and the 20 s after.
- ``--sessions N`` (alone): N sessions speak the same question at the same moment; prints each
  one's end of speech → first reply audio received and its video fps while its reply plays
  (and over the 12 s from the question on, which also takes in the question and the wait, and
  the idle rate after a reply shorter than that).

The client runs on the server's machine, so it must not take CPU a real visitor's browser (on
another machine) would not: it does **not decode** the avatar video it receives. Every video
frame is still rendered, encoded and sent by the server; the client counts the complete
frames that arrive, and the fps figures are those counts (``--decode-video`` decodes them too).
English FAQ questions are synthesized with espeak-ng (en-us+m3, **synthetic**); the real
LJ Speech clip is an out-of-domain question. Usage::

    .venv/bin/python benchmarks/realtime_latency.py [--url http://127.0.0.1:8080] [--turns 6]
        [--only idle,latency,bargein,mandarin,concurrency] [--max-sessions 3] [--sessions N]
        [--decode-video]

Without ``--url`` it starts ``dhe serve --port 0`` itself. Prints figures; decides nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import realtime_bargein as bargein  # noqa: E402
import realtime_load as load  # noqa: E402
import reply_audio as heard  # noqa: E402
from visitor_speech import espeak, speech_bounds  # noqa: E402

from engine.audio.decode import load_audio  # noqa: E402
from engine.tts.espeak import chinese_to_pinyin  # noqa: E402
from engine.tts.intelligibility import cer_zh  # noqa: E402
from tests.support.server_process import ServerProcess  # noqa: E402
from tests.support.visitor import VisitorClient  # noqa: E402
from tests.support.visitor_mic import to_48k  # noqa: E402

SHARED = REPO.parent / "shared" / "data"
FAQ_QUESTIONS = (  # synthetic voice (espeak-ng), in-domain: knowledge-base answers
    "When are you open?",
    "Where can I find an ATM?",
    "What documents do I need to open an account?",
)
REAL_CLIPS = ("audio/en/en_ljspeech_LJ001-0006_fine_typography.wav",)
ZH_QUESTIONS = (
    "你们几点开门？",
    "附近哪里有取款机？",
    "开户需要带什么证件？",
)  # synthetic: espeak-ng
ZH_CLIPS_TSV = SHARED / "audio" / "transcripts.tsv"  # labelled clips: language column ``zh``


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
    ("reply_prepared_ms", "  reply prepared at"),  # only turns whose prepared reply was used
)


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def _answered_metrics(message: dict) -> bool:
    """A turn's figures once its replies went out (an interrupted turn's come marked)."""
    return message.get("type") == "metrics" and not message.get("interrupted")


async def one_turn(client: VisitorClient, audio: np.ndarray) -> dict | None:
    """Speak ``audio`` and wait until the reply has played; the turn's figures (ms), or None
    when no turn was answered within 60 s (printed)."""
    _, speech_end = speech_bounds(audio)
    t_say = client.mic.say(to_48k(audio))
    t_eos = t_say + speech_end
    try:
        metrics = await client.wait_event(_answered_metrics, 60, after=t_say)
    except TimeoutError:
        print("  no answer within 60 s", flush=True)
        await asyncio.sleep(2.0)
        return None
    t_metrics = client.received.events[-1][0]
    await client.wait_event(
        lambda m: m.get("type") == "state" and m["state"] == "idle", timeout=90, after=t_metrics
    )
    t_idle = client.received.events[-1][0]
    timings = metrics["timings_ms"]
    row = {key: timings.get(key) for key, _ in SERVER_FIGURES}
    frames = heard.reply_frames(client.received.audio, t_eos, t_idle + 0.5)
    row["received_ms"] = round((frames[0][0] - t_eos) * 1000, 1) if frames else None
    runs = heard.silences(frames)
    row["gap_first_ms"] = heard.longest(runs, 1.5)
    row["gap_max_ms"] = heard.longest(runs)
    row["reply_s"] = len(frames) * heard.FRAME_S
    row["intent"] = metrics.get("intent")
    await asyncio.sleep(0.5)
    finals = [
        m
        for t, m in client.received.events
        if t > t_say and m.get("type") == "transcript" and m.get("final")
    ]
    row["transcript"] = finals[-1]["text"] if finals else ""
    row["finals"] = len(finals)  # more than one: the clip was cut into several turns
    return row


def print_turn(i: int, name: str, row: dict) -> None:
    print(
        f"turn {i} [{name[:40]}] intent={row['intent']}: "
        f"final {row['final_transcript_ms']} ms, reply text {row['reply_text_ms']} ms, "
        f"first audio sent {row['reply_first_audio_ms']} ms, "
        f"received {row['received_ms']} ms (final decode asked {row['asr_start_ms']}, "
        f"waited {row['asr_wait_ms']}, ran {row['asr_decode_ms']}; "
        f"tts first {row['tts_first_audio_ms']}); reply {row['reply_s']:.1f} s, longest "
        f"silence {row['gap_first_ms']:.0f} ms in its first 1.5 s, {row['gap_max_ms']:.0f} ms",
        flush=True,
    )


def print_summary(rows: list[dict], title: str) -> None:
    print(f"{title}: end of speech → (ms)   p50      p95   (indented: parts, ms)")
    for key, label in (*SERVER_FIGURES, ("received_ms", "first audio received")):
        values = [r[key] for r in rows if r[key] is not None]
        print(f"  {label:22s} {pct(values, 50):8.0f} {pct(values, 95):8.0f}")
    prepared = sum(r["reply_prepared_ms"] is not None for r in rows)
    print(f"  replies prepared ahead of the endpoint and used: {prepared} of {len(rows)} turns")
    first = [r["gap_first_ms"] for r in rows]
    anywhere = [r["gap_max_ms"] for r in rows]
    print(
        f"  silences inside replies: longest in the first 1.5 s max {max(first, default=0):.0f} "
        f"ms ({sum(g >= 200 for g in first)} replies ≥ 200 ms); anywhere max "
        f"{max(anywhere, default=0):.0f} ms ({sum(g >= 350 for g in anywhere)} replies ≥ 350 ms)"
    )


async def latency(url: str, turns: int, decode_video: bool, fresh_server: bool) -> None:
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
            if row is not None:
                row["first"] = i == 0
                rows.append(row)
                print_turn(i + 1, name, row)
    finally:
        await client.close()
    what = "first after /healthz 200" if fresh_server else "first of this session"
    first = [r["received_ms"] for r in rows if r["first"]]
    print(f"first turn ({what}): first audio received {first[0] if first else 'never'} ms")
    warm = [r for r in rows if not r["first"]]
    print_summary(warm, f"warm turns ({len(warm)})")


def zh_clips() -> list[tuple[str, np.ndarray, str | None]]:
    """(name, float32 16 kHz audio, reference or None): synthetic questions, labelled clips."""
    clips = [
        (f"synthetic: {q}", espeak(chinese_to_pinyin(q), "cmn-latn-pinyin"), None)
        for q in ZH_QUESTIONS
    ]
    if ZH_CLIPS_TSV.exists():
        for line in ZH_CLIPS_TSV.read_text(encoding="utf-8").splitlines()[1:]:
            cols = line.split("\t")
            if len(cols) > 2 and cols[1] == "zh":
                clips.append((cols[0], load_audio(SHARED / "audio" / cols[0]), cols[2]))
    return clips


async def mandarin(url: str, decode_video: bool) -> None:
    clips = zh_clips()
    for language in ("auto", "zh"):
        client = VisitorClient(url, decode_video=decode_video)
        await client.connect(language=language)
        await asyncio.sleep(1.0)
        rows, errors, chars = [], 0.0, 0
        try:
            for i, (name, audio, reference) in enumerate(clips):
                row = await one_turn(client, audio)
                if row is None:
                    continue
                row["real"] = not name.startswith("synthetic")
                rows.append(row)
                cer = None
                if reference:
                    cer = cer_zh(reference, row["transcript"])
                    errors, chars = errors + cer * len(reference), chars + len(reference)
                print(
                    f"zh ({language}) {i + 1} [{name[:44]}]: received {row['received_ms']} ms "
                    f"(final {row['final_transcript_ms']}, decode asked {row['asr_start_ms']}, "
                    f"waited {row['asr_wait_ms']}, ran {row['asr_decode_ms']}; dialog "
                    f"{row['dialog']}; tts first {row['tts_first_audio_ms']}), "
                    f"{row['finals']} turn(s), transcript {row['transcript']!r}"
                    + (f", CER {cer:.3f}" if cer is not None else ""),
                    flush=True,
                )
        finally:
            await client.close()
        cer_all = f"{errors / chars:.3f}" if chars else "n/a"
        for kind, subset in (("all", rows), ("real clips", [r for r in rows if r["real"]])):
            got = [r["received_ms"] for r in subset if r["received_ms"] is not None]
            print(
                f"Mandarin ({kind}), language {language}: end of speech → first reply audio "
                f"received p50 {pct(got, 50):.0f} ms p95 {pct(got, 95):.0f} ms over {len(got)} "
                f"turns"
            )
        print(f"Mandarin, language {language}: CER of the labelled clips {cer_all} (by characters)")
        cut = sum(r["finals"] > 1 for r in rows)
        print(f"Mandarin, language {language}: {cut} of {len(rows)} clips cut into several turns")
        print_summary([r for r in rows if r["real"]], f"Mandarin real clips, language {language}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="a running server (default: start one)")
    parser.add_argument("--turns", type=int, default=6)
    parser.add_argument("--only", default="idle,latency,bargein,mandarin,concurrency")
    parser.add_argument("--bargein-repeats", type=int, default=2)
    parser.add_argument("--max-sessions", type=int, default=3)
    parser.add_argument("--sessions", type=int, help="only: N sessions speak at once")
    parser.add_argument(
        "--decode-video",
        action="store_true",
        help="decode the received video on this machine too (default: count frames only)",
    )
    args = parser.parse_args()
    server = None
    url = args.url
    if not url:
        sessions = max(args.max_sessions, args.sessions or 0) + 1
        server = ServerProcess(
            env={"DHE_SERVER__MAX_SESSIONS": str(sessions)}, ready_timeout_s=600.0
        )
        url = server.start()
    print(
        f"server {url}; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; "
        f"client {'decodes' if args.decode_video else 'does not decode'} the received video",
        flush=True,
    )
    only = set(args.only.split(","))
    try:
        if args.sessions:
            question = espeak(FAQ_QUESTIONS[0])
            _, end = speech_bounds(question)
            await load.sessions_at_once(url, args.sessions, args.decode_video, question, end)
            return
        if "idle" in only and server is not None:  # needs the server's process id
            await load.idle_cost(url, server.proc.pid, args.decode_video)
        if "latency" in only:
            await latency(url, args.turns, args.decode_video, fresh_server=server is not None)
        if "bargein" in only:
            clip = (
                load_audio(SHARED / REAL_CLIPS[0])
                if (SHARED / REAL_CLIPS[0]).exists()
                else espeak("Sorry, I wanted to ask about something else, my card.")
            )
            question = espeak(FAQ_QUESTIONS[0])
            await bargein.barge_in(url, args.decode_video, args.bargein_repeats, question, clip)
        if "mandarin" in only:
            await mandarin(url, args.decode_video)
        if "concurrency" in only:
            await load.concurrency(url, args.max_sessions, args.decode_video, FAQ_QUESTIONS[0])
    finally:
        print(f"load average at the end {os.getloadavg()[0]:.2f}")
        if server is not None:
            server.stop()


if __name__ == "__main__":
    asyncio.run(main())
