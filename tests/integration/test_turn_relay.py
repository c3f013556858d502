"""TURN for visitors behind NAT: a client that may use relayed candidates only (what a visitor
behind a symmetric NAT or a strict firewall gets) reaches ``dhe serve`` through a real coturn
named in ``server.turn_servers``, hears the avatar and is heard."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from aiortc import RTCConfiguration, RTCIceServer, RTCIceTransportPolicy

from tests.integration.test_server_realtime import spoken_faq  # noqa: F401 (a fixture)
from tests.support.server_process import ENGLISH_ONLY, ServerProcess
from tests.support.turnd import TurnServer, turn_server
from tests.support.visitor import VisitorClient

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def turn() -> Iterator[TurnServer]:
    with turn_server() as server:
        yield server


@pytest.fixture(scope="module")
def server(turn: TurnServer) -> Iterator[str]:
    relay = {"url": turn.url, "username": turn.username, "password_env": "DHE_TEST_TURN_SECRET"}
    proc = ServerProcess(
        env={
            "DHE_SERVER__TURN_SERVERS": json.dumps([relay]),
            "DHE_TEST_TURN_SECRET": turn.password,
        },
        settings=ENGLISH_ONLY,
        ready_timeout_s=240,  # models load and warm up; the machine may be shared
    )
    yield proc.start()
    proc.stop()


def _relay_only(turn: TurnServer) -> RTCConfiguration:
    return RTCConfiguration(
        iceServers=[RTCIceServer(urls=turn.url, username=turn.username, credential=turn.password)],
        iceTransportPolicy=RTCIceTransportPolicy.RELAY,
    )


def _local_candidate_types(client: VisitorClient) -> set[str]:
    """Types of the client's candidates in its nominated ICE pairs."""
    transport = client.pc.getTransceivers()[0].receiver.transport.transport
    nominated = transport._connection._nominated  # aioice: component → the chosen pair
    return {pair.local_candidate.type for pair in nominated.values()}


async def test_a_relay_only_visitor_speaks_and_is_heard(
    server: str,
    turn: TurnServer,
    spoken_faq,  # noqa: F811 (the imported fixture)
) -> None:
    client = VisitorClient(server, decode_video=False, rtc_config=_relay_only(turn))
    await client.connect()
    try:
        deadline = asyncio.get_running_loop().time() + 30
        while not client.received.encoded_video:  # the avatar's video came through the relay
            assert asyncio.get_running_loop().time() < deadline, "no video through TURN"
            await asyncio.sleep(0.05)
        assert _local_candidate_types(client) == {"relay"}
        client.mic.say(spoken_faq)
        final = await client.wait_event(
            lambda m: m.get("type") == "transcript" and m.get("final") is True, timeout=60
        )
        assert "open" in final["text"].lower(), final  # the visitor was heard
        reply = await client.wait_event(lambda m: m.get("type") == "reply", timeout=60)
        t_reply = asyncio.get_running_loop().time()
        while not client.received.sound_times(t_reply - 5.0):
            assert asyncio.get_running_loop().time() - t_reply < 20, "no reply audio"
            await asyncio.sleep(0.05)
        assert reply["text"]
    finally:
        await client.close()
