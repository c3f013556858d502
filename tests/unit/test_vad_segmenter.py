"""The sans-IO speech segmenter, fed Silero probabilities of real recordings."""

from __future__ import annotations

import numpy as np
import pytest

from engine.audio.decode import load_audio
from engine.audio.vad import WINDOW_SAMPLES, SileroVAD, SpeechSegmenter, speech_segments


def _feed(probs: list[float], seg: SpeechSegmenter) -> list[tuple[str, int]]:
    out = []
    for i, p in enumerate(probs):
        d = seg.feed(p, i * WINDOW_SAMPLES)
        if d:
            out.append((d.kind, d.sample))
    return out


def test_onset_needs_sustained_speech() -> None:
    seg = SpeechSegmenter(min_speech_ms=200, min_silence_ms=500)
    # 5 windows (160 ms) of speech is below the 200 ms onset: nothing happens.
    assert _feed([0.9] * 5 + [0.0] * 30, seg) == []
    seg = SpeechSegmenter(min_speech_ms=200, min_silence_ms=500)
    # 7 windows (224 ms) starts speech at the run's first window.
    decisions = _feed([0.0] * 3 + [0.9] * 7 + [0.0] * 20, seg)
    assert decisions[0] == ("start", 3 * WINDOW_SAMPLES)
    # End is the last speech window's end, confirmed after 500 ms (16 windows) of silence.
    assert decisions[1] == ("end", 10 * WINDOW_SAMPLES)


def test_hysteresis_keeps_speech_through_dips() -> None:
    seg = SpeechSegmenter(threshold=0.5, min_speech_ms=64, min_silence_ms=200)
    probs = [0.9] * 4 + [0.4] * 10 + [0.9] * 4 + [0.0] * 10
    decisions = _feed(probs, seg)
    # 0.4 is above threshold - 0.15, so the dip does not end speech.
    assert [d[0] for d in decisions] == ["start", "end"]
    assert decisions[1][1] == 18 * WINDOW_SAMPLES


def test_flush_closes_open_speech() -> None:
    seg = SpeechSegmenter(min_speech_ms=64)
    _feed([0.9] * 5, seg)
    end = seg.flush()
    assert end is not None and end.kind == "end" and end.sample == 5 * WINDOW_SAMPLES
    assert seg.flush() is None


def test_jfk_speech_spans_match_the_recording(shared_data) -> None:
    audio = load_audio(shared_data / "audio/en/en_jfk_ask_not_what_your_country.flac")
    segments = speech_segments(SileroVAD().process(audio), SpeechSegmenter())
    assert segments, "no speech found in an 11 s speech clip"
    speech_s = sum(e - s for s, e in segments) / 16000
    # JFK's 11 s clip has ~0.3 s of lead silence and long pauses between phrases.
    assert 6.0 < speech_s < 10.5
    assert segments[0][0] / 16000 < 0.6
    assert segments[-1][1] / 16000 > 9.5


def test_streaming_equals_batch(shared_data) -> None:
    audio = load_audio(shared_data / "audio/en/en_ljspeech_LJ001-0004_block_books.wav")
    vad = SileroVAD()
    batch = vad.process(audio)
    vad.reset()
    streamed = np.concatenate([vad.process(audio[i : i + 700]) for i in range(0, audio.size, 700)])
    assert streamed.shape == batch.shape
    assert np.allclose(streamed, batch, atol=1e-5)


@pytest.mark.parametrize("kind", ["silence", "white_noise"])
def test_no_speech_in_silence_or_noise(kind: str) -> None:
    rng = np.random.default_rng(7)
    audio = (
        np.zeros(48000, np.float32)
        if kind == "silence"
        else (rng.standard_normal(48000) * 0.1).astype(np.float32)
    )
    assert speech_segments(SileroVAD().process(audio), SpeechSegmenter()) == []
