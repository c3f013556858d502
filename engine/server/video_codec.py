"""The avatar video's encoding: aiortc's VP8 encoder without the temporal denoiser, and the
RGB → yuv420p conversion of rendered images (:class:`YuvConverter`).

aiortc's :class:`~aiortc.codecs.vpx.Vp8Encoder` opens libvpx with ``noise-sensitivity`` 4, the
VP8 temporal denoiser meant for camera noise (libvpx ``VP8E_SET_NOISE_SENSITIVITY``). The avatar
is rendered, with no sensor noise to remove: on its 512² idle frames the denoiser took ~0.55 of
~2.0 ms per encode (28 %) and cost 1 dB of PSNR (41.3 → 42.3 dB without it; the mouth crop
moved alike from frame to frame, measured with aiortc's other settings). :class:`AvatarVp8Encoder`
opens the same encoder with it off, every other setting and aiortc's own bit rate, keyframe and
packetizing handling kept (its encode's body, run on the encoder opened here), but for one rule: a new encoder (and so a key frame) for a raised
bit rate only once it is well above the running one (:data:`RAISE_SHARE`), not at every 10 %.

A frame the track sends again (the same :class:`av.VideoFrame`: the avatar's pose did not
visibly move, most idle frames) is not given to libvpx: it leaves as
:func:`~engine.server.vp8_repeat.repeat_frame`, ~50 bytes that every decoder shows as the
frame before and that change no decoder state, so the next frame libvpx encodes is predicted
alike on both sides. libvpx re-encoded each one (~1.2 ms at 512²) and its CBR rate control
spent 1-5 kB (2-5 RTP packets) refining a picture that had not changed.

aiortc has no hook for the encoder a sender makes: ``RTCRtpSender`` calls the
``get_encoder`` it imported. :func:`use_avatar_encoders` replaces that name with one that makes
:class:`AvatarVp8Encoder` for VP8 and asks aiortc's own function for every other codec: a
process-wide patch of the library (a server process sends only avatar video), installed once.
"""

from __future__ import annotations

import multiprocessing

import aiortc.rtcrtpsender
import av
import numpy as np
from aiortc.codecs import get_encoder
from aiortc.codecs.base import Encoder
from aiortc.codecs.vpx import Vp8Encoder, number_of_threads
from aiortc.mediastreams import VIDEO_TIME_BASE, convert_timebase
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from engine.server.vp8_repeat import repeat_frame

#: The settings aiortc 1.16 opens libvpx with (``aiortc/codecs/vpx.py``), the denoiser off.
_SETTINGS = {
    "cpu-used": "-6",
    "deadline": "realtime",
    "lag-in-frames": "0",
    "noise-sensitivity": "0",
    "overshoot-pct": "15",
    "partitions": "0",
    "static-thresh": "1",
    "undershoot-pct": "100",
}
#: aiortc opens a new encoder when the target bit rate moved by more than this share; here
#: only when it fell (the receiver's estimate, RTCP REMB, saw congestion: act at once).
_REOPEN_SHARE = 0.1
#: A raised target opens a new encoder only once it is this share above the running rate and the
#: running encoder has run :data:`RAISE_HOLD_S` seconds of media time. libvpx cannot change its rate
#: while it runs (setting ``bit_rate`` on PyAV's open context changes nothing, measured), and a new
#: encoder starts with a key frame on a small CBR budget: 3-5 kB at 512², the mouth blurred and
#: blocky for a few frames. With aiortc's rule (any 10 % move) a receiver's estimate climbing from
#: 250 kbit/s (aiortc's REMB: +12.7 % a step, every 1.5-2 s) reopened it 7 times in a session's
#: first 12 s reply (``benchmarks/lip_sync_client.py --keep-frames`` showed them).
RAISE_SHARE = 0.5
#: Seconds of the stream (the frames' presentation times, not a count of frames) between a new
#: encoder and a raise: a frame count stretched with the frame rate (250 frames were 10 s while
#: speaking but 20 s while idle, where one frame slot in two is sent).
RAISE_HOLD_S = 10.0


