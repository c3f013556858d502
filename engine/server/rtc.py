"""aiortc set-up shared by sessions: ICE servers from config, host candidates, codecs.

* ICE servers come from config only. aiortc's default (``stun:stun.l.google.com:19302``) is
  unreachable from kiosks behind firewalls and stalls gathering, so an empty list means host
  candidates only; TURN servers relay for visitors behind NAT, their passwords read from the
  environment variables the config names.
* ICE host candidates only on the interfaces the server was told to use. aioice gathers on every
  interface but loopback (``aioice.ice.get_host_addresses``): a server listening on 127.0.0.1
  would offer its LAN addresses and none a client on the same machine can reach.
  :func:`restrict_host_candidates` wraps that function so gathering uses the listen address
  (``127.0.0.1`` for ``localhost``, the name's addresses for a host name), or — listening on all
  interfaces — every interface, or ``server.ice_addresses`` when given. It is a process-wide
  patch of the library (one server per process), installed once; later calls replace the
  addresses.
* Codec preferences are set on the transceivers *before* the remote description is applied
  (aiortc negotiates them there): Opus for audio, VP8 then H.264 for video.
* :func:`negotiate` answers a visitor's offer with the session's outbound tracks.
* aiortc starts ICE and DTLS in a task nobody awaits (``RTCPeerConnection.__connect``); when the
  connection fails or its session ends while it runs, its exception would only reach asyncio's
  "Task exception was never retrieved". :func:`report_connect_failures` makes the event loop
  log such an exception as one line (the session already learns of the failure from its
  connection state or its connect timeout); every other unhandled exception keeps the loop's
  own handler.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import socket
from collections.abc import Callable
from typing import Any

import aioice.ice
from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpSender,
    RTCRtpTransceiver,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamTrack

from engine.config import ServerConfig
from engine.server.protocol import ApiError

_PATCHED_ATTR = "_dhe_original"  # the wrapped aioice function, on our wrapper
#: The ``__qualname__`` of aiortc's connect coroutine (``RTCPeerConnection.__connect``).
CONNECT_TASK = "RTCPeerConnection.__connect"

log = logging.getLogger(__name__)


def ice_configuration(config: ServerConfig) -> RTCConfiguration:
    """The peer connection configuration: exactly the configured STUN/TURN servers.

    Raises:
        ValueError: a TURN server names a password variable that is not set.
    """
    servers = [RTCIceServer(urls=url) for url in config.ice_servers]
    for turn in config.turn_servers:
        password = None
        if turn.password_env:
            password = os.environ.get(turn.password_env)
            if password is None:
                raise ValueError(f"TURN password variable {turn.password_env} is not set")
        servers.append(
            RTCIceServer(urls=turn.url, username=turn.username or None, credential=password)
        )
    return RTCConfiguration(iceServers=servers)


#: Listen addresses meaning "every interface".
ALL_INTERFACES = ("", "0.0.0.0", "::")


def candidate_addresses(host: str, extra: list[str]) -> list[str] | None:
    """The addresses ICE host candidates may use for a server listening on ``host``.

    Args:
        host: the listen address or name.
        extra: ``server.ice_addresses`` (used when listening on every interface).

    Returns:
        The addresses, or None for every interface (aioice's own choice).

    Raises:
        OSError: a host name that does not resolve.
    """
    if host in ALL_INTERFACES:
        return list(extra) or None
    if host == "localhost":
        return ["127.0.0.1"]
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_UDP)
        return sorted({str(info[4][0]) for info in infos})


def restrict_host_candidates(host: str, extra: list[str] | None = None) -> None:
    """Gather ICE host candidates on ``host``'s addresses only (module docstring).

    Raises:
        OSError: ``host`` is a name that does not resolve.
    """
    allowed = candidate_addresses(host, extra or [])
    current = aioice.ice.get_host_addresses
    original: Callable[[bool, bool], list[str]] = getattr(current, _PATCHED_ATTR, current)

    def restricted(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        if allowed is None:
            return original(use_ipv4, use_ipv6)
        versions = {4} if use_ipv4 else set()
        versions |= {6} if use_ipv6 else set()
        return [a for a in allowed if ipaddress.ip_address(a).version in versions]

    setattr(restricted, _PATCHED_ATTR, original)
    aioice.ice.get_host_addresses = restricted


def prefer_codecs(transceiver: RTCRtpTransceiver) -> None:
    """Opus for audio; VP8 first, then H.264, for video (set before setRemoteDescription)."""
    caps = RTCRtpSender.getCapabilities(transceiver.kind)
    order = ["audio/opus"] if transceiver.kind == "audio" else ["video/VP8", "video/H264"]
    preferred = [c for name in order for c in caps.codecs if c.mimeType == name]
    # keep retransmission/FEC helpers (rtx) that aiortc offers with the video codecs
    preferred += [c for c in caps.codecs if c.mimeType.endswith("/rtx")]
    transceiver.setCodecPreferences(preferred)


async def negotiate(
    pc: RTCPeerConnection,
    offer_sdp: str,
    *,
    outbound: tuple[MediaStreamTrack, MediaStreamTrack],
    on_audio: Callable[[MediaStreamTrack], Any],
    on_state: Callable[[str], Any],
    on_video: Callable[[MediaStreamTrack], Any] | None = None,
) -> str:
    """Answer a visitor's offer (no trickle ICE: gathering completes before the answer).

    Args:
        pc: the session's peer connection.
        offer_sdp: the offer (already size- and structure-checked).
        outbound: the reply-audio track (``sendrecv``) and the avatar-video track
            (``sendonly``).
        on_audio: called with the visitor's microphone track when it arrives.
        on_state: called with each new ``connectionState``.
        on_video: called with the visitor's camera track (perception); without it the avatar
            video is ``sendonly`` and no camera is received.

    Returns:
        The answer SDP.

    Raises:
        ApiError: 400 ``bad-sdp`` when aiortc refuses the offer.
    """
    audio_out, video_out = outbound
    audio = pc.addTransceiver(audio_out, direction="sendrecv")
    video = pc.addTransceiver(video_out, direction="sendrecv" if on_video else "sendonly")
    prefer_codecs(audio)
    prefer_codecs(video)

    @pc.on("track")
    def on_track(track: MediaStreamTrack) -> None:
        if track.kind == "audio":
            on_audio(track)
        elif track.kind == "video" and on_video is not None:
            on_video(track)

    @pc.on("connectionstatechange")
    async def on_connection() -> None:
        on_state(pc.connectionState)

    try:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise ApiError(400, "bad-sdp", f"offer refused: {exc}") from exc
    except Exception as exc:  # aiortc raises InvalidStateError/OperationError for bad offers
        if type(exc).__module__.startswith("aiortc"):
            raise ApiError(400, "bad-sdp", f"offer refused: {exc}") from exc
        raise
    return pc.localDescription.sdp


def transport_cause(pc: RTCPeerConnection) -> str:
    """Why ``pc`` left ``connected``, in words, for the session's end line.

    aiortc's ``connectionState`` is ``failed`` when an ICE transport failed (consent freshness
    expired, RFC 7675) or a DTLS one did, and ``closed`` when the peer's DTLS close_notify (or
    a dead DTLS socket) closed every DTLS transport, after which aiortc closes the peer itself.
    """
    if pc.connectionState == "closed":
        return "DTLS closed by the peer"
    dtls = sorted({t.sender.transport.state for t in pc.getTransceivers() if t.sender.transport})
    return f"ICE {pc.iceConnectionState}, DTLS {'/'.join(dtls) or 'none'}"


def is_connect_failure(context: dict[str, Any]) -> bool:
    """Whether an asyncio exception-handler ``context`` is aiortc's connect task failing."""
    task = context.get("future")
    get_coro = getattr(task, "get_coro", None)
    coro = get_coro() if get_coro is not None else None
    return (
        isinstance(context.get("exception"), Exception)
        and getattr(coro, "__qualname__", "") == CONNECT_TASK
    )


def report_connect_failures(loop: asyncio.AbstractEventLoop) -> None:
    """Log a failed aiortc connect task as one line (module docstring); every other context
    goes to the loop's previous handler (or its default one)."""
    previous = loop.get_exception_handler()

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if is_connect_failure(context):
            exc = context["exception"]
            log.info("a media connection ended before it was up: %s: %s", type(exc).__name__, exc)
        elif previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)
