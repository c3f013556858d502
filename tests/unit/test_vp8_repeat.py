"""engine.server.vp8_repeat and the avatar encoder's repeats: a repeat frame decodes to the
frame before it and leaves every decoder's state as it was (the libvpx stream decodes to the
same pictures with repeats between its frames), in libvpx's decoder and FFmpeg's own."""

from __future__ import annotations

import fractions

import av
import numpy as np
import pytest
from aiortc.codecs.vpx import vp8_depayload

from engine.server.video_codec import AvatarVp8Encoder
from engine.server.vp8_repeat import repeat_frame

CLOCK = fractions.Fraction(1, 90_000)  # RTP video clock


def stream_pts(i: int) -> int:
    """The pts of new picture ``i`` (90 kHz)."""
    return i * 3600


def frames(width: int, height: int, count: int) -> list[av.VideoFrame]:
    """Blocky random pictures that slide one pixel every other frame, as yuv420p."""
    rng = np.random.default_rng(7)
    blocks = rng.integers(0, 256, (height // 8 + 2, width // 8 + 2, 3), dtype=np.uint8)
    big = blocks.repeat(8, 0).repeat(8, 1)
    out = []
    for i in range(count):
        rgb = np.ascontiguousarray(big[i // 2 : i // 2 + height, :width])
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
        frame.pts, frame.time_base = stream_pts(i), CLOCK
        out.append(frame)
    return out


def decoded(decoder: str, stream: list[bytes]) -> list[np.ndarray]:
    """Each VP8 frame of ``stream`` decoded (yuv420p planes, flattened)."""
    codec = av.CodecContext.create(decoder, "r")
    return [f.to_ndarray().ravel() for data in stream for f in codec.decode(av.Packet(data))]


@pytest.mark.parametrize("decoder", ["libvpx", "vp8"])
@pytest.mark.parametrize("size", [(256, 256), (200, 120)])
def test_repeats_show_the_last_frame_and_change_no_state(decoder: str, size: tuple) -> None:
    encoder = AvatarVp8Encoder()
    stream, with_repeats, repeats = [], [], 0
    for frame in frames(*size, 12):
        data = b"".join(vp8_depayload(p) for p in encoder.encode(frame)[0])
        stream.append(data)
        with_repeats.append(data)
        for k in (1, 2):  # the track sends the same frame again, retimed
            frame.pts, frame.time_base = stream_pts(len(stream) - 1) + k * 1200, CLOCK
            payloads, timestamp = encoder.encode(frame)
            assert len(payloads) == 1 and timestamp == frame.pts
            with_repeats.append(vp8_depayload(payloads[0]))
            repeats += 1
    assert with_repeats[1] == repeat_frame(*size) and len(with_repeats[1]) < 100
    plain, shown = decoded(decoder, stream), decoded(decoder, with_repeats)
    assert len(shown) == 3 * len(plain) == 3 * 12
    for i, picture in enumerate(plain):
        assert np.array_equal(shown[3 * i], picture), i  # the stream's pictures, unchanged
        assert np.array_equal(shown[3 * i + 1], picture)  # and each repeat shows its frame
        assert np.array_equal(shown[3 * i + 2], picture)
    assert repeats == 24


def test_a_key_frame_asked_for_is_encoded_and_a_new_frame_is_not_a_repeat() -> None:
    encoder = AvatarVp8Encoder()
    first, second = frames(64, 48, 2)
    key = vp8_depayload(encoder.encode(first)[0][0])
    assert key[0] & 1 == 0  # a key frame
    again = vp8_depayload(encoder.encode(first, force_keyframe=True)[0][0])
    assert again[0] & 1 == 0 and again != repeat_frame(64, 48)
    assert vp8_depayload(encoder.encode(first)[0][0]) == repeat_frame(64, 48)
    assert vp8_depayload(encoder.encode(second)[0][0]) != repeat_frame(64, 48)
    with pytest.raises(ValueError, match="no VP8 frame"):
        repeat_frame(0, 16)
