"""The load scenarios of ``benchmarks/realtime_latency.py`` (which runs them): how many
sessions keep their video rate (``concurrency``), N sessions speaking at once (``--sessions``)
and what an idle session costs the server (``idle``). Split from it along what they measure:
load and capacity here, one visitor's latency and barge-in there.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import numpy as np

from tests.support.visitor import VisitorClient
from tests.support.visitor_mic import to_48k


async def sessions_at_once(
    url: str, n: int, decode_video: bool, question: np.ndarray, end: float, seconds: float = 12.0
) -> None:
    """N sessions speak the same question at the same moment: each one's reply latency and fps
    while its reply plays (first to last reply sound received; the goal's figure) and over the
    whole ``seconds`` from the question on (the idle rate after a shorter reply included).
    ``question``: float32 16 kHz mono; ``end``: its end of speech, s from its start."""
    clients = [VisitorClient(url, decode_video=decode_video) for _ in range(n)]
    for c in clients:
        await c.connect()
    await asyncio.sleep(2.0)
    loop = asyncio.get_running_loop()
    try:
        t0, counts0 = loop.time(), [frames_received(c) for c in clients]
        ends = [c.mic.say(to_48k(question)) + end for c in clients]
        await asyncio.sleep(seconds)
        t1 = loop.time()
        for i, (c, t_eos, k) in enumerate(zip(clients, ends, counts0, strict=True)):
            sound = c.received.sound_times(after=t_eos)
            latency_ms = f"{(sound[0] - t_eos) * 1e3:.0f} ms" if sound else "none"
            fps = (frames_received(c) - k) / (t1 - t0)
            print(f"session {i + 1}/{n}: end of speech → first reply audio received "
                  f"{latency_ms}; video {reply_fps(c, sound)} fps while the reply plays, "
                  f"{fps:.1f} over the {seconds:.0f} s")  # fmt: skip
    finally:
        for c in clients:
            await c.close()


def reply_fps(client: VisitorClient, sound: list[float]) -> str:
    """Video frames per second received between the first and the last reply sound in
    ``sound`` (arrival times, s), as text; "none" without a reply of 1 s or more."""
    times = np.array(
        [t for t, _ in client.received.video]
        if client.decode_video
        else client.received.encoded_video
    )
    if len(sound) < 2 or sound[-1] - sound[0] < 1.0:
        return "none"
    inside = times[(times >= sound[0]) & (times <= sound[-1])]
    return f"{(inside.size - 1) / (inside[-1] - inside[0]):.1f}" if inside.size > 1 else "0"


def frames_received(client: VisitorClient) -> int:
    """Video frames received so far: decoded ones, or complete encoded ones when not decoding."""
    return len(client.received.video if client.decode_video else client.received.encoded_video)


async def concurrency(
    url: str, max_sessions: int, decode_video: bool, question: str, seconds: float = 12.0
) -> None:
    """1..``max_sessions`` sessions type ``question`` at once, until one's video falls under
    24 fps: each one's video fps over ``seconds``."""
    best = 0
    what = "decoded" if decode_video else "complete VP8 frames received, not decoded"
    for n in range(1, max_sessions + 1):
        clients = [VisitorClient(url, decode_video=decode_video) for _ in range(n)]
        for c in clients:
            await c.connect()
        await asyncio.sleep(2.0)
        for c in clients:
            await c.send_event({"type": "text", "text": question})
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


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, every thread) the process ``pid`` has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def idle_cost(url: str, pid: int, decode_video: bool, seconds: float = 20.0) -> None:
    """Server CPU with no session, then with one idle session (connected, nobody speaking):
    over the ``seconds`` from 3 s after it connected (the renderer pool makes its spare for
    the next visitor then, once per new peak of sessions), and over the ``seconds`` after
    that (what an idle session costs for as long as it stays)."""

    async def rate() -> float:
        c0, t0 = cpu_seconds(pid), time.monotonic()
        await asyncio.sleep(seconds)
        return (cpu_seconds(pid) - c0) / (time.monotonic() - t0)

    await asyncio.sleep(3.0)
    empty = await rate()
    client = VisitorClient(url, decode_video=decode_video)
    await client.connect()
    try:
        await asyncio.sleep(3.0)
        first = await rate()
        steady = await rate()
    finally:
        await client.close()
    print(
        f"idle session: server CPU {empty * 100:.0f} % of a core with no session; one idle "
        f"session costs {(first - empty) * 100:.0f} % of a core over its first {seconds:.0f} s "
        f"(the spare renderer made included), {(steady - empty) * 100:.0f} % over the "
        f"{seconds:.0f} s after"
    )
