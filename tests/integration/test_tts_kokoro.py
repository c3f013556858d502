"""Kokoro-82M speaking Mandarin (engine/tts/kokoro.py) with the real `dhe models` files:
audio, viseme timing from the model's own durations, streaming pieces, tones, warm-up."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from avatar.visemes import OCULUS_VISEMES
from engine.tts.base import TTSChunk, TTSError, TTSProvider, heard_s
from engine.tts.kokoro import OPENINGS, SAMPLES_PER_UNIT, KokoroTTS
from engine.tts.sentences import split_sentences
from engine.tts.zh_tones import PITCH_RANGE
from tests.conftest import model_folder


def _samples(chunk: TTSChunk) -> np.ndarray:
    return np.frombuffer(chunk.pcm, dtype="<i2").astype(np.float64)


def _rms(audio: np.ndarray) -> float:
    return float(np.sqrt(np.mean(audio**2))) if audio.size else 0.0


def _voiced_s(chunk: TTSChunk, frame_s: float = 0.02) -> float:
    """Seconds from the first to the last 20 ms frame louder than a tenth of the loudest."""
    audio, n = _samples(chunk), int(frame_s * chunk.sample_rate)
    frames = np.sqrt(np.mean(audio[: audio.size // n * n].reshape(-1, n) ** 2, axis=1))
    voiced = np.nonzero(frames > 0.1 * frames.max())[0]
    return (voiced[-1] - voiced[0] + 1) * frame_s


def test_sentence_audio_and_visemes(kokoro: KokoroTTS) -> None:
    assert isinstance(kokoro, TTSProvider)
    (chunk,) = kokoro.synthesize_all("请帮我冻结这张卡。", "zh")
    assert chunk.sample_rate == kokoro.sample_rate == 24_000
    # 8 syllables at a speaking rate: Mandarin read speech runs ~5.2 syllables/s (Pellegrino,
    # Coupé & Marsico 2011, "A cross-language perspective on speech information rate"); over
    # the voiced span (20 ms frames above a tenth of the loudest) accept 3.5-7 syllables/s
    assert 3.5 <= 8 / _voiced_s(chunk) <= 7.0, _voiced_s(chunk)
    assert _rms(_samples(chunk)) > 1000  # speech, not silence
    track = chunk.visemes
    # cut from the model's own durations: the track covers the audio to the sample, and every
    # cue boundary after the trimmed lead-in falls on a duration unit
    assert track.num_samples == chunk.num_samples
    lead = track.cues[0].end_sample
    assert all((c.end_sample - lead) % SAMPLES_PER_UNIT == 0 for c in track.cues)
    names = [c.viseme for c in track.cues]
    assert set(names) <= set(OCULUS_VISEMES)
    assert names[0] == "sil" and names[-1] == "sil"
    # 帮 (b: lips closed) before 冻 (d), and the last velar is 卡 (k) after both
    last_kk = len(names) - 1 - names[::-1].index("kk")
    assert names.index("PP") < names.index("DD") < last_kk, names
    for a, b in zip(track.cues, track.cues[1:], strict=False):
        assert a.end_sample == b.start_sample and a.viseme != b.viseme


def test_lips_close_where_the_audio_is_quiet(kokoro: KokoroTTS) -> None:
    """Silence cues are much quieter than open vowels: the timing matches the audio."""
    chunk = kokoro.synthesize_sentence("您好，我们马上开始办理。", "zh")
    audio = _samples(chunk)

    def rms(viseme: str) -> float:
        cues = [c for c in chunk.visemes.cues if c.viseme == viseme]
        return _rms(np.concatenate([audio[c.start_sample : c.end_sample] for c in cues]))

    assert rms("sil") < 0.3 * rms("aa")


def test_pieces_open_with_the_first_clause_or_are_paced(kokoro: KokoroTTS) -> None:
    """The default opening says 您好， alone (the first audio sooner); ``paced`` opens the reply
    with its whole first sentence, because 您好， alone plays for less than the next clause
    takes to make (engine.tts.pacing); the rest in pieces either way."""
    text = (
        "您好，欢迎来到海港区税务服务厅！我是自助服务助手，可以帮您查询个税申报状态、"
        "预约办税时间、受理投诉建议。请问有什么可以帮您？"
    )
    pieces = kokoro.split(text)
    assert pieces[0] == "您好，"
    assert len(pieces) > 2
    assert "".join(pieces) == text.replace(" ", "")
    paced = split_sentences(text, OPENINGS["paced"])
    assert paced[0] == "您好，欢迎来到海港区税务服务厅！"
    assert len(paced) > 2
    assert "".join(paced) == text.replace(" ", "")

    async def run() -> list[TTSChunk]:
        return [chunk async for chunk in kokoro.synthesize(text, "zh")]

    # streamed in order (first-audio time is measured by benchmarks/tts.py, not here)
    assert [c.text for c in asyncio.run(run())] == pieces
    assert OPENINGS["first_clause"] is KokoroTTS.split_config
    with pytest.raises(TTSError, match="unknown opening 'fast'"):
        KokoroTTS(Path("nowhere"), opening="fast")


def test_the_opening_clause_plays_for_what_the_hold_assumes(kokoro: KokoroTTS) -> None:
    """抱歉， renders ~1.3 s (its pauses included) but plays ~0.66 s once they are shortened
    (engine.audio.pauses): the length the first piece's hold counts on; silence plays 0 s."""
    chunk = kokoro.synthesize_sentence("抱歉，", "zh")
    assert chunk.duration_s > 1.0
    assert 0.5 < heard_s(chunk) < 0.8
    silent = TTSChunk(bytes(4800), 24_000, chunk.visemes, "")
    assert heard_s(silent) == 0.0
    assert kokoro.hold_pace is not None  # the default opening holds, ``eager`` does not
    eager = KokoroTTS(model_folder("kokoro-82m"), opening="eager")
    assert eager.hold_pace is None and eager.split_config is kokoro.split_config


