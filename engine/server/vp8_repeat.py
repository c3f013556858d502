"""A VP8 inter frame that shows the last decoded frame again and changes nothing: the idle
avatar's repeated images without a libvpx encode (RFC 6386, the VP8 bitstream).

While the avatar idles most of the frames it sends repeat the image before them (its pose did
not visibly move). libvpx re-encodes each one (~1.2 ms at 512², and its rate control spends
1-5 kB refining a picture that did not change). :func:`repeat_frame` builds, once per frame
size, the frame every VP8 decoder decodes to exactly its last frame:

* every macroblock is skipped (no coefficients), inter-predicted from the last frame with a
  zero motion vector (``ZEROMV``), so its pixels are the last frame's;
* the loop filter is off (level 0), so nothing smooths those pixels;
* it refreshes no reference buffer (last, golden, altref) and keeps no probability it read
  (``refresh_entropy_probs`` 0), so the decoder's state after it is the state before it: the
  next frame libvpx encodes predicts from the same references on both sides.

The first partition is written with the boolean entropy encoder of RFC 6386 section 7.3; its
fields follow section 19.2 (frame header) and 19.3 (macroblock header). The frame is ~70 bytes
at 512² (one RTP packet).
"""

from __future__ import annotations

from functools import lru_cache

#: ``coeff_update_probs`` (RFC 6386 section 13.4), [4 block types][8 bands][3 contexts][11 tree
#: nodes]: each context's leading probabilities, the rest 255.
_COEFF_UPDATE_HEADS = (
    # block type 0, bands 0-7
    *((), (), ()),
    *((176, 246), (223, 241, 252), (249, 253, 253)),
    *((255, 244, 252), (234, 254, 254), (253,)),
    *((255, 246, 254), (239, 253, 254), (254, 255, 254)),
    *((255, 248, 254), (251, 255, 254), ()),
    *((255, 253, 254), (251, 254, 254), (254, 255, 254)),
    *((255, 254, 253, 255, 254), (250, 255, 254, 255, 254), (254,)),
    *((), (), ()),
    # block type 1
    *((217,), (225, 252, 241, 253, 255, 255, 254), (234, 250, 241, 250, 253, 255, 253, 254)),
    *((255, 254), (223, 254, 254), (238, 253, 254, 254)),
    *((255, 248, 254), (249, 254), ()),
    *((255, 253), (247, 254), ()),
    *((255, 253, 254), (252,), ()),
    *((255, 254, 254), (253,), ()),
    *((255, 254, 253), (250,), (254,)),
    *((), (), ()),
    # block type 2
    *((186, 251, 250), (234, 251, 244, 254), (251, 251, 243, 253, 254, 255, 254)),
    *((255, 253, 254), (236, 253, 254), (251, 253, 253, 254, 254)),
    *((255, 254, 254), (254, 254, 254), ()),
    *((255, 254), (254, 254), (254,)),
    *((), (254,), ()),
    *((), (), ()),
    *((), (), ()),
    *((), (), ()),
    # block type 3
    *((248,), (250, 254, 252, 254), (248, 254, 249, 253)),
    *((255, 253, 253), (246, 253, 253), (252, 254, 251, 254, 254)),
    *((255, 254, 252), (248, 254, 253), (253, 255, 254, 254)),
    *((255, 251, 254), (245, 251, 254), (253, 253, 254)),
    *((255, 251, 253), (252, 253, 254), (255, 254)),
    *((255, 252), (249, 255, 254), (255, 255, 254)),
    *((255, 255, 253), (250,), ()),
    *((), (254,), ()),
)
COEFF_UPDATE_PROBS = bytes(
    p for head in _COEFF_UPDATE_HEADS for p in head + (255,) * (11 - len(head))
)
#: ``mv_update_probs`` (RFC 6386 section 17.2): 19 per component (rows, then columns).
MV_UPDATE_PROBS = bytes.fromhex(
    "edf6fdfdfefefefefefefefefefefafafcfefe"  # 237, 246, 253, 253, 254 ... 250, 250, 252, 254, 254
    "e7f3f5fdfefefefefefefefefefefbfbfefefe"  # 231, 243, 245, 253, 254 ... 251, 251, 254, 254, 254
)
#: ``vp8_mode_contexts[n][0]`` (RFC 6386 section 16.3): the probability that an inter
#: macroblock's mode is ``ZEROMV``, by the weight ``n`` of its neighbours (above 2, left 2,
#: above-left 1) that are inter-predicted with a zero motion vector; outside the frame counts
#: as intra. Here every neighbour inside the frame is one: ``n`` is 0, 2 or 5.
ZEROMV_PROBS = {0: 7, 2: 135, 5: 234}
MACROBLOCK_PX = 16