class AvatarVp8Encoder(Vp8Encoder):
    """aiortc's VP8 encoder opened without the temporal denoiser, which sends a frame it is
    given again as a repeat frame (module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self._shown: av.VideoFrame | None = None  # the last frame libvpx encoded and sent
        self._version = 0  # the stream's VP8 version (its frames' first byte, bits 1-3)
        self._opened_s = 0.0  # the presentation time (s) of the running encoder's first frame

    def _reopen(self, frame: av.VideoFrame, rate: int) -> bool:
        """Whether ``frame`` needs a new encoder: none yet, another size, a target ``rate``
        (bit/s) more than :data:`_REOPEN_SHARE` lower, or :data:`RAISE_SHARE` higher once the
        running encoder has run :data:`RAISE_HOLD_S` seconds of ``frame`` presentation time."""
        codec = self.codec
        if codec is None or (frame.width, frame.height) != (codec.width, codec.height):
            return True
        running = codec.bit_rate
        if rate < running * (1.0 - _REOPEN_SHARE):
            return True
        held_s = _seconds(frame) - self._opened_s
        return rate > running * (1.0 + RAISE_SHARE) and held_s >= RAISE_HOLD_S

    def encode(self, frame: av.VideoFrame, force_keyframe: bool = False) -> tuple[list[bytes], int]:
        """Encode one yuv420p (or convertible) frame to RTP payloads and its RTP timestamp
        (the body of aiortc's :meth:`~aiortc.codecs.vpx.Vp8Encoder.encode`, on the encoder
        opened here until :meth:`_reopen` asks for another; ``target_bitrate`` is only read). The frame object encoded last, given again (a
        track resending its image), leaves as :func:`repeat_frame` unless a key frame is asked
        for."""
        rate = self.target_bitrate
        if self._reopen(frame, rate):
            self.codec = _open_vp8(frame.width, frame.height, rate)
            self._shown = None
            self._opened_s = _seconds(frame)
        elif frame is self._shown and not force_keyframe:
            payload = repeat_frame(frame.width, frame.height, self._version)
            return self.pack_encoded(payload, frame)
        # The body of aiortc's encode once its encoder is open, not a call to it: it reopens at
        # any 10 % move of ``target_bitrate``, which aiortc's sender sets on the event loop
        # (REMB) while this runs on its executor thread, so lowering it here for the call and
        # restoring it after lost a REMB that came in meanwhile.
        shown = frame
        if frame.format.name != "yuv420p":
            frame = frame.reformat(format="yuv420p")
        if force_keyframe:
            frame.pict_type = av.video.frame.PictureType.I
        data = b"".join(bytes(packet) for packet in self.codec.encode(frame))
        payloads, timestamp = self.pack_encoded(data, frame)
        if data:  # (libvpx may drop a frame: then the receiver still shows the one before)
            self._shown = shown
            self._version = (data[0] >> 1) & 0x07
        return payloads, timestamp

    def pack_encoded(self, payload: bytes, frame: av.VideoFrame) -> tuple[list[bytes], int]:
        """RTP payloads of the encoded VP8 ``payload`` shown at ``frame``'s time, and its RTP
        timestamp (aiortc's packetizing: the next picture ID)."""
        payloads = self._packetize(payload, self.picture_id)
        timestamp = convert_timebase(frame.pts, frame.time_base, VIDEO_TIME_BASE)
        self.picture_id = (self.picture_id + 1) % (1 << 15)
        return payloads, timestamp


def _seconds(frame: av.VideoFrame) -> float:
    """``frame``'s presentation time in seconds (its ``pts`` in its ``time_base``; aiortc's
    encode needs both, as here)."""
    return float(frame.pts * frame.time_base)


def _open_vp8(width: int, height: int, bit_rate: int) -> av.VideoCodecContext:
    """libvpx as aiortc opens it (CBR at ``bit_rate`` bit/s, 1 s buffer, keyframes on
    request), with :data:`_SETTINGS`, its rate buffer starting full.

    aiortc leaves FFmpeg's initial buffer occupancy at its default, so libvpx starts its CBR
    buffer part-full and the first (key) frame gets a small share: at 500 kbit/s on a 512²
    avatar frame 4.5 kB, 36.1 dB PSNR against ~41 dB once settled, and the next frames stay
    blurred (33.7-36.5 dB) until the buffer fills. Starting it full (FFmpeg's
    ``rc_init_occupancy`` → libvpx ``rc_buf_initial_sz``) gives the key frame 5.5 kB, 38.0 dB,
    and the next five 37.3-37.7 dB, at the same target rate: a second's budget is spent a
    little earlier in that second, nothing above what the receiver's estimate allows."""
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height = width, height
    codec.bit_rate = bit_rate
    codec.pix_fmt = "yuv420p"
    codec.gop_size = 3000
    codec.qmin, codec.qmax = 2, 56
    rate = str(bit_rate)
    codec.options = {
        **_SETTINGS,
        "bufsize": rate,
        "minrate": rate,
        "maxrate": rate,
        "rc_init_occupancy": rate,
    }
    codec.thread_count = number_of_threads(width * height, multiprocessing.cpu_count())
    return codec


def avatar_encoder(codec: RTCRtpCodecParameters) -> Encoder:
    """The encoder an RTP sender uses for ``codec``: :class:`AvatarVp8Encoder` for VP8,
    aiortc's own for the others.

    Raises:
        ValueError: aiortc has no encoder for ``codec``.
    """
    if codec.mimeType.lower() == "video/vp8":
        return AvatarVp8Encoder()
    return get_encoder(codec)


def use_avatar_encoders() -> None:
    """Make aiortc's RTP senders use :func:`avatar_encoder` (module docstring)."""
    aiortc.rtcrtpsender.get_encoder = avatar_encoder


class YuvConverter:
    """uint8 (H, W, 3) RGB images → yuv420p frames (BT.601, FFmpeg swscale), the format the VP8
    encoder needs. Converting once per rendered image, not once per sent frame, saves ~1 ms of
    CPU per repeated 512² frame (idle frames mostly repeat). The RGB image is copied into one
    RGB frame kept for the track (a plain copy: building a frame from the array each time cost
    ~0.3 ms of the ~1.3 ms, measured on 512² frames), then converted into a new frame; images
    whose rows the kept frame cannot hold unpadded are built from the array as before.

    One converter per track; not thread-safe (a track converts one image at a time)."""

    def __init__(self, width: int, height: int) -> None:
        self._rgb: av.VideoFrame | None = av.VideoFrame(width, height, "rgb24")
        self._size = (height, width, 3)
        self._contiguous = self._rgb.planes[0].line_size == width * 3

    def release(self) -> None:
        """Let go of the kept frame and its scaler (FFmpeg's swscale keeps a pool of worker
        threads per context, one per CPU); a later :meth:`convert` builds a frame each time."""
        self._rgb = None

    def convert(self, rgb: np.ndarray) -> av.VideoFrame:
        """The yuv420p frame of uint8 (H, W, 3) ``rgb`` (any size; the track's is fastest)."""
        fits = rgb.shape == self._size and rgb.dtype == np.uint8 and rgb.flags.c_contiguous
        kept = self._rgb  # read once: release() may clear it from the event loop meanwhile
        if fits and self._contiguous and kept is not None:
            kept.planes[0].update(rgb)
            return kept.reformat(format="yuv420p")
        return av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
