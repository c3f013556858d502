"""espeak-ng TTS (engine/tts/espeak.py): Mandarin via pinyin, English fallback, router."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from avatar.phoneme_visemes import UnknownPhonemeError, viseme_for_mandarin_phoneme
from avatar.visemes import OCULUS_VISEMES
from engine.tts.base import LanguageRouterTTS, TTSError
from engine.tts.espeak import EspeakTTS, chinese_to_pinyin


def test_chinese_to_pinyin_numbers_and_punctuation() -> None:
    assert chinese_to_pinyin("您好，请问有什么可以帮您？") == (
        "nin2 hao3 , qing3 wen4 you3 shen2 me5 ke3 yi3 bang1 nin2 ?"
    )
    assert chinese_to_pinyin("余额1,234.56元。") == (
        "yu2 e2 yi1 qian1 er4 bai3 san1 shi2 si4 dian3 wu3 liu4 yuan2 ."
    )
    assert chinese_to_pinyin("绿色") == "lü4 se4"


def test_mandarin_greeting_has_audio_and_visemes(espeak: EspeakTTS) -> None:
    (chunk,) = espeak.synthesize_all("您好，请问有什么可以帮您？", "zh")
    assert chunk.sample_rate == espeak.sample_rate == 22050
    assert chunk.duration_s > 1.5 and chunk.duration_s < 6.0, chunk.duration_s  # 12 syllables
    audio = np.frombuffer(chunk.pcm, dtype="<i2").astype(np.float64)
    assert np.sqrt(np.mean(audio**2)) > 500
    track = chunk.visemes
    assert track.num_samples == chunk.num_samples
    names = [c.viseme for c in track.cues]
    assert set(names) <= set(OCULUS_VISEMES)
    # nin2 hao3 ... bang1 nin2: starts on n, has the open a of hao/bang, the b of bang
    assert names[0] == "nn"
    assert {"aa", "PP", "CH", "kk"} <= set(names)
    assert "sil" in names  # the pause at the comma
    assert track.cues[0].start_sample == 0
    for a, b in zip(track.cues, track.cues[1:], strict=False):
        assert a.end_sample == b.start_sample and a.viseme != b.viseme


def test_every_mandarin_phoneme_espeak_emits_is_mapped(espeak: EspeakTTS) -> None:
    """Synthesize every toneless pinyin syllable and map each reported phoneme strictly."""
    from pypinyin import Style, lazy_pinyin
    from pypinyin.pinyin_dict import pinyin_dict

    hanzi = "".join(chr(code) for code in pinyin_dict if 0x4E00 <= code <= 0x9FFF)
    syllables = sorted(set(lazy_pinyin(hanzi, style=Style.NORMAL, v_to_u=True)))
    assert len(syllables) > 380
    onsets = espeak._lib.synth(" , ".join(syllables), "cmn-latn-pinyin", None)[1]
    symbols = {s for s, _ in onsets if s}
    unmapped = set()
    for symbol in symbols:
        try:
            viseme_for_mandarin_phoneme(symbol)
        except UnknownPhonemeError:
            unmapped.add(symbol)
    assert len(symbols) > 40
    assert not unmapped


def test_english_fallback(espeak: EspeakTTS) -> None:
    (chunk,) = espeak.synthesize_all("Your balance is one thousand yuan.", "en")
    names = {c.viseme for c in chunk.visemes.cues}
    assert {"PP", "aa", "TH", "SS"} <= names
    assert chunk.duration_s > 1.0 and chunk.duration_s < 4.0, chunk.duration_s


def test_streams_sentences_and_rejects_other_languages(espeak: EspeakTTS) -> None:
    async def run() -> list[str]:
        return [c.text async for c in espeak.synthesize("好的。请稍等！", "zh")]

    assert asyncio.run(run()) == ["好的。", "请稍等！"]
    with pytest.raises(TTSError) as err:
        espeak.synthesize_all("Bonjour", "fr")
    assert err.value.code == "unsupported-language"


def test_router_picks_the_provider_by_language(espeak: EspeakTTS) -> None:
    router = LanguageRouterTTS({"zh": espeak, "en": EspeakTTS(voices={"en": "en-gb"})})
    assert router.sample_rate == 22050

    async def run(text: str, language: str) -> list[str]:
        return [c.text async for c in router.synthesize(text, language)]

    assert asyncio.run(run("您好。", "zh")) == ["您好。"]
    assert asyncio.run(run("Hello.", "en")) == ["Hello."]
    with pytest.raises(TTSError) as err:
        asyncio.run(run("Hallo.", "de"))
    assert err.value.code == "unsupported-language"


def test_missing_voice_is_a_typed_error(espeak: EspeakTTS) -> None:
    with pytest.raises(TTSError) as err:
        EspeakTTS(voices={"en": "xx-no-such-voice"}).synthesize_all("Hello.", "en")
    assert err.value.code == "engine-unavailable"
    # the shared library still works afterwards
    assert espeak.synthesize_all("您好。", "zh")[0].num_samples > 0
