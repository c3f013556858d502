"""The sans-IO guards of ``dhe serve`` (issue 16): who the client is behind a trusted proxy, the
token bucket and per-address limits, the connecting pool of the admission gate, ``Origin`` and
kiosk-token checks, readiness from checks, and where ICE may gather host candidates."""

from __future__ import annotations

import asyncio
import gc
import logging
from dataclasses import dataclass

import pytest
from aiohttp.test_utils import make_mocked_request

from connectors.supervision import ChildStatus
from engine.server.admission import Gate
from engine.server.health import ProbeBoard, models_check, readiness, sessions_check
from engine.server.limits import (
    AddressLimits,
    LimitExceeded,
    LimitSettings,
    MessageLimiter,
    TokenBucket,
    client_address,
    parse_networks,
)
from engine.server.protocol import ApiError
from engine.server.registry import InProcessRegistry, RegistryFull
from engine.server.rtc import candidate_addresses, report_connect_failures
from engine.server.security import check_kiosk_token, check_origin

PROXIES = parse_networks(["10.0.0.0/8", "127.0.0.3"])


def test_forwarded_for_is_believed_only_from_a_trusted_proxy() -> None:
    assert client_address("198.51.100.1", ["203.0.113.9"], PROXIES) == "198.51.100.1"
    # right-most hop that is not a proxy; the client's own claim (left-most) is not believed
    assert client_address("127.0.0.3", ["6.6.6.6, 203.0.113.9, 10.1.1.1"], PROXIES) == (
        "203.0.113.9"
    )
    assert client_address("127.0.0.3", [], PROXIES) == "127.0.0.3"
    assert client_address("127.0.0.3", ["not-an-ip"], PROXIES) == "127.0.0.3"
    assert client_address(None, [], PROXIES) == "unknown"


def test_token_bucket_refills_at_its_rate() -> None:
    bucket = TokenBucket(rate_per_s=5.0, burst=20)
    assert sum(bucket.take(0.0) for _ in range(500)) == 20  # 500 at once: the burst only
    assert bucket.wait_s() == pytest.approx(0.2)
    assert not bucket.take(0.1) and bucket.take(0.3)  # one token per 0.2 s


def test_message_flood_is_answered_once_then_dropped() -> None:
    limiter = MessageLimiter(AddressLimits(LimitSettings()), "127.0.0.1")
    verdicts = [limiter.verdict(i * 0.8 / 500) for i in range(500)]  # 500 messages in 0.8 s
    assert verdicts.count("refuse") == 1
    assert 20 <= verdicts.count("handle") <= 24 and verdicts.count("drop") >= 470
    assert limiter.verdict(10.0) == "handle"


def test_offers_are_limited_per_address() -> None:
    limits = AddressLimits(LimitSettings(offers_per_minute=6, connecting_per_address=2))
    limits.add(limits.connecting, "127.0.0.2")
    limits.add(limits.connecting, "127.0.0.2")
    with pytest.raises(LimitExceeded) as held:
        limits.check_offer("127.0.0.2", 0.0)
    assert held.value.code == "too-many-connecting"
    limits.check_offer("127.0.0.1", 0.0)  # another address is not held back
    with pytest.raises(LimitExceeded) as fast:
        for _ in range(5):
            limits.check_offer("127.0.0.1", 0.0)
    assert fast.value.code == "too-many-offers" and fast.value.retry_after_s == pytest.approx(10)
    limits.add(limits.live, "127.0.0.1")
    limits.add(limits.live, "127.0.0.1")
    with pytest.raises(LimitExceeded, match="2 live sessions"):
        limits.check_live("127.0.0.1")


def test_offer_refusal_states_the_burst_and_the_rate() -> None:
    limits = AddressLimits(LimitSettings())  # the defaults: 30 a minute
    for i in range(5):
        limits.check_offer("127.0.0.1", i * 0.1)
    with pytest.raises(LimitExceeded) as sixth:
        limits.check_offer("127.0.0.1", 0.5)
    assert sixth.value.message == (
        "too many offers from this address: at most 5 at once, then 30 a minute (one every 2 s); "
        "refused offers (malformed, bad SDP, over capacity) count too"
    )
    limits.remove(limits.live, "127.0.0.1")
    limits.check_live("127.0.0.1")


@dataclass
class FakeSession:
    id: str


async def test_connecting_sessions_take_no_slot_until_their_media_connects() -> None:
    gate = Gate(InProcessRegistry(1), AddressLimits(LimitSettings()), clock=lambda: 0.0)
    hoarded = [FakeSession("h1"), FakeSession("h2")]
    for s in hoarded:
        gate.check_offer("127.0.0.2")
        await gate.check_capacity()
        gate.hold(s, "127.0.0.2")
    with pytest.raises(ApiError) as refused:
        gate.check_offer("127.0.0.2")
    assert refused.value.status == 429 and refused.value.code == "too-many-connecting"
    visitor = FakeSession("v")
    gate.check_offer("127.0.0.1")
    await gate.check_capacity()  # the two waiting offers hold no slot
    gate.hold(visitor, "127.0.0.1")
    assert await gate.connected(visitor)
    counts = await gate.counts()
    assert (counts.live, counts.connecting) == (1, 2)
    with pytest.raises(RegistryFull):
        await gate.check_capacity()
    assert not await gate.connected(hoarded[0])  # full: this one is ended by its caller
    for s in [*hoarded, visitor]:
        await gate.closed(s)
        await gate.closed(s)  # idempotent
    counts = await gate.counts()
    assert (counts.live, counts.connecting) == (0, 0)
    assert not gate.limits.connecting and not gate.limits.live


