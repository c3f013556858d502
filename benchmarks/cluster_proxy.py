"""What the cluster's proxy adds: offer round trip, and a typed turn to its first reply audio,
through HAProxy vs straight to a replica. Needs a running ``make cluster``.

Usage: ``python benchmarks/cluster_proxy.py [--offers 20] [--turns 5]``. Prints the median and
best of each, per path, and the difference of the medians. Offers are the same real aiortc SDP
each time (the session is deleted at once); turns are one visitor per path asking a FAQ question
by text and timing the first non-silent audio frame. On a shared machine compare medians of
interleaved runs (the two paths alternate).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.cluster.__main__ import read_state
from tests.support.visitor import VisitorClient, offer_sdp

QUESTION = "What are your opening hours?"


async def offer_ms(http: httpx.AsyncClient, url: str, sdp: str) -> float:
    t0 = time.perf_counter()
    response = await http.post(f"{url}/api/sessions", json={"sdp": sdp, "type": "offer"})
    elapsed = (time.perf_counter() - t0) * 1000
    response.raise_for_status()
    await http.delete(f"{url}/api/sessions/{response.json()['session_id']}")
    return elapsed


async def first_audio_ms(client: VisitorClient) -> float:
    loop = asyncio.get_running_loop()
    while client.received.sound_times(loop.time() - 0.5):  # the last reply has played out
        await asyncio.sleep(0.1)
    t0 = loop.time()
    await client.send_event({"type": "text", "text": QUESTION})
    while not client.received.sound_times(t0):
        await asyncio.sleep(0.005)
    return (client.received.sound_times(t0)[0] - t0) * 1000


def report(name: str, proxied: list[float], direct: list[float]) -> None:
    mp, md = statistics.median(proxied), statistics.median(direct)
    print(f"{name} via proxy: median {mp:.1f} ms (best {min(proxied):.1f}, n={len(proxied)})")
    print(f"{name} direct:    median {md:.1f} ms (best {min(direct):.1f}, n={len(direct)})")
    print(f"{name} added by the proxy: {mp - md:+.1f} ms (medians)")


async def main(offers: int, turns: int) -> None:
    state = read_state()
    proxy = f"http://127.0.0.1:{state['port']}"
    replicas = [f"http://127.0.0.1:{r['port']}" for r in state["replicas"]]
    direct = replicas[0]
    sdp = await offer_sdp()
    timings: dict[str, list[float]] = {"proxy": [], "direct": []}
    async with httpx.AsyncClient(timeout=30) as http:
        for i in range(offers):  # direct offers rotate over the replicas as the proxy does
            for path, url in (("proxy", proxy), ("direct", replicas[i % len(replicas)])):
                timings[path].append(await offer_ms(http, url, sdp))
    report("offer", timings["proxy"], timings["direct"])
    if turns:
        clients = {"proxy": VisitorClient(proxy), "direct": VisitorClient(direct)}
        audio: dict[str, list[float]] = {"proxy": [], "direct": []}
        try:
            for client in clients.values():
                await client.connect()
                while not client.received.encoded_video:
                    await asyncio.sleep(0.05)
            for _ in range(turns):
                for path, client in clients.items():
                    audio[path].append(await first_audio_ms(client))
                    await asyncio.sleep(6.0)  # let the reply play out
        finally:
            for client in clients.values():
                await client.close()
        report("typed turn → first reply audio", audio["proxy"], audio["direct"])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offers", type=int, default=20)
    parser.add_argument("--turns", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.offers, args.turns))