def test_a_piece_counts_its_phoneme_tokens(kokoro: KokoroTTS) -> None:
    """The model's input length (benchmarks/kokoro_pace.py sizes a piece's cost by it; the
    counts tests/unit/test_pacing.py uses): 抱歉， is pau↘ʨʰjɛ↘n, (11), and a Latin acronym
    counts its letter names' phonemes although it weighs one per letter."""
    pieces = kokoro.split("抱歉，这个问题我暂时无法办理。需要我为您呼叫工作人员吗？")
    assert [kokoro.token_count(p) for p in pieces] == [11, 41, 51]
    assert kokoro.token_count("ATM。") > 3 * kokoro.token_count("。")
    assert kokoro.token_count("") == 0


def test_numbers_and_letters_take_time_to_say(kokoro: KokoroTTS) -> None:
    """尾号4417 is said digit by digit as a code is read out, like 尾号四四、一七 (the short pause
    between digit groups included: same phonemes, same length)."""
    digits = kokoro.synthesize_sentence("尾号4417，ATM。", "zh")
    words = kokoro.synthesize_sentence("尾号四四、一七，ATM。", "zh")
    assert digits.num_samples == words.num_samples
    short = kokoro.synthesize_sentence("尾号，。", "zh")
    # seven more syllables (四四一七, A T M): at least 100 ms each at any speaker's pace
    # (zm_yunxi: 0.98 s more, zf_xiaoyi: over 1 s)
    assert digits.duration_s > short.duration_s + 0.7


def _pitch_only_changes(kokoro: KokoroTTS, setting: str, other: object) -> None:
    """银行卡 said with ``kokoro.<setting>`` set to ``other`` and as configured: the same
    length and visemes, different samples (the pitch track is all that changed)."""
    configured = getattr(kokoro, setting)
    setattr(kokoro, setting, other)
    try:
        (changed,) = kokoro.synthesize_all("银行卡", "zh")
    finally:
        setattr(kokoro, setting, configured)
    (plain,) = kokoro.synthesize_all("银行卡", "zh")
    assert changed.num_samples == plain.num_samples
    assert changed.visemes == plain.visemes
    assert not np.array_equal(_samples(changed), _samples(plain))


def test_tones_change_the_pitch_not_the_timing(kokoro: KokoroTTS) -> None:
    assert kokoro.tones is False  # a native Mandarin speaker keeps the model's own pitch
    _pitch_only_changes(kokoro, "tones", True)


