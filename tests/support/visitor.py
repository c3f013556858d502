"""A scripted visitor for ``dhe serve``: an aiortc peer whose microphone plays recorded clips
(:mod:`tests.support.visitor_mic`).

Used by the loopback tests and ``benchmarks/realtime_latency.py`` (and handy as a smoke test of
a deployed server). The microphone track sends 20 ms Opus frames of whatever was queued with
:meth:`VisitorClient.say` (silence otherwise) and, with ``echo_gain``, mixes the avatar's own
voice back in the way a loudspeaker reaching the microphone would. Everything received is kept
with its arrival time: audio levels per 20 ms frame, video frames (count, and a small grey crop
per frame), and the events-socket messages.

With ``decode_video=False`` the client does not decode the avatar video while the session runs:
it only notes the complete VP8 frames that arrive (:attr:`Received.encoded_video`). A kiosk's
browser decodes on its own machine; a benchmark or test client on the server's machine that
decoded 25 fps of VP8 would take CPU from the server that no real visitor takes. With
``keep_video=True`` as well, the encoded frames are kept and :meth:`VisitorClient.decode_kept_video`
decodes them afterwards (aiortc's own decoder, in arrival order) into :attr:`Received.video`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import queue
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import av
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from tests.support.visitor_mic import RATE_HZ, MicTrack

#: A received audio frame above this RMS (int16 units, ≈ −60 dBFS) is not silence.
SOUND_RMS = 30.0


async def offer_sdp() -> str:
    """A real aiortc offer's SDP (audio sendrecv, video recvonly) for offers posted without a
    peer behind them (capacity and latency checks): made once and reused, since certificate
    generation would stall the loop."""
    pc = RTCPeerConnection()
    pc.addTransceiver("audio", direction="sendrecv")
    pc.addTransceiver("video", direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())
    sdp = pc.localDescription.sdp
    await pc.close()
    return sdp


@dataclass(slots=True)
class Received:
    """What the visitor got back, each with its loop arrival time (seconds)."""

    audio: list[tuple[float, float]] = field(default_factory=list)  # (t, rms int16 units)
    video: list[tuple[float, np.ndarray]] = field(default_factory=list)  # (t, grey crop uint8)
    video_size: tuple[int, int] | None = None
    #: The last decoded avatar video frame (an ``av.VideoFrame``), when decoding.
    last_frame: Any = None
    events: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    #: Arrival times (loop seconds) of complete encoded video frames, when not decoding.
    encoded_video: list[float] = field(default_factory=list)
    #: ``(arrival, codec, encoded frame)`` kept for :meth:`VisitorClient.decode_kept_video`.
    kept_video: list[tuple[float, Any, Any]] = field(default_factory=list)

    def sound_times(self, after: float = 0.0) -> list[float]:
        """Arrival times of non-silent audio frames after ``after``."""
        return [t for t, rms in self.audio if t > after and rms > SOUND_RMS]

    def events_of(self, kind: str) -> list[dict[str, Any]]:
        """Messages of one ``type``, in order."""
        return [m for _, m in self.events if m.get("type") == kind]


class VisitorClient:
    """One visitor session against a running server.

    Args:
        base_url: e.g. ``http://127.0.0.1:8080``.
        echo_gain: loudspeaker → microphone coupling (0 = a headset).
        crop: the (top, bottom, left, right) fraction of each video frame kept as a grey crop
            (default: the default avatar's mouth at 512², where ``jawOpen`` changes pixels).
        decode_video: decode the received video (False: only count its encoded frames).
        keep_video: with ``decode_video=False``, keep the encoded frames for
            :meth:`decode_kept_video`.
        headers: extra headers of the offer (``X-Kiosk-Token``, ``Origin`` …).
        local_address: the client's own address for HTTP (``127.0.0.2``: another visitor on
            loopback).
        camera: the visitor's camera track (``tests.support.camera.CameraTrack``): the
            offer's video is then ``sendrecv``; the server analyses it only after a
            ``{"type": "camera", "consent": true}`` message.
        rtc_config: the client's ICE configuration (default: no STUN/TURN servers; a
            relay-only TURN client passes its servers and ``iceTransportPolicy`` RELAY).
    """

    def __init__(
        self,
        base_url: str,
        *,
        echo_gain: float = 0.0,
        crop: tuple[float, float, float, float] = (0.35, 0.6, 0.3, 0.7),
        decode_video: bool = True,
        keep_video: bool = False,
        headers: dict[str, str] | None = None,
        local_address: str | None = None,
        camera: MediaStreamTrack | None = None,
        rtc_config: RTCConfiguration | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = headers or {}
        self.local_address = local_address
        self.camera = camera
        self.mic = MicTrack(echo_gain=echo_gain)
        self.received = Received()
        self.crop = crop
        self.decode_video = decode_video
        self.keep_video = keep_video
        self.session_id: str | None = None
        self.pc = RTCPeerConnection(rtc_config or RTCConfiguration(iceServers=[]))
        self._http: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._tasks: list[asyncio.Task[Any]] = []

    async def connect(
        self,
        *,
        domain: str | None = None,
        language: str | None = None,
        video: tuple[int, int] | None = None,
    ) -> None:
        """Offer audio (sendrecv) + video (recvonly, or sendrecv with the camera), get the
        answer, open the events socket.

        Args:
            domain, language: the offer's optional fields.
            video: (width, height) for the offer's optional ``"video"`` field, pixels.

        Raises:
            aiohttp.ClientResponseError: the server refused the offer (status and body kept).
        """
        self.pc.addTransceiver(self.mic, direction="sendrecv")
        if self.camera is not None:
            self.pc.addTransceiver(self.camera, direction="sendrecv")
        else:
            self.pc.addTransceiver("video", direction="recvonly")

        @self.pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            reader = self._read_audio if track.kind == "audio" else self._read_video
            self._tasks.append(asyncio.create_task(reader(track)))

        await self.pc.setLocalDescription(await self.pc.createOffer())
        body: dict[str, Any] = {"sdp": self.pc.localDescription.sdp, "type": "offer"}
        if domain:
            body["domain"] = domain
        if language:
            body["language"] = language
        if video:
            body["video"] = {"width": video[0], "height": video[1]}
        local = (self.local_address, 0) if self.local_address else None
        self._http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=local))
        url = f"{self.base_url}/api/sessions"
        async with self._http.post(url, json=body, headers=self.headers) as resp:
            doc = await resp.json()
            if resp.status != 201:
                raise aiohttp.ClientResponseError(
                    resp.request_info, (), status=resp.status, message=json.dumps(doc)
                )
        self.session_id = doc["session_id"]
        await self.pc.setRemoteDescription(RTCSessionDescription(doc["sdp"], doc["type"]))
        if not self.decode_video:
            for transceiver in self.pc.getTransceivers():
                if transceiver.kind == "video":
                    kept = self.received.kept_video if self.keep_video else None
                    _count_instead_of_decoding(
                        transceiver.receiver, self.received.encoded_video, kept
                    )
        self._ws = await self._http.ws_connect(
            f"{self.base_url}/api/sessions/{self.session_id}/events"
        )
        self._tasks.append(asyncio.create_task(self._read_events()))

    async def _read_audio(self, track: MediaStreamTrack) -> None:
        loop = asyncio.get_running_loop()
        resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE_HZ)
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                t = loop.time()
                for f in resampler.resample(frame):
                    pcm = f.to_ndarray().reshape(-1)
                    rms = float(np.sqrt(np.mean(pcm.astype(np.float64) ** 2))) if pcm.size else 0.0
                    self.received.audio.append((t, rms))
                    self.mic.heard(pcm)

    async def _read_video(self, track: MediaStreamTrack) -> None:
        loop = asyncio.get_running_loop()
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                self._keep_crop(loop.time(), frame)

    def _keep_crop(self, t: float, frame: Any) -> None:
        top, bottom, left, right = self.crop
        grey = frame.to_ndarray(format="gray")
        h, w = grey.shape
        self.received.video_size = (w, h)
        self.received.last_frame = frame
        crop = grey[int(top * h) : int(bottom * h), int(left * w) : int(right * w)]
        self.received.video.append((t, crop[::2, ::2].copy()))

    def decode_kept_video(self) -> None:
        """Decode the encoded frames kept during the session (``keep_video=True``) into
        :attr:`Received.video`, each with its arrival time; call after :meth:`close`."""
        from aiortc.codecs import get_decoder

        decoder, codec_name = None, None
        for t, codec, encoded in self.received.kept_video:
            if codec.name != codec_name:
                decoder, codec_name = get_decoder(codec), codec.name
            for frame in decoder.decode(encoded):
                self._keep_crop(t, frame)
        self.received.kept_video.clear()

    async def _read_events(self) -> None:
        assert self._ws is not None
        loop = asyncio.get_running_loop()
        async for msg in self._ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                self.received.events.append((loop.time(), json.loads(msg.data)))

    async def send_event(self, message: dict[str, Any]) -> None:
        """Send a client → server events-socket message."""
        await self.send_raw(json.dumps(message))

    async def send_raw(self, text: str) -> None:
        """Send a text frame as is (tests of malformed messages)."""
        assert self._ws is not None
        await self._ws.send_str(text)

    async def wait_event(
        self, predicate: Any, timeout: float = 30.0, after: float = 0.0
    ) -> dict[str, Any]:
        """The first event received after loop time ``after`` for which ``predicate(msg)``.

        Raises:
            TimeoutError: none arrived in time.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            for t, msg in self.received.events:
                if t >= after and predicate(msg):
                    return msg
            await asyncio.sleep(0.02)
        raise TimeoutError(f"no matching event within {timeout} s")

    async def close(self, *, delete: bool = True) -> None:
        """Leave: DELETE the session (unless ``delete`` is False), close the peer and sockets."""
        if delete and self._http is not None and self.session_id:
            with contextlib.suppress(aiohttp.ClientError):
                async with self._http.delete(f"{self.base_url}/api/sessions/{self.session_id}"):
                    pass
        for task in self._tasks:
            task.cancel()
        await self.pc.close()
        if self._ws is not None:
            await self._ws.close()
        if self._http is not None:
            await self._http.close()