def request(origin: str | None, host: str = "kiosk.local:8080", token: str | None = None):
    headers = {"Host": host}
    if origin is not None:
        headers["Origin"] = origin
    if token is not None:
        headers["X-Kiosk-Token"] = token
    return make_mocked_request("POST", "/api/sessions", headers=headers)


def test_origin_is_the_server_itself_an_allowed_one_or_absent() -> None:
    allowed = ["https://kiosk.example.org"]
    check_origin(request(None), allowed)  # a native client
    check_origin(request("http://kiosk.local:8080"), allowed)
    check_origin(request("https://KIOSK.example.org"), allowed)
    for origin in ("https://evil.example.com", "null", "http://kiosk.local:8081"):
        with pytest.raises(ApiError) as refused:
            check_origin(request(origin), allowed)
        assert refused.value.status == 403 and refused.value.code == "bad-origin"


def test_kiosk_token() -> None:
    check_kiosk_token(request(None), None)
    check_kiosk_token(request(None, token="s3cret"), "s3cret")
    for wrong in (None, "", "s3cre", "s3crét"):
        with pytest.raises(ApiError) as refused:
            check_kiosk_token(request(None, token=wrong), "s3cret")
        assert refused.value.status == 401


def test_readiness_is_degraded_for_a_dependency_and_down_only_when_nobody_can_be_served() -> None:
    board = ProbeBoard()
    board.record("bank", None, 0.0)
    board.record("tax", None, 0.0)
    up = [models_check(True, None), sessions_check(1, 0, 3, 4)]
    status, body = readiness([*up, board.check("bank", None, 0.0), board.check("tax", None, 0.0)])
    assert (status, body["status"]) == (200, "ok")
    dead = ChildStatus("restarting", None, restarts=1, down_since=9.0, last_exit=-9)
    bank = board.check("bank", dead, 10.0)  # the process exited before any probe noticed
    assert bank.detail["reason"].startswith("its process exited (signal 9)")
    assert bank.detail["down_for_s"] == 1.0
    board.record("tax", "http://127.0.0.1:1: unreachable (ConnectError)", 10.0)
    board.record("tax", "http://127.0.0.1:1: unreachable (ConnectError)", 12.0)
    tax = board.check("tax", None, 12.5)
    assert tax.detail["down_for_s"] == 2.5  # down since the first failed probe
    status, body = readiness([*up, bank, tax])
    assert (status, body["status"]) == (200, "degraded") and "reasons" not in body
    status, body = readiness([models_check(False, None), sessions_check(4, 0, 0, 4), tax])
    assert (status, body["status"]) == (503, "down")
    assert body["reasons"] == [
        "models: models are loading",
        "sessions: all 4 session slots are taken",
    ]


def test_ice_gathers_only_on_the_listen_address() -> None:
    assert candidate_addresses("127.0.0.1", []) == ["127.0.0.1"]
    assert candidate_addresses("localhost", []) == ["127.0.0.1"]
    assert candidate_addresses("::1", []) == ["::1"]
    assert candidate_addresses("0.0.0.0", []) is None
    assert candidate_addresses("0.0.0.0", ["192.0.2.10"]) == ["192.0.2.10"]


class RTCPeerConnection:
    """Stands in for aiortc's class (an injected fault): its ``__connect`` coroutine has the
    same ``__qualname__`` and fails the way a connection closed mid-handshake does."""

    async def __connect(self) -> None:
        raise ConnectionError("DTLS handshake failed (connection lost)")

    def start(self, loop: asyncio.AbstractEventLoop) -> asyncio.Task[None]:
        return loop.create_task(self.__connect())


async def other_task() -> None:
    raise ValueError("a real bug")


def test_a_failed_connect_task_is_one_log_line_and_other_failures_stay_loud(caplog) -> None:
    loop = asyncio.new_event_loop()
    try:
        report_connect_failures(loop)
        with caplog.at_level(logging.INFO):
            for make in (
                lambda: RTCPeerConnection().start(loop),
                lambda: loop.create_task(other_task()),
            ):
                task = loop.run_until_complete(asyncio.wait([make()], timeout=1))[0].pop()
                del task, make
                gc.collect()  # the unretrieved exception is reported when the task is freed
    finally:
        loop.close()
    records = [(r.name, r.levelno, r.getMessage()) for r in caplog.records]
    assert (
        "engine.server.rtc",
        logging.INFO,
        "a media connection ended before it was up: ConnectionError: DTLS handshake failed "
        "(connection lost)",
    ) in records
    loud = [m for name, level, m in records if level == logging.ERROR and name == "asyncio"]
    assert len(loud) == 1 and "Task exception was never retrieved" in loud[0], records