def test_estimate_track_and_slower_speech(kokoro: KokoroTTS) -> None:
    estimate = kokoro.estimate_track("请帮我冻结这张卡。", "zh")
    (chunk,) = kokoro.synthesize_all("请帮我冻结这张卡。", "zh")

    def shapes(track) -> list[str]:  # mouth shapes in order, pauses left out
        names = [c.viseme for c in track.cues if c.viseme != "sil"]
        return [v for i, v in enumerate(names) if i == 0 or names[i - 1] != v]

    assert shapes(estimate) == shapes(chunk.visemes)  # same shapes, only timed by rule
    slow = kokoro.with_length_scale(1.25)
    (slower,) = slow.synthesize_all("请帮我冻结这张卡。", "zh")
    assert slower.duration_s > 1.1 * chunk.duration_s
    with pytest.raises(TTSError, match="length_scale"):
        kokoro.with_length_scale(3.0)
    with pytest.raises(TTSError, match="unsupported-language"):
        kokoro.synthesize_all("Hello.", "en")


def test_a_wider_pitch_range_changes_the_pitch_not_the_timing(kokoro: KokoroTTS) -> None:
    assert kokoro.pitch_range == PITCH_RANGE > 1.0  # the default widens the model's contour
    _pitch_only_changes(kokoro, "pitch_range", 1.0)
    with pytest.raises(TTSError, match=r"pitch_range must be 0\.5-3\.0"):
        KokoroTTS(Path("nowhere"), pitch_range=5.0)


def test_missing_model_and_unknown_voice_are_named(tmp_path) -> None:
    with pytest.raises(TTSError, match="model-not-found"):
        KokoroTTS(tmp_path)
    with pytest.raises(TTSError, match="unknown Kokoro voice 'zf_nobody'"):
        KokoroTTS(model_folder("kokoro-82m"), voice="zf_nobody")


def test_static_decoder_keeps_the_timing_and_the_sound(kokoro: KokoroTTS) -> None:
    """``decoder: static`` (the default; engine.tts.kokoro_static, built by ``dhe models``)
    shares the predictor: the same samples per phoneme, and audio close to the export's own
    decoder (``decoder: dynamic``)."""
    from engine.tts.kokoro_decoder import STATIC_DECODER_FILE

    folder = model_folder("kokoro-82m")
    if not (folder / STATIC_DECODER_FILE).is_file():
        pytest.fail(f"{STATIC_DECODER_FILE} not built: run `dhe models kokoro-82m`")
    dynamic = KokoroTTS(folder, decoder="dynamic")
    text = "请您到三号窗口咨询工作人员。"
    want, got = dynamic.synthesize_sentence(text, "zh"), kokoro.synthesize_sentence(text, "zh")
    assert len(got.pcm) == len(want.pcm)
    assert got.visemes == want.visemes
    a, b = (np.frombuffer(c.pcm, "<i2").astype(np.float32) for c in (want, got))
    corr = np.corrcoef(a, b)[0, 1]
    assert 0.9 < corr < 0.9999, (
        corr
    )  # 0.97-0.98 measured; another voice: ~0.15; 1: the same decoder
    with pytest.raises(TTSError, match="unknown Kokoro decoder"):
        KokoroTTS(folder, decoder="fast")


def test_the_last_phonemes_silence_is_left_out_not_the_voice(kokoro: KokoroTTS) -> None:
    """The decoder renders 8 units of 工's 29-unit final ŋ (engine.tts.kokoro_graph): the piece
    is 21 units shorter, the same words at the same level and close to the whole render;
    the visemes follow the shortened durations."""
    from engine.tts.kokoro import TAIL_UNITS

    assert kokoro.tail_units == TAIL_UNITS == 8
    text = "我是数字员工，"
    kokoro.tail_units = None
    try:
        whole = kokoro.synthesize_sentence(text, "zh")
    finally:
        kokoro.tail_units = TAIL_UNITS
    cut = kokoro.synthesize_sentence(text, "zh")
    shorter = whole.num_samples - cut.num_samples
    assert shorter % SAMPLES_PER_UNIT == 0 and 15 <= shorter // SAMPLES_PER_UNIT <= 25, shorter
    assert cut.visemes.num_samples == cut.num_samples
    n = cut.num_samples - 13 * SAMPLES_PER_UNIT  # up to the comma's pause
    a, b = _samples(whole)[:n], _samples(cut)[:n]
    assert 0.93 < _rms(b) / _rms(a) < 1.07  # 0.98-1.00 measured; unweighted: 0.80-0.85
    assert np.corrcoef(a, b)[0, 1] > 0.95  # 0.97-0.985 measured; unweighted: 0.93-0.96
    assert abs(heard_s(cut) - heard_s(whole)) < 0.1
    with pytest.raises(TTSError, match="tail_units must be >= 1"):
        KokoroTTS(Path("nowhere"), tail_units=0)
