"""The barge-in scenario of ``benchmarks/realtime_latency.py`` (which runs it): the visitor
speaks into a spoken turn's multi-sentence reply at 0.5 s, at 1.5 s, in the middle of its first
piece, in the first gap between pieces and in the middle of its second piece (the pieces are
found in a reference reply: silent runs ≥ 80 ms). Per point: visitor onset → reply silent
(≤ 450 ms wanted), reply audio heard after that until the visitor stops (0 wanted), visitor end
of speech → the new reply's first audio (≤ 8 s wanted). Split from it along what it measures:
how a reply yields to the visitor here, how fast one visitor is answered there.
"""

from __future__ import annotations

import asyncio
import contextlib

import numpy as np
import reply_audio as heard
from visitor_speech import speech_bounds

from tests.support.visitor import VisitorClient
from tests.support.visitor_mic import to_48k


async def ask_after_settling(client: VisitorClient, question: np.ndarray) -> float:
    """Let a fresh session settle for 1 s, then speak ``question`` (float32 16 kHz); returns
    the visitor's end of speech on the loop's clock (s)."""
    await asyncio.sleep(1.0)
    _, end = speech_bounds(question)
    return client.mic.say(to_48k(question)) + end


async def reference_shape(
    url: str, decode_video: bool, question: np.ndarray
) -> heard.ReplyShape | None:
    """A spoken FAQ question answered in full: where its reply's pieces are."""
    client = VisitorClient(url, decode_video=decode_video)
    await client.connect()
    try:
        t_eos = await ask_after_settling(client, question)
        await client.wait_event(lambda m: m.get("state") == "speaking", 60, after=t_eos)
        await client.wait_event(lambda m: m.get("state") == "idle", 90, after=t_eos)
        t_idle = client.received.events[-1][0]
        return heard.reply_shape(heard.reply_frames(client.received.audio, t_eos, t_idle + 0.5))
    finally:
        await client.close()


async def barge_at(
    url: str, decode_video: bool, question: np.ndarray, clip: np.ndarray, at_s: float
) -> dict:
    """Speak ``question``; ``at_s`` after its reply is first heard, the visitor's speech
    (``clip``) starts (both float32 mono, 16 kHz). Returns onset → reply silent, reply heard after that, end of the
    visitor's speech → the new reply (ms, s)."""
    loop = asyncio.get_running_loop()
    onset_in_clip, end_in_clip = speech_bounds(clip)
    client = VisitorClient(url, decode_video=decode_video)
    await client.connect()
    try:
        t_eos = await ask_after_settling(client, question)
        while not client.received.sound_times(after=t_eos):
            await asyncio.sleep(0.005)
        t_reply = client.received.sound_times(after=t_eos)[0]
        await asyncio.sleep(max(0.0, t_reply + at_s - onset_in_clip - loop.time()))
        t_say = client.mic.say(to_48k(clip))
        t_onset, t_end = t_say + onset_in_clip, t_say + end_in_clip
        with contextlib.suppress(TimeoutError):  # no answer: new_reply_s stays infinite
            await client.wait_event(lambda m: m.get("type") == "reply", 30, after=t_end)
        await asyncio.sleep(8.0)
        audio = client.received.audio
        last_old = heard.last_sound(audio, t_onset, t_end)
        new = client.received.sound_times(after=t_end + 0.3)
        return {
            "stop_ms": 0.0 if last_old is None else (last_old - t_onset) * 1e3,
            "heard_after_ms": heard.heard_between(audio, t_onset + 0.45, t_end) * 1e3,
            "new_reply_s": (new[0] - t_end) if new else float("inf"),
            "interrupted": bool(client.received.events_of("state"))
            and any(m["state"] == "interrupted" for m in client.received.events_of("state")),
        }
    finally:
        await client.close()


async def barge_in(
    url: str, decode_video: bool, repeats: int, question: np.ndarray, clip: np.ndarray
) -> None:
    """Speak ``question`` and barge into its reply with ``clip`` (both float32 16 kHz mono) at
    each point, ``repeats`` times; one line of figures per point."""
    shape = await reference_shape(url, decode_video, question)
    points = {"at 0.5 s": 0.5, "at 1.5 s": 1.5}
    if shape is None:
        print("barge-in: the reference reply had one piece; only the fixed points are used")
    else:
        points |= {
            "mid first piece": shape.mid_first_piece_s,
            "first gap": shape.first_gap_s,
            "mid second piece": shape.mid_second_piece_s,
        }
    for name, at_s in points.items():
        rows = [await barge_at(url, decode_video, question, clip, at_s) for _ in range(repeats)]
        stops = [r["stop_ms"] for r in rows]
        print(
            f"barge-in {name} ({at_s:.2f} s into the reply), {repeats} run(s): onset → reply "
            f"silent max {max(stops):.0f} ms (p50 {np.median(stops):.0f}; ≤ 450 wanted); reply "
            f"heard after that max {max(r['heard_after_ms'] for r in rows):.0f} ms (0 wanted); "
            f"end of speech → new reply max {max(r['new_reply_s'] for r in rows):.1f} s "
            f"(≤ 8 wanted); interrupted state in {sum(r['interrupted'] for r in rows)}",
            flush=True,
        )
