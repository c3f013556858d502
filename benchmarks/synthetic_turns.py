"""Synthetic visitor turns for end-of-turn measurements (espeak-ng, Piper; **synthetic**).

In-domain questions (bank and tax counters) in English and Mandarin, spoken by espeak-ng in a
voice unlike the avatar's, each cut into phrases that are joined with inserted pauses: a pause
*inside* a turn (after "my card number is", between the two halves of a sentence) must not
end it. Written for this measurement, not taken from ../shared/data (public clips are for
reporting only). Used by ``benchmarks/endpointing.py`` and the turn-model integration test.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from scipy.signal import resample_poly

RATE_HZ = 16_000
#: espeak-ng voices unlike the avatar's (Piper for English; plain cmn-latn-pinyin for Mandarin).
#: English is also spoken by Piper (``voice="piper"``): espeak-ng's flat intonation makes Smart
#: Turn judge most of its finished questions unfinished.
VOICES = {"en": "en-us+m3", "zh": "cmn-latn-pinyin+f3"}
#: Silence padding before the first phrase and after the last one (s).
LEAD_S = 0.5
TRAIL_S = 2.0

#: Whole questions: one phrase each (the end-of-turn delay is measured on these).
COMPLETE = {
    "en": (
        "I would like to check my account balance.",
        "How do I report a lost card?",
        "Can you tell me when this branch closes today?",
        "I need a new debit card.",
        "Where do I pay my property tax?",
    ),
    "zh": (
        "我想查询一下账户余额。",
        "请问怎么挂失银行卡？",
        "个人所得税怎么申报？",
        "我需要办一张新的借记卡。",
        "营业厅几点关门？",
    ),
}

#: Questions spoken in phrases: every pause between phrases lies inside the turn.
PHRASED = {
    "en": (
        ("My card number is", "four five six seven, eight nine one two."),
        ("I want to transfer five hundred dollars", "to my savings account."),
        ("Could you please tell me", "how much tax I owe this year?"),
        ("I lost my card yesterday,", "and I need to block it."),
        ("The amount is", "two thousand", "three hundred dollars."),
    ),
    "zh": (
        ("我的卡号是", "六二二二，零二零二。"),
        ("我想把五百块钱", "转到我的储蓄账户。"),
        ("请问我今年", "需要交多少税？"),
        ("我的银行卡昨天丢了，", "我想马上挂失。"),
        ("转账金额是", "两千", "三百元。"),
    ),
}

#: Pauses inserted between phrases (ms): two of up to 0.4 s (read speech: must never end the
#: turn), two longer (a visitor looking for the next digits).
PAUSES_MS = (250, 400, 700, 1000)


@dataclass(frozen=True, slots=True)
class SyntheticTurn:
    """One synthetic turn.

    Attributes:
        label: the text, phrases joined by ``…`` and the pause length.
        language: ``en`` or ``zh``.
        audio: float32 (n,), 16 kHz mono, with ``LEAD_S`` before and ``TRAIL_S`` after.
        phrase_starts: sample where each phrase's speech starts.
        speech_end: sample where the last phrase's speech ends.
        pause_ms: the inserted pause (0 for a single phrase).
    """

    label: str
    language: str
    audio: np.ndarray
    phrase_starts: tuple[int, ...]
    speech_end: int
    pause_ms: int


@functools.cache
def _espeak():
    from engine.tts.espeak import EspeakTTS

    return EspeakTTS(voices=dict(VOICES), rate_wpm=160)


@functools.cache
def _piper():
    from engine import models
    from engine.tts.piper import PiperTTS

    return PiperTTS(models.model_path("piper-en_US-joe-medium") / "en_US-joe-medium.onnx")


@functools.cache
def speak(text: str, language: str, voice: str = "espeak") -> np.ndarray:
    """``text`` spoken by ``voice`` (``espeak``, or ``piper``: English only, the avatar's
    voice, whose prosody is closer to a person's) → float32 16 kHz, outer silence trimmed."""
    tts = _piper() if voice == "piper" else _espeak()
    chunk = tts.synthesize_sentence(text, language)
    pcm = np.frombuffer(chunk.pcm, dtype=np.int16).astype(np.float32) / 32768.0
    audio = resample_poly(pcm, RATE_HZ, chunk.sample_rate).astype(np.float32)
    loud = np.flatnonzero(np.abs(audio) > 0.01)
    return audio[loud[0] : loud[-1] + 1] if loud.size else audio


def _split_points(
    audio: np.ndarray, phrases: tuple[str, ...], language: str, voice: str
) -> list[int]:
    """Where to open the pauses in the whole sentence (spoken whole, a phrase keeps its
    mid-sentence intonation; spoken alone it would end like a sentence): each boundary's
    share of the phrases' durations spoken alone, moved to the quietest 20 ms within ±120 ms."""
    frame = RATE_HZ // 50
    energy = np.sqrt(np.convolve(audio**2, np.ones(frame) / frame, mode="same"))
    alone = [speak(p, language, voice).size for p in phrases]
    points, done = [], 0
    for size in alone[:-1]:
        done += size
        guess = int(audio.size * done / sum(alone))
        lo, hi = max(0, guess - 120 * 16), min(audio.size - 1, guess + 120 * 16)
        points.append(lo + int(np.argmin(energy[lo:hi])))
    return points


def turn(
    phrases: tuple[str, ...], language: str, pause_ms: int = 0, voice: str = "espeak"
) -> SyntheticTurn:
    """The sentence ``phrases`` make, spoken whole, with ``pause_ms`` of digital silence
    opened between the phrases."""
    joiner = "" if language == "zh" else " "
    whole = speak(joiner.join(phrases), language, voice)
    cuts = [0, *_split_points(whole, phrases, language, voice), whole.size]
    gap = np.zeros(int(pause_ms * RATE_HZ / 1000), np.float32)
    pieces = [np.zeros(int(LEAD_S * RATE_HZ), np.float32)]
    starts = []
    for i in range(len(phrases)):
        if i:
            pieces.append(gap)
        starts.append(sum(p.size for p in pieces))
        pieces.append(whole[cuts[i] : cuts[i + 1]])
    end = sum(p.size for p in pieces)
    pieces.append(np.zeros(int(TRAIL_S * RATE_HZ), np.float32))
    sep = f" …{pause_ms} ms… " if len(phrases) > 1 else ""
    return SyntheticTurn(
        sep.join(phrases), language, np.concatenate(pieces), tuple(starts), end, pause_ms
    )


def all_turns(language: str, voice: str = "espeak") -> list[SyntheticTurn]:
    """The complete questions, then every phrased question at every pause of ``PAUSES_MS``."""
    out = [turn((text,), language, voice=voice) for text in COMPLETE[language]]
    out += [turn(p, language, ms, voice) for p in PHRASED[language] for ms in PAUSES_MS]
    return out
