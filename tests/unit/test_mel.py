"""Our numpy log-mel front end against two independent implementations of Whisper's recipe:
Hugging Face's ``WhisperFeatureExtractor`` (what Smart Turn v3 was trained with) and
faster-whisper's ``FeatureExtractor`` (what our ASR runs), on a real recording."""

from __future__ import annotations

import numpy as np
import pytest

from engine.audio import mel
from engine.audio.decode import load_audio
from engine.audio.turn_model import WINDOW_SAMPLES, TurnModelError, features

JFK = "audio/en/en_jfk_ask_not_what_your_country.flac"


@pytest.fixture(scope="module")
def jfk(shared_data) -> np.ndarray:
    return load_audio(shared_data / JFK)


def test_smart_turn_input_matches_transformers_whisper_extractor(jfk: np.ndarray) -> None:
    """Smart Turn's input: the last 8 s (zeros before a shorter clip), normalised, 80 bins."""
    transformers = pytest.importorskip("transformers")
    extractor = transformers.WhisperFeatureExtractor(chunk_length=8)
    for clip in (jfk, jfk[: 3 * 16_000]):  # 11 s (the tail is read) and 3 s (zeros first)
        tail = clip[-WINDOW_SAMPLES:]
        padded = np.concatenate([np.zeros(WINDOW_SAMPLES - tail.size, np.float32), tail])
        reference = extractor(
            padded,
            sampling_rate=16_000,
            padding="max_length",
            max_length=WINDOW_SAMPLES,
            truncation=True,
            do_normalize=True,
            return_tensors="np",
        ).input_features
        ours = features(clip)
        assert ours.shape == reference.shape == (1, 80, 800)
        assert ours.dtype == np.float32
        assert np.abs(ours - reference).max() < 1e-5


@pytest.mark.parametrize("n_mels", [80, 128])
def test_log_mel_matches_faster_whisper(jfk: np.ndarray, n_mels: int) -> None:
    from faster_whisper.feature_extractor import FeatureExtractor

    reference = FeatureExtractor(feature_size=n_mels)(jfk, padding=0)
    ours = mel.log_mel(jfk, n_mels)
    assert ours.shape == reference.shape == (n_mels, jfk.size // 160)
    # faster-whisper keeps its filters in float32: agreement to ~1e-5 on values in [-1, 1.5].
    assert np.abs(ours - reference).max() < 1e-4


def test_filters_have_equal_area_and_cover_the_band() -> None:
    filters = mel.mel_filters(80)
    assert filters.shape == (80, 201)
    bins_hz = np.linspace(0.0, 8000.0, 201)
    # Slaney normalisation: each triangle's area (height × base / 2) is 1 in Hz units.
    areas = np.trapezoid(filters, bins_hz, axis=1)
    assert np.allclose(areas, 1.0, rtol=0.1)  # sampled at 40 Hz bins: within 10 %
    peaks_hz = bins_hz[filters.argmax(axis=1)]
    assert np.all(np.diff(peaks_hz) >= 0) and peaks_hz[-1] > 7000.0
    # 1 kHz is 15 mels on Slaney's scale (the linear-to-log corner).
    assert mel._hz_to_mel(np.array(1000.0)) == pytest.approx(15.0)
    assert mel._mel_to_hz(mel._hz_to_mel(np.array([300.0, 4000.0]))) == pytest.approx([300, 4000])


def test_bad_audio_is_refused() -> None:
    with pytest.raises(ValueError, match="1-D"):
        mel.log_mel(np.zeros((2, 800), np.float32))
    with pytest.raises(ValueError, match="too short"):
        mel.log_mel(np.zeros(100, np.float32))
    with pytest.raises(TurnModelError, match="non-empty"):
        features(np.zeros(0, np.float32))
