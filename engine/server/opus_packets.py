"""Opus packets of the reply audio: one libopus encoder per session (:class:`OpusPackets`) and
the joining of single-frame packets into one (:func:`opus_join`, RFC 6716 section 3.2.5) for the
idle silence :class:`~engine.server.audio_track.ReplyAudioTrack` sends in 60 ms packets.
"""

from __future__ import annotations

import fractions

import av
import numpy as np

from engine.server.clock import FRAME_SAMPLES, MEDIA_RATE_HZ

AUDIO_TIME_BASE = fractions.Fraction(1, MEDIA_RATE_HZ)
#: Opus bit rate of the reply audio (bit/s): transparent for one synthetic voice (mono).
OPUS_BITRATE = 48_000
#: Digital silence: one frame (read-only, shared).
SILENT_FRAME = np.zeros(FRAME_SAMPLES, np.int16)
SILENT_FRAME.flags.writeable = False

#: Idle silence packets encoded alike in a row after which that packet is sent again as it is,
#: with no more encoding (:meth:`OpusPackets.encode_silence`). After a reply libopus' CELT
#: encoder gives the same 60 ms silence packet within ~0.3 s, while its rate control (VBR
#: reservoir and drift) still settles: a reply then encodes to the same bytes as after an idle
#: encoded frame by frame once the packet has repeated 8-62 times (11 clips, English and
#: Mandarin, 0.2-4x gain, measured); 100 leaves room.
SILENCE_SETTLED_PACKETS = 100


class OpusPackets:
    """Mono 48 kHz int16 frames → Opus packets of :data:`FRAME_SAMPLES` (libopus through PyAV;
    ``application=lowdelay``: the CELT mode's 2.5 ms look-ahead instead of SILK's ~6.5 ms,
    RFC 6716). The packet carries the frame's media-clock sample as its pts, which aiortc
    turns into the RTP timestamp."""

    def __init__(self) -> None:
        codec = av.CodecContext.create("libopus", "w")
        codec.sample_rate = MEDIA_RATE_HZ
        codec.layout = "mono"
        codec.format = "s16"
        codec.bit_rate = OPUS_BITRATE
        codec.time_base = AUDIO_TIME_BASE
        codec.options = {
            "frame_duration": str(1000 * FRAME_SAMPLES // MEDIA_RATE_HZ),
            "application": "lowdelay",
        }
        codec.open()
        self._codec = codec
        self._silence = self._frame(np.zeros(FRAME_SAMPLES, np.int16))  # made once, reused
        self._idle_payload: bytes | None = None  # the last idle silence packet encoded
        self._idle_repeats = 0  # how many times in a row it came out the same

    @staticmethod
    def _frame(pcm: np.ndarray) -> av.AudioFrame:
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = MEDIA_RATE_HZ
        frame.time_base = AUDIO_TIME_BASE
        return frame

    def encode(self, pcm: np.ndarray, sample: int) -> av.Packet:
        """One packet for int16 (:data:`FRAME_SAMPLES`,) samples starting at media ``sample``.

        Raises:
            RuntimeError: the encoder returned no packet (it must return one per frame).
        """
        # Between replies every frame is digital silence: the same frame object is encoded
        # again (the encoder copies its samples), not rebuilt 100 times a second.
        silent = pcm.size == FRAME_SAMPLES and not pcm.any()
        frame = self._silence if silent else self._frame(pcm)
        self._idle_repeats = 0  # the encoder's state moves on: idle silence settles anew
        frame.pts = sample
        packets = self._codec.encode(frame)
        if len(packets) != 1:
            raise RuntimeError(f"Opus gave {len(packets)} packets for one frame")
        packet = packets[0]
        packet.pts = sample
        packet.time_base = AUDIO_TIME_BASE
        return packet

    def encode_silence(self, sample: int, frames: int) -> list[av.Packet]:
        """``frames`` frames of digital silence from media ``sample`` on: one packet of them all
        when their TOC bytes allow it (:func:`opus_join`), else one packet per frame.

        Once the same packet has come out :data:`SILENCE_SETTLED_PACKETS` times in a row (the
        same ``frames``, nothing else encoded between) it is sent again without encoding: an
        idle session's silence then costs no Opus encode. The receiver decodes the same packets
        as if each had been encoded (its decoder's state follows them), and the encoder's own
        state (its rate control) has settled by then: the next reply encodes to the same bytes
        as after silence encoded frame by frame (``tests/unit/test_reply_audio_track.py``).
        Had it not settled, the reply would only spend its bits a little differently (the rate
        control's state is the encoder's alone, RFC 6716 section 5.3), not decode wrong."""
        payload = self._idle_payload  # its count byte (RFC 6716 code 3) holds its frames
        if (
            payload is None
            or self._idle_repeats < SILENCE_SETTLED_PACKETS
            or payload[1] & 0x3F != frames
        ):
            repeats = self._idle_repeats  # (each encode below starts the count anew)
            packets = [self.encode(SILENT_FRAME, sample + i * FRAME_SAMPLES) for i in range(frames)]
            joined = opus_join([bytes(p) for p in packets])
            if joined is None:
                return packets
            self._idle_repeats = repeats + 1 if joined == payload else 0
            self._idle_payload = payload = joined
        packet = av.Packet(payload)
        packet.pts = sample
        packet.time_base = AUDIO_TIME_BASE
        return [packet]


def _opus_length(size: int) -> bytes:
    """A frame length in an Opus packet (RFC 6716 section 3.2.1): one byte under 252, else
    ``252 + (size & 3)`` and then ``(size - first) / 4``."""
    if size < 252:
        return bytes([size])
    first = 252 + (size & 0x03)
    return bytes([first, (size - first) >> 2])


def opus_join(packets: list[bytes]) -> bytes | None:
    """Single-frame Opus packets (code 0, all with the same TOC byte) as one packet of all
    their frames (RFC 6716 section 3.2.5, code 3: CBR when the frames have one size, else VBR
    with the lengths of all but the last); None when they cannot share one (a TOC differs,
    one is not code 0, more than 48 frames, or a frame over 1275 bytes).

    Opus receivers decode a packet of any frame count (each packet's TOC and count byte say
    it, up to 120 ms), so a 60 ms packet may sit between 10 ms ones.
    """
    if not packets or len(packets) > 48 or any(not p or p[0] != packets[0][0] for p in packets):
        return None
    toc = packets[0][0]
    frames = [p[1:] for p in packets]
    if toc & 0x03 or max(len(f) for f in frames) > 1275:
        return None
    count = len(frames)
    if all(len(f) == len(frames[0]) for f in frames):
        head = bytes([toc | 0x03, count])
    else:
        lengths = b"".join(_opus_length(len(f)) for f in frames[:-1])
        head = bytes([toc | 0x03, 0x80 | count]) + lengths
    return head + b"".join(frames)