class BoolEncoder:
    """The boolean entropy encoder of RFC 6386 section 7.3 (its reference code, in Python)."""

    def __init__(self) -> None:
        self.out = bytearray()
        self._range = 255
        self._bottom = 0  # 32 bits
        self._bit_count = 24

    def _carry(self) -> None:
        i = len(self.out) - 1
        while self.out[i] == 255:
            self.out[i] = 0
            i -= 1
        self.out[i] += 1

    def bool(self, prob: int, value: bool) -> None:
        """Write one bit that is 0 with probability ``prob`` / 256 (``prob`` 1-255)."""
        split = 1 + (((self._range - 1) * prob) >> 8)
        if value:
            self._bottom += split
            self._range -= split
        else:
            self._range = split
        while self._range < 128:
            self._range <<= 1
            if self._bottom & (1 << 31):
                self._carry()
            self._bottom = (self._bottom << 1) & 0xFFFFFFFF
            self._bit_count -= 1
            if not self._bit_count:
                self.out.append(self._bottom >> 24)
                self._bottom &= (1 << 24) - 1
                self._bit_count = 8

    def literal(self, value: int, bits: int) -> None:
        """Write ``value`` as ``bits`` even-odds bits, most significant first (``L(n)``)."""
        for shift in range(bits - 1, -1, -1):
            self.bool(128, bool((value >> shift) & 1))

    def flush(self) -> bytes:
        """The encoded bytes (the partition), padded as the RFC's ``flush_bool_encoder``."""
        c, v = self._bit_count, self._bottom
        if v & (1 << (32 - c)):
            self._carry()
        v = (v << (c & 7)) << (8 * (c >> 3))
        for _ in range(4):
            self.out.append((v >> 24) & 0xFF)
            v = (v << 8) & 0xFFFFFFFF
        return bytes(self.out)


def _header(e: BoolEncoder) -> None:
    """The inter frame header (RFC 6386 section 19.2) of a frame that changes nothing."""
    e.literal(0, 1)  # segmentation_enabled
    e.literal(0, 1)  # filter_type
    e.literal(0, 6)  # loop_filter_level: no loop filter
    e.literal(0, 3)  # sharpness_level
    e.literal(0, 1)  # loop_filter_adj_enable
    e.literal(0, 2)  # log2_nbr_of_dct_partitions: one token partition
    e.literal(0, 7)  # y_ac_qi (no coefficients follow)
    for _ in range(5):  # y_dc, y2_dc, y2_ac, uv_dc, uv_ac delta_present
        e.literal(0, 1)
    e.literal(0, 1)  # refresh_golden_frame
    e.literal(0, 1)  # refresh_alternate_frame
    e.literal(0, 2)  # copy_buffer_to_golden
    e.literal(0, 2)  # copy_buffer_to_alternate
    e.literal(0, 1)  # sign_bias_golden
    e.literal(0, 1)  # sign_bias_alternate
    e.literal(0, 1)  # refresh_entropy_probs: this frame's probabilities are not kept
    e.literal(0, 1)  # refresh_last
    for prob in COEFF_UPDATE_PROBS:  # token_prob_update: none
        e.bool(prob, False)
    e.literal(1, 1)  # mb_no_skip_coeff
    e.literal(1, 8)  # prob_skip_false: every macroblock skips
    e.literal(1, 8)  # prob_intra: every macroblock is inter
    e.literal(255, 8)  # prob_last: every one predicts from the last frame
    e.literal(128, 8)  # prob_gf (unused)
    e.literal(0, 1)  # intra_16x16_prob_update_flag
    e.literal(0, 1)  # intra_chroma_prob_update_flag
    for prob in MV_UPDATE_PROBS:  # mv_prob_update: none
        e.bool(prob, False)


@lru_cache(maxsize=8)
def repeat_frame(width: int, height: int, version: int = 0) -> bytes:
    """The VP8 inter frame (module docstring) for ``width`` x ``height`` pixel frames.

    Args:
        width, height: the stream's frame size in pixels (its last key frame's).
        version: the stream's VP8 version (0-3, RFC 6386 section 9.1; bits 1-3 of a frame's
            first byte): decoders read it from every frame.

    Returns:
        The frame's bytes (a 3-byte frame tag, the first partition, one token partition).

    Raises:
        ValueError: a size below one pixel or a version outside 0-3.
    """
    if width < 1 or height < 1 or not 0 <= version <= 3:
        raise ValueError(f"no VP8 frame of {width}x{height} pixels, version {version}")
    first = BoolEncoder()
    _header(first)
    cols = -(-width // MACROBLOCK_PX)
    rows = -(-height // MACROBLOCK_PX)
    for row in range(rows):
        for col in range(cols):
            first.bool(1, True)  # mb_skip_coeff: no coefficients
            first.bool(1, True)  # is_inter_mb
            first.bool(255, False)  # mb_ref_frame_sel1: the last frame
            zero_neighbours = 2 * (row > 0) + 2 * (col > 0) + (row > 0 and col > 0)
            first.bool(ZEROMV_PROBS[zero_neighbours], False)  # mv_mode: ZEROMV
    partition = first.flush()
    tokens = BoolEncoder().flush()  # no tokens, but decoders want a partition of some bytes
    # frame tag (section 9.1): inter frame (bit 0 set), version, show_frame, partition size
    tag = 1 | (version << 1) | (1 << 4) | (len(partition) << 5)
    return tag.to_bytes(3, "little") + partition + tokens
