"""The avatar video a visitor receives when the server's CPU is short: fps, frames missing and
frame-interval p95 at an aiortc client, with and without a CPU hog started on purpose.

Usage: ``python benchmarks/video_load.py [--url http://127.0.0.1:8080] [--sessions 1,2]
[--hogs 0,2] [--seconds 12] [--repeats 1]``

Without ``--url`` it starts ``dhe serve --port 0`` itself (English only: the voice and ASR of
:data:`~tests.support.server_process.ENGLISH_ONLY`). Per scenario (sessions × hogs) it starts
the hogs (``python -c 'while 1: pass'`` at nice 0: each takes a whole core whenever the
scheduler lets it, as another tenant's batch job does), opens the sessions, lets them settle
2 s, types one question in each (``{"type": "text"}``: the reply is spoken and lip-synced as
for a spoken question) and records, for ``--seconds``, the arrival of every complete VP8
frame at each client (the client does **not decode** them: on the server's machine it must
not take CPU a visitor's browser on another machine would not). Per session, over the reply
(its first to last sound received, where the server sends 25 fps):

- **fps**: frames received / the reply's seconds;
- **missing**: frames a 25 fps stream would have carried in that time that did not arrive;
- **interval p95 / max** (ms): between consecutive frames (40 ms at 25 fps);

and, from the server (its ``/metrics`` counters, added when a session ends; its log's
``video stages`` line), the frames sent and skipped (renderer late) and where a frame's time
went: waiting for its render, the RGB → yuv420p conversion, the encoder and packet send (the
time from the frame's hand-over to aiortc until aiortc asks for the next one). Prints
figures; decides nothing. The machine's load is printed with each line: on a shared host
every figure is rough.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.server_process import ENGLISH_ONLY, ServerProcess  # noqa: E402
from tests.support.visitor import VisitorClient  # noqa: E402

QUESTION = "What documents do I need to open an account?"  # a long knowledge-base answer
FPS = 25  # the default ``server.video_fps``
HOG = "while 1: pass"


def start_hogs(n: int) -> list[subprocess.Popen]:
    """``n`` busy-loop Python processes at nice 0 (stopped with :func:`stop_hogs`)."""
    return [subprocess.Popen([sys.executable, "-c", HOG]) for _ in range(n)]


def stop_hogs(hogs: list[subprocess.Popen]) -> None:
    """End the processes :func:`start_hogs` started (by their own handles)."""
    for p in hogs:
        p.terminate()
    for p in hogs:
        p.wait(timeout=10)


def server_counters(url: str) -> dict[str, float]:
    """The server's video counters from ``/metrics`` (frames sent, frames skipped)."""
    text = urllib.request.urlopen(f"{url}/metrics", timeout=10).read().decode()
    out = {}
    for name in ("dhe_video_frames_total", "dhe_video_frames_dropped_total"):
        m = re.search(rf"^{name} ([0-9.e+]+)$", text, re.M)
        out[name] = float(m.group(1)) if m else float("nan")
    return out


def stream_figures(times: list[float], t0: float, t1: float) -> dict[str, float]:
    """fps, frames missing from a :data:`FPS` stream, interval p95 and max (ms) of the frame
    arrival ``times`` (s) inside [t0, t1]."""
    arr = np.array([t for t in times if t0 <= t <= t1])
    span = t1 - t0
    if arr.size < 2 or span <= 0:
        return {"fps": 0.0, "missing": float(round(span * FPS)), "p95": float("nan"), "max": 0.0}
    gaps = np.diff(arr) * 1e3
    return {
        "fps": arr.size / span,
        "missing": max(0.0, round(span * FPS) + 1 - arr.size),
        "p95": float(np.percentile(gaps, 95)),
        "max": float(gaps.max()),
    }


async def scenario(url: str, sessions: int, hogs: int, seconds: float) -> list[dict[str, float]]:
    """One run: ``hogs`` hogs, ``sessions`` sessions each typing :data:`QUESTION` at once."""
    procs = start_hogs(hogs)
    clients = [VisitorClient(url, decode_video=False) for _ in range(sessions)]
    try:
        await asyncio.sleep(1.0)
        for c in clients:
            await c.connect(language="en")
        await asyncio.sleep(2.0)
        t_ask = asyncio.get_running_loop().time()
        for c in clients:
            await c.send_event({"type": "text", "text": QUESTION})
        await asyncio.sleep(seconds)
        rows = []
        for c in clients:
            sound = c.received.sound_times(after=t_ask)
            t0, t1 = (sound[0], sound[-1]) if len(sound) > 1 else (t_ask, t_ask + seconds)
            row = stream_figures(c.received.encoded_video, t0, t1)
            row["reply_s"] = t1 - t0
            row["first_audio_ms"] = (sound[0] - t_ask) * 1e3 if sound else float("nan")
            rows.append(row)
        return rows
    finally:
        for c in clients:
            await c.close()
        stop_hogs(procs)


def stage_lines(log: list[str], seen: set[str]) -> list[str]:
    """The server's ``video stages`` log lines not in ``seen`` (added to it)."""
    new = [line for line in log if "video stages " in line and line not in seen]
    seen.update(new)
    return [line.split("video stages ", 1)[1] for line in new]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="a running server (default: start one)")
    parser.add_argument("--sessions", default="1,2")
    parser.add_argument("--hogs", default="0,2")
    parser.add_argument("--seconds", type=float, default=12.0)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--env", action="append", default=[], help="KEY=VALUE for the server")
    args = parser.parse_args()
    server = None
    url = args.url
    if not url:
        env = {"DHE_SERVER__MAX_SESSIONS": "4", **dict(e.split("=", 1) for e in args.env)}
        server = ServerProcess(env=env, settings=ENGLISH_ONLY, ready_timeout_s=600.0)
        url = server.start()
    print(f"server {url}; {os.cpu_count()} CPUs", flush=True)
    seen: set[str] = set()
    try:
        for n in [int(s) for s in args.sessions.split(",")]:
            for h in [int(s) for s in args.hogs.split(",")]:
                for r in range(args.repeats):
                    before = server_counters(url)
                    load0 = os.getloadavg()[0]
                    rows = await scenario(url, n, h, args.seconds)
                    await asyncio.sleep(1.5)  # the sessions' end counted
                    after = server_counters(url)
                    sent = after["dhe_video_frames_total"] - before["dhe_video_frames_total"]
                    skipped = (
                        after["dhe_video_frames_dropped_total"]
                        - before["dhe_video_frames_dropped_total"]
                    )
                    print(
                        f"sessions {n}, hogs {h}, run {r + 1} (load {load0:.1f} → "
                        f"{os.getloadavg()[0]:.1f}): server sent {sent:.0f}, skipped {skipped:.0f}",
                        flush=True,
                    )
                    for i, row in enumerate(rows):
                        print(
                            f"  session {i + 1}: reply {row['reply_s']:.1f} s, first audio "
                            f"{row['first_audio_ms']:.0f} ms; video {row['fps']:.1f} fps, "
                            f"missing {row['missing']:.0f}, interval p95 {row['p95']:.0f} ms, "
                            f"max {row['max']:.0f} ms",
                            flush=True,
                        )
                    if server is not None:
                        for line in stage_lines(server.log, seen):
                            print(f"  server: {line}", flush=True)
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    asyncio.run(main())
