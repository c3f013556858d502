"""What the cluster's proxy adds: offer round trip, and a question to its first reply audio,
through HAProxy vs straight to a replica. Needs a running ``make cluster``.

Usage: ``python benchmarks/cluster_proxy.py [--offers 20] [--turns 5]``. Prints the median and
best of each, per path, and the differences (medians, bests). Offers are the same real aiortc
SDP each time (the session is deleted at once). Turns: one visitor per path, both on the same
replica (the direct one goes to the replica the proxy chose for the other), so only the path
differs; each turn is a spoken FAQ question (espeak-ng, as ``realtime_latency.py`` speaks and
times it: end of speech → first non-silent reply audio received) and a typed one (sent → first
reply audio). Media never passes the proxy (WebRTC goes straight to the replica), so a spoken
turn pays no proxy hop at all and a typed one pays it once (the text on the events socket):
that hop alone is timed first, as the events socket's round trip (an unknown message → its
``error`` event), which resolves milliseconds where whole turns vary by seconds.
On a shared machine compare medians of interleaved runs (the two paths alternate).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

import aiohttp
import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import realtime_latency as realtime  # noqa: E402
from visitor_speech import espeak  # noqa: E402

from engine.cluster.__main__ import read_state  # noqa: E402
from tests.support.visitor import VisitorClient, offer_sdp  # noqa: E402

QUESTION = "What are your opening hours?"


async def offer_ms(http: httpx.AsyncClient, url: str, sdp: str) -> float:
    """POST one offer to ``url`` and time it (ms, wall clock), then delete the session.

    Raises:
        httpx.HTTPStatusError: the offer was refused (not 2xx).
    """
    t0 = time.perf_counter()
    response = await http.post(f"{url}/api/sessions", json={"sdp": sdp, "type": "offer"})
    elapsed = (time.perf_counter() - t0) * 1000
    response.raise_for_status()
    await http.delete(f"{url}/api/sessions/{response.json()['session_id']}")
    return elapsed


async def first_audio_ms(client: VisitorClient, timeout_s: float = 60.0) -> float | None:
    """A typed question sent → first reply audio received (ms), or None (none in
    ``timeout_s``: printed)."""
    loop = asyncio.get_running_loop()
    while client.received.sound_times(loop.time() - 0.5):  # the last reply has played out
        await asyncio.sleep(0.1)
    t0 = loop.time()
    try:
        await client.send_event({"type": "text", "text": QUESTION})
    except aiohttp.ClientError as exc:
        print(f"  the question was not sent ({exc})", flush=True)
        return None
    while not client.received.sound_times(t0):
        if loop.time() - t0 > timeout_s:
            print(f"  no reply audio within {timeout_s:.0f} s", flush=True)
            return None
        await asyncio.sleep(0.005)
    return (client.received.sound_times(t0)[0] - t0) * 1000


async def socket_round_trip_ms(client: VisitorClient, timeout_s: float = 10.0) -> float | None:
    """A message of an unknown type sent on the events socket → its ``error`` event received
    (ms, the reader's arrival stamp): the socket's own round trip, the only hop a typed turn
    pays the proxy. None when no answer came in ``timeout_s``."""
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    await client.send_raw('{"type": "ping"}')
    try:
        await client.wait_event(lambda m: m.get("type") == "error", timeout_s, after=t0)
    except TimeoutError:
        return None
    arrived = [t for t, m in client.received.events if t >= t0 and m.get("type") == "error"]
    return (arrived[0] - t0) * 1000


async def spoken_first_audio_ms(client: VisitorClient, question) -> float | None:
    """End of the spoken ``question`` → first reply audio received (ms), or None (no answer)."""
    row = await realtime.one_turn(client, question)
    return None if row is None else row["received_ms"]


def report(name: str, proxied: list[float], direct: list[float]) -> None:
    """Print the median and best of ``proxied`` and ``direct`` (ms) and what the proxy adds."""
    if not proxied or not direct:
        print(f"{name}: no figures (proxy n={len(proxied)}, direct n={len(direct)})")
        return
    mp, md = statistics.median(proxied), statistics.median(direct)
    print(f"{name} via proxy: median {mp:.1f} ms (best {min(proxied):.1f}, n={len(proxied)})")
    print(f"{name} direct:    median {md:.1f} ms (best {min(direct):.1f}, n={len(direct)})")
    added = f"{mp - md:+.1f} ms (medians), {min(proxied) - min(direct):+.1f} ms (bests)"
    print(f"{name} added by the proxy: {added}")


async def media_up(url: str, tries: int = 3, within_s: float = 20.0) -> VisitorClient:
    """A visitor whose avatar video arrives within ``within_s`` (on a loaded machine the aiortc
    client's connection now and then closes before it: that one is dropped and retried).

    Raises:
        TimeoutError: no try got video.
    """
    loop = asyncio.get_running_loop()
    for _ in range(tries):
        client = VisitorClient(url, decode_video=False)
        await client.connect()
        t0 = loop.time()
        while not client.received.encoded_video and loop.time() - t0 < within_s:
            await asyncio.sleep(0.05)
        if client.received.encoded_video:
            return client
        print(f"  no video from {url} in {within_s:.0f} s ({client.pc.connectionState}): again")
        await client.close()
    raise TimeoutError(f"no visitor of {url} got video in {tries} tries")


async def turns_by_path(proxy: str, replica_urls: dict[str, str], turns: int) -> None:
    """Interleaved spoken and typed turns, one visitor per path on the same replica (a
    visitor whose connection dropped is replaced before its next turn, and said so)."""
    questions = [espeak(q) for q in realtime.FAQ_QUESTIONS]
    clients: dict[str, VisitorClient] = {}
    spoken: dict[str, list[float]] = {"proxy": [], "direct": []}
    typed: dict[str, list[float]] = {"proxy": [], "direct": []}
    try:
        clients["proxy"] = await media_up(proxy)
        owner = (clients["proxy"].session_id or "").split(".", 1)[0]
        urls = {"proxy": proxy, "direct": replica_urls[owner]}
        clients["direct"] = await media_up(urls["direct"])
        await asyncio.sleep(1.0)
        rtt: dict[str, list[float]] = {"proxy": [], "direct": []}
        for _ in range(15):  # under the address's 5 messages/s
            for path in urls:
                ms = await socket_round_trip_ms(clients[path])
                if ms is not None:
                    rtt[path].append(ms)
                await asyncio.sleep(0.25)
        report("events socket round trip", rtt["proxy"], rtt["direct"])
        for i in range(turns):
            for path in urls:  # one_turn waits until the reply played
                if clients[path].pc.connectionState != "connected":
                    print(f"  the {path} visitor's connection dropped: a new one", flush=True)
                    await clients.pop(path).close()
                    clients[path] = await media_up(urls[path])
                question = questions[i % len(questions)]
                for figures, ms in (
                    (spoken, await spoken_first_audio_ms(clients[path], question)),
                    (typed, await first_audio_ms(clients[path])),
                ):
                    if ms is not None:
                        figures[path].append(ms)
                await asyncio.sleep(6.0)  # let the reply play out
            print(f"turn {i + 1}: spoken {spoken}, typed {typed}", flush=True)
    finally:
        for client in clients.values():
            await client.close()
    report("spoken question end → first reply audio", spoken["proxy"], spoken["direct"])
    report("typed question → first reply audio", typed["proxy"], typed["direct"])


async def main(offers: int, turns: int) -> None:
    """Time ``offers`` offers and ``turns`` typed turns through the proxy and directly, against
    the cluster ``make cluster`` started (its state file), and print the figures."""
    state = read_state()
    proxy = f"http://127.0.0.1:{state['port']}"
    replicas = {r["id"]: f"http://127.0.0.1:{r['port']}" for r in state["replicas"]}
    if turns:  # first: a replica that just answered a burst of offers was slow to connect
        await turns_by_path(proxy, replicas, turns)
    sdp = await offer_sdp()
    timings: dict[str, list[float]] = {"proxy": [], "direct": []}
    direct = list(replicas.values())
    async with httpx.AsyncClient(timeout=30) as http:
        for i in range(offers):  # direct offers rotate over the replicas as the proxy does
            for path, url in (("proxy", proxy), ("direct", direct[i % len(direct)])):
                timings[path].append(await offer_ms(http, url, sdp))
    report("offer", timings["proxy"], timings["direct"])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offers", type=int, default=20)
    parser.add_argument("--turns", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.offers, args.turns))
