"""engine.server.warmup: the start-up warm-ups run on this machine's codecs (real aiortc VP8 and
H.264 encoders through PyAV) and decode a fixed, quiet input."""

from __future__ import annotations

import numpy as np

from engine.server.warmup import WARM_AUDIO_S, warm_audio, warm_video_encoders


def test_warm_audio_is_quiet_repeatable_16k_float32() -> None:
    first, again = warm_audio(), warm_audio()
    assert first.dtype == np.float32 and first.shape == (int(WARM_AUDIO_S * 16_000),)
    assert np.array_equal(first, again)
    assert 0.005 < float(np.sqrt(np.mean(first**2))) < 0.02  # quiet noise, not silence


def test_both_video_codecs_encode_a_frame() -> None:
    warm_video_encoders(64, 64)  # raises when aiortc's encoders change their interface
