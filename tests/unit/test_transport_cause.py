"""``transport_cause``: what the end-of-session line says about the transport (two real aiortc
peers on this machine; one hangs up)."""

from __future__ import annotations

import asyncio

from aiortc import RTCPeerConnection

from engine.server.rtc import transport_cause


async def _until(pc: RTCPeerConnection, state: str) -> None:
    reached = asyncio.Event()
    pc.on("connectionstatechange", lambda: pc.connectionState == state and reached.set())
    if pc.connectionState != state:
        await asyncio.wait_for(reached.wait(), timeout=20)


async def test_cause_names_ice_and_dtls_and_the_peer_hanging_up() -> None:
    caller, callee = RTCPeerConnection(), RTCPeerConnection()
    try:
        assert transport_cause(callee) == "ICE new, DTLS none"
        caller.addTransceiver("audio")
        await caller.setLocalDescription(await caller.createOffer())
        await callee.setRemoteDescription(caller.localDescription)
        await callee.setLocalDescription(await callee.createAnswer())
        await caller.setRemoteDescription(callee.localDescription)
        await _until(callee, "connected")
        assert transport_cause(callee) == "ICE completed, DTLS connected"
        await caller.close()  # sends DTLS close_notify
        await _until(callee, "closed")
        assert transport_cause(callee) == "DTLS closed by the peer"
    finally:
        await caller.close()
        await callee.close()