class _FrameCounter(queue.Queue):
    """Stands in for an aiortc receiver's decoder queue: notes each complete encoded frame's
    arrival (loop seconds) and keeps it in ``kept`` or drops it. The end-of-track marker (None)
    is queued here and on the queue it replaced, so the decoder thread exits whichever of the
    two it reads."""

    def __init__(self, replaced: Any, arrivals: list[float], kept: list | None) -> None:
        super().__init__()
        self._replaced = replaced
        self._arrivals = arrivals
        self._kept = kept

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        if item is None:
            self._replaced.put(None)
            super().put(None)
            return
        t = time.monotonic()
        self._arrivals.append(t)
        if self._kept is not None:
            codec, encoded = item
            self._kept.append((t, codec, encoded))


def _count_instead_of_decoding(receiver: Any, arrivals: list[float], kept: list | None) -> None:
    """Make ``receiver`` (an :class:`aiortc.RTCRtpReceiver` already receiving) count (and
    optionally keep) its encoded video frames instead of decoding them. aiortc has no switch for
    this: its decoder queue is a private attribute (aiortc 1.16, pinned in constraints.txt); a
    version without it fails here loudly rather than decoding silently."""
    name = "_RTCRtpReceiver__decoder_queue"
    inner = getattr(receiver, name)  # AttributeError: aiortc changed, update this function
    setattr(receiver, name, _FrameCounter(inner, arrivals, kept))


def now() -> float:
    """The loop clock (seconds); outside a loop, ``time.monotonic``."""
    try:
        return asyncio.get_running_loop().time()
    except RuntimeError:
        return time.monotonic()


async def browser_offer() -> str:
    """A real offer like a page's (audio sendrecv, video recvonly) from a peer closed at once:
    the server can answer it, its media never connects (hostile-input tests)."""
    pc = RTCPeerConnection()
    pc.addTransceiver("audio")
    pc.addTransceiver("video", direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())
    sdp = pc.localDescription.sdp
    await pc.close()
    return sdp
