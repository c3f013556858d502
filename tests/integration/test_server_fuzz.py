"""Property-based fuzzing of a running ``dhe serve`` (issue 16): Hypothesis throws generated
offers (a real browser-like SDP cut, shuffled, duplicated and corrupted line by line, and
arbitrary JSON bodies) at ``POST /api/sessions`` and generated messages at a live session's
events socket, for a bounded time (:data:`FUZZ_S`), while another visitor's session runs beside
it. Asserted: no 5xx (every refusal a 4xx JSON ``{"error": {"code", "message"}}``), no traceback
or unretrieved task exception in the server's log, ``/healthz`` 200, and the visitor beside it
kept receiving audio and video without a gap and is still answered.

Hypothesis runs in a worker thread and hands each request to the test's event loop, which keeps
both visitors' media flowing meanwhile."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Coroutine
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.support.server_process import ServerProcess
from tests.support.visitor import VisitorClient, browser_offer

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(600),
    # the event loop (aiortc, aiohttp) uses `random` while an example runs in another thread
    pytest.mark.filterwarnings("ignore:Do not use the `random` module"),
]

#: Fuzzing time, seconds (offers, then messages: half each).
FUZZ_S = 40.0
#: The longest gap between two received frames of the visitor beside the fuzzing, seconds.
MAX_GAP_S = {"audio": 1.5, "video": 3.0}


@pytest.fixture(scope="module")
def server():
    with ServerProcess(
        ready_timeout_s=300,  # model loading on a busy 2-core runner
        env={
            "DHE_SERVER__MAX_SESSIONS": "3",
            # answered fuzz offers wait in the connecting pool: at most 2, then 429
            "DHE_SERVER__LIMITS__CONNECTING_PER_ADDRESS": "2",
            # every fuzzed message is read (the rate limit has its own test)
            "DHE_SERVER__LIMITS__MESSAGES_PER_S": "1000",
            "DHE_SERVER__LIMITS__MESSAGE_BURST": "1000",
        },
    ) as proc:
        yield proc


def sdp_variants(lines: list[str]) -> st.SearchStrategy[str]:
    """Offers made from a real one's lines: some dropped, repeated, shuffled or corrupted,
    the whole cut short, or with text of any kind appended."""
    line = st.one_of(
        st.sampled_from(lines),
        st.sampled_from(lines).map(lambda s: s[: len(s) // 2]),
        st.builds(
            lambda s, junk: s.split(":", 1)[0] + ":" + junk, st.sampled_from(lines), st.text()
        ),
        st.text(max_size=80),
        st.just("m=video 9 UDP/TLS/RTP/SAVPF 96"),
        st.just("a=fingerprint:sha-256 00"),
    )
    mutated = st.lists(line, max_size=60).map("\r\n".join)
    subset = st.lists(st.sampled_from(lines), max_size=len(lines) * 2).map("\r\n".join)
    whole = "\r\n".join(lines)
    cut = st.integers(0, len(whole)).map(lambda n: whole[:n])
    return st.one_of(mutated, subset, cut, st.text(max_size=400))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def offer_bodies(lines: list[str]) -> st.SearchStrategy[bytes]:
    """Request bodies: offers with generated SDP and fields, other JSON, raw bytes."""
    offer = st.fixed_dictionaries(
        {"sdp": sdp_variants(lines), "type": st.sampled_from(["offer", "answer", ""])},
        optional={
            "domain": st.one_of(st.sampled_from(["bank", "tax"]), JSON),
            "language": st.one_of(st.sampled_from(["en", "zh", "auto"]), JSON),
            "video": st.one_of(
                st.fixed_dictionaries({"width": st.integers(-10, 5000), "height": JSON}), JSON
            ),
        },
    )
    as_json = offer.map(lambda d: json.dumps(d).encode("utf-8", "surrogatepass"))
    return st.one_of(as_json, JSON.map(lambda d: json.dumps(d).encode()), st.binary(max_size=300))


MESSAGES = st.one_of(
    st.fixed_dictionaries(
        {"type": st.sampled_from(["text", "keypad", "language", "handoff", "hello", ""])},
        optional={
            "text": st.one_of(st.text(max_size=60), JSON),
            "digits": st.one_of(st.text(alphabet="0123456789*#x", max_size=40), JSON),
            "language": st.one_of(st.sampled_from(["en", "zh", "auto", "fr"]), JSON),
        },
    ).map(json.dumps),
    JSON.map(json.dumps),
    st.text(max_size=200),
)


#: Each Hypothesis run: a few generated examples (no shrinking, no example database), run again
#: until the time is up, so the run stops within a few examples of its deadline.
FUZZ_SETTINGS = settings(
    max_examples=20,
    deadline=None,
    database=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)


class Fuzzer:
    """Runs Hypothesis in a worker thread against the server, each request on the test's loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, url: str, http: aiohttp.ClientSession):
        self.loop, self.url, self.http = loop, url, http
        self.statuses: dict[int, int] = {}
        self.messages = 0

    def on_loop(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=60)

    async def post(self, body: bytes) -> None:
        headers = {"Content-Type": "application/json"}
        async with self.http.post(f"{self.url}/api/sessions", data=body, headers=headers) as r:
            text = await r.text()
            self.statuses[r.status] = self.statuses.get(r.status, 0) + 1
            assert r.status < 500, (r.status, text, body[:300])
            if r.status == 201:  # a valid offer: end it (its media never connects anyway)
                sid = json.loads(text)["session_id"]
                async with self.http.delete(f"{self.url}/api/sessions/{sid}"):
                    pass
                return
            error = json.loads(text)["error"]
            assert isinstance(error["code"], str) and error["code"], text
            assert isinstance(error["message"], str) and error["message"], text

    def offers(self, lines: list[str], seconds: float) -> None:
        deadline = time.monotonic() + seconds

        @FUZZ_SETTINGS
        @given(offer_bodies(lines))
        def fuzz(body: bytes) -> None:
            if time.monotonic() < deadline:
                self.on_loop(self.post(body))

        run_until(fuzz, deadline)

    def socket(self, visitor: VisitorClient, seconds: float) -> None:
        deadline = time.monotonic() + seconds

        @FUZZ_SETTINGS
        @given(MESSAGES)
        def fuzz(text: str) -> None:
            if time.monotonic() < deadline:
                self.on_loop(visitor.send_raw(text))
                self.messages += 1

        run_until(fuzz, deadline)


