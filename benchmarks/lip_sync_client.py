"""Lip sync where the visitor is: the avatar's mouth against its voice as a WebRTC client
receives them (aiortc over loopback), in ms; + = the mouth moves after its sound.

Usage: ``python benchmarks/lip_sync_client.py [--url http://127.0.0.1:8981] [--turns 2]
[--langs en,zh] [--keep-frames DIR]``

Without ``--url`` it starts ``dhe serve --port 0`` itself. Per language (English, Mandarin) it
opens a session, types a question (``{"type": "text"}``: the reply is spoken and lip-synced as
for a spoken question) and records, until the session is idle again:

- every RTP packet's arrival (wall clock) by stream and RTP timestamp, and every RTCP sender
  report (its NTP time and RTP timestamp: the sender's wall clock, the same clock on loopback);
- the decoded audio (RTP timestamp per frame) and the video, decoded after the session from the
  kept encoded frames (so the client takes no CPU from the server while it runs): per frame its
  RTP timestamp and the mouth's opening, the dark pixels in the mouth box of
  ``benchmarks/lip_sync.py`` (the default avatar, 512x512).

Each received frame is placed on a time line two ways, and each picture held until the next:

- **presentation**: what a browser that syncs the tracks shows (RFC 3550 section 6.4.1: a
  stream's RTP timestamp maps to the sender's wall clock through its sender reports; Chrome fits
  that line over the last reports, here the median intercept over the session's reports);
- **arrival**: what a naive player shows, each frame at its first packet's arrival, no jitter
  buffer (a player that holds audio back by a buffer adds that to the audio's side).

The offset is :func:`av_offset` (``benchmarks/av_offset.py``): the held mouth opening and the
audio's RMS envelope on a 10 ms grid, Pearson-correlated at lags of -200..+200 ms in 10 ms
steps, the peak refined by a parabola (``tests/unit/test_lip_sync_client.py`` recovers known
shifts of -100..+67 ms between synthetic tracks within 2 ms; 0.5 ms over five seeds each).
Frames dropped: RTP video timestamps missing from the 25 fps sequence while the reply plays.
ITU-R BT.1359 puts the threshold of detectability at sound 45 ms before the picture. The window
runs from the reply's first to its last sound (±0.3 s). Prints one line
per session (each types the question once), then the median per language, e.g.::

    en turn 1: presentation +5 ms (corr 0.74), arrival +6 ms (corr 0.68) | 13.0 s, 286 frames,
      22 dropped | sender-report spread audio 64 ms, video 143 ms

The sender-report spread is how far the reports' RTP-to-wall-clock intercepts move during the
session: the audio's lead (0-40 ms, ``engine.server.clock.audio_lead``) and the video's
render-to-send time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from av_offset import (  # noqa: E402
    AUDIO_HZ,
    VIDEO_HZ,
    Capture,
    Turn,
    analyse,
    sender_clock,
    unwrap,
)
from lip_sync import mouth_opening  # noqa: E402

NTP_EPOCH_S = 2_208_988_800  # 1900 → 1970 (RFC 5905)

QUESTIONS = {"en": "When are you open?", "zh": "你们几点开门？"}


def hook_receiver(receiver: object, kind: str, cap: Capture) -> None:
    """Note every RTP packet's arrival and every RTCP sender report of ``receiver`` (an aiortc
    ``RTCRtpReceiver``; aiortc 1.16, its handlers are wrapped, nothing else changes)."""
    from aiortc.rtp import RtcpSrPacket

    on_rtp, on_rtcp = receiver._handle_rtp_packet, receiver._handle_rtcp_packet  # type: ignore[attr-defined]
    seen = cap.arrivals[kind]

    async def rtp(packet: object, arrival_time_ms: int) -> None:
        seen.setdefault(packet.timestamp, time.time())  # type: ignore[attr-defined]
        await on_rtp(packet, arrival_time_ms)

    async def rtcp(packet: object) -> None:
        if isinstance(packet, RtcpSrPacket):
            ntp = packet.sender_info.ntp_timestamp
            cap.reports[kind].append(
                (
                    (ntp >> 32) + (ntp & 0xFFFFFFFF) / 2**32 - NTP_EPOCH_S,
                    packet.sender_info.rtp_timestamp,
                )
            )
        await on_rtcp(packet)

    receiver._handle_rtp_packet, receiver._handle_rtcp_packet = rtp, rtcp  # type: ignore[attr-defined]


async def one_session(url: str, lang: str, turns: int, keep: Path | None) -> list[Turn]:
    """Open a session in ``lang``, type its question ``turns`` times, analyse each reply."""
    from aiortc.codecs import get_decoder
    from aiortc.mediastreams import MediaStreamError

    from tests.support.visitor import VisitorClient

    class Client(VisitorClient):
        """The scripted visitor, keeping each decoded audio frame with its RTP timestamp."""

        cap: Capture

        async def _read_audio(self, track: object) -> None:
            try:
                while True:
                    frame = await track.recv()  # type: ignore[attr-defined]
                    pcm = frame.to_ndarray().reshape(-1, len(frame.layout.channels)).mean(axis=1)
                    self.cap.audio.append((int(frame.pts), pcm))
            except MediaStreamError:
                pass

    out = []
    for turn in range(turns):
        client = Client(url, decode_video=False, keep_video=True)
        client.cap = Capture()
        await client.connect(language=lang)
        for tr in client.pc.getTransceivers():
            hook_receiver(tr.receiver, tr.kind, client.cap)
        await asyncio.sleep(2.5)  # a few sender reports before the reply
        loop = asyncio.get_running_loop()
        t_say = loop.time()
        try:
            await client.send_event({"type": "text", "text": QUESTIONS[lang]})
            await client.wait_event(
                lambda m: m.get("type") == "state" and m.get("state") == "speaking", 60, t_say
            )
            t_speak = client.received.events[-1][0]
            await client.wait_event(
                lambda m: m.get("type") == "state" and m.get("state") == "idle", 90, t_speak
            )
            await asyncio.sleep(1.0)
        finally:
            for tr in client.pc.getTransceivers():
                mapper = tr.receiver._RTCRtpReceiver__timestamp_mapper  # aiortc 1.16
                if mapper._origin is not None:
                    client.cap.origins[tr.kind] = mapper._origin
            await client.close()
        video: list[tuple[int, float]] = []
        decoder, name = None, None
        shown_at = keep_sound(keep, lang, turn, client) if keep is not None else None
        for _t, codec, encoded in client.received.kept_video:
            if codec.name != name:
                decoder, name = get_decoder(codec), codec.name
            for frame in decoder.decode(encoded):
                rgb = frame.to_ndarray(format="rgb24")
                video.append((client.cap.rtp("video", encoded.timestamp), mouth_opening(rgb)))
                if keep is not None and shown_at is not None:
                    ms = shown_at(client.cap.rtp("video", encoded.timestamp))
                    keep_frame(keep / f"{lang}-{turn + 1}-{ms:07.0f}.png", rgb)
        client.received.kept_video.clear()
        result = analyse(client.cap, video)
        print(line(f"{lang} turn {turn + 1}", result), flush=True)
        out.append(result)
    return out


def keep_sound(folder: Path, lang: str, turn: int, client: Any) -> Callable[[int], float]:
    """``--keep-frames``: write the received audio as ``LANG-TURN.wav`` (48 kHz mono int16,
    the avatar's synthetic voice only) and the reply texts as ``LANG-TURN.txt``; returns the
    time (ms) a video RTP timestamp is shown at on that file's time line (by presentation)."""
    import wave

    folder.mkdir(parents=True, exist_ok=True)
    cap: Capture = client.cap
    a_ts = unwrap([cap.rtp("audio", pts) for pts, _ in cap.audio])
    first = float(sender_clock(cap.reports["audio"], a_ts[:1], AUDIO_HZ)[0][0])
    pcm = np.concatenate([c for _, c in cap.audio]).clip(-32768, 32767).astype(np.int16)
    with wave.open(str(folder / f"{lang}-{turn + 1}.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(AUDIO_HZ)
        w.writeframes(pcm.tobytes())
    texts = [m["text"] for m in client.received.events_of("reply")]
    (folder / f"{lang}-{turn + 1}.txt").write_text("\n".join(texts) + "\n", encoding="utf-8")
    reports = cap.reports["video"]

    def shown_at(rtp: int) -> float:
        at = sender_clock(reports, np.array([rtp], np.int64), VIDEO_HZ)[0][0]
        return (float(at) - first) * 1000.0

    return shown_at


def keep_frame(path: Path, rgb: np.ndarray) -> None:
    """Write one received RGB uint8 (H, W, 3) frame as PNG (``--keep-frames``)."""
    import av

    av.VideoFrame.from_ndarray(rgb, format="rgb24").to_image().save(path)


def line(name: str, t: Turn) -> str:
    """One printed line per reply (see the module docstring)."""
    return (
        f"{name}: presentation {t.presentation.ms:+.0f} ms (corr {t.presentation.corr:.2f}), "
        f"arrival {t.arrival.ms:+.0f} ms (corr {t.arrival.corr:.2f}) | {t.reply_s:.1f} s, "
        f"{t.frames} frames, {t.dropped} dropped | sender-report spread audio "
        f"{t.spread_audio_ms:.0f} ms, video {t.spread_video_ms:.0f} ms"
    )


def session_args(doc: str) -> argparse.ArgumentParser:
    """The arguments both lip-sync clients take (``--url``, ``--turns``, ``--langs``)."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--url", help="a running server (default: start one)")
    ap.add_argument("--turns", type=int, default=2, help="sessions per language")
    ap.add_argument("--langs", default="en,zh")
    return ap


@contextlib.contextmanager
def reached_server(url: str | None) -> Iterator[str]:
    """``url``, or a ``dhe serve`` started for the run (stopped after); prints the load."""
    server = None
    if not url:
        from tests.support.server_process import ServerProcess

        server = ServerProcess(ready_timeout_s=600.0)
        url = server.start()
    print(f"server {url}; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    try:
        yield url
    finally:
        print(f"load average at the end {os.getloadavg()[0]:.2f}")
        if server is not None:
            server.stop()


async def main(argv: list[str] | None = None) -> int:
    """Start (or reach) a server, measure each language, print the lines."""
    ap = session_args(__doc__)
    ap.add_argument(
        "--keep-frames",
        type=Path,
        help="write the received frames (PNG, named by the ms they show at), audio and reply texts here",
    )
    args = ap.parse_args(argv)
    with reached_server(args.url) as url:
        for lang in args.langs.split(","):
            turns = await one_session(url, lang, args.turns, args.keep_frames)
            for kind in ("presentation", "arrival"):
                ms = [getattr(t, kind).ms for t in turns]
                print(f"{lang} {kind}: median {np.median(ms):+.0f} ms over {len(ms)} replies")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