def run_until(fuzz: Any, deadline: float) -> None:
    """Run a Hypothesis test again and again until ``deadline`` (its examples past it do
    nothing)."""
    while time.monotonic() < deadline:
        fuzz()


def longest_gap_s(times: list[float], start: float, end: float) -> float:
    inside = [start, *(t for t in times if start <= t <= end), end]
    return max(b - a for a, b in itertools.pairwise(inside))


async def test_fuzzed_offers_and_messages_get_4xx_and_leave_a_live_session_alone(server) -> None:
    url = server.base_url
    beside = VisitorClient(url, decode_video=False)
    target = VisitorClient(url, decode_video=False)
    await beside.connect()
    await target.connect()
    lines = (await browser_offer()).split("\r\n")
    async with aiohttp.ClientSession() as http:
        fuzzer = Fuzzer(asyncio.get_running_loop(), url, http)
        await asyncio.sleep(3.0)  # media up on both
        assert beside.received.audio, "the visitor beside received no audio before the fuzzing"
        start = asyncio.get_running_loop().time()
        try:
            await asyncio.to_thread(fuzzer.offers, lines, FUZZ_S / 2)
            await asyncio.to_thread(fuzzer.socket, target, FUZZ_S / 2)
            end = asyncio.get_running_loop().time()
            print(
                f"fuzzed {end - start:.0f} s: offers {fuzzer.statuses}, {fuzzer.messages} messages"
            )
            assert sum(fuzzer.statuses.values()) > 50 and fuzzer.messages > 50, fuzzer.statuses
            audio = [t for t, _ in beside.received.audio]
            assert longest_gap_s(audio, start, end) < MAX_GAP_S["audio"]
            video = beside.received.encoded_video
            assert longest_gap_s(video, start, end) < MAX_GAP_S["video"]
            async with http.get(f"{url}/healthz") as resp:
                body = await resp.json()
                assert resp.status == 200 and body["status"] == "ok", body
            await beside.send_event({"type": "text", "text": "When are you open?"})
            after = asyncio.get_running_loop().time()
            reply = await beside.wait_event(lambda m: m.get("type") == "reply", 60, after)
            assert reply["text"]
            async with asyncio.timeout(30):  # its first audio (TTS on a busy machine)
                while not beside.received.sound_times(after):
                    await asyncio.sleep(0.1)
        finally:
            await beside.close()
            await target.close()
    await asyncio.sleep(1.0)
    assert not server.problems, "\n".join(server.log[-40:])
