"""The echo guard on real recordings: the avatar's own voice coming back is recognised as echo,
a visitor talking (alone or over the avatar) is not. Sans-IO: times are passed in."""

from __future__ import annotations

import numpy as np
import pytest

from engine.audio.decode import load_audio
from engine.server.echo import BANDS, FLOOR_DB, EchoGuard, EchoVerdict, hop_energies_db

pytestmark = pytest.mark.needs_data

AVATAR = "audio/en/en_ljspeech_LJ001-0005_movable_letters.wav"  # stands in for the reply voice
VISITOR = "audio/en/en_jfk_ask_not_what_your_country.flac"


def _upsample(x16: np.ndarray) -> np.ndarray:
    return np.repeat(x16, 3)  # 16 → 48 kHz (zero-order hold keeps the envelope)


def _echo(
    heard: np.ndarray, sent16: np.ndarray, guard: EchoGuard, every_ms: int = 60
) -> np.ndarray:
    """Stream 20 ms frames both ways like a session does; bool (windows,): the guard's echo
    verdict (threshold 0.7) every ``every_ms`` after 1 s."""
    sent48 = _upsample(sent16)
    out = []
    t0 = 100.0
    for i in range(heard.size // 320):
        t = t0 + i * 0.02
        guard.note_outbound(t, sent48[i * 960 : (i + 1) * 960], 48000)
        guard.note_inbound(t, heard[i * 320 : (i + 1) * 320], 16000)
        if i >= 50 and i % (every_ms // 20) == 0:
            out.append(guard.judge(t + 0.02, onset=False).echo)
    return np.array(out)


@pytest.fixture(scope="module")
def clips(shared_data) -> tuple[np.ndarray, np.ndarray]:
    avatar = load_audio(shared_data / AVATAR)
    visitor = load_audio(shared_data / VISITOR)
    n = min(avatar.size, visitor.size)
    return avatar[:n], visitor[:n]


def _delayed(x: np.ndarray, seconds: float, gain: float) -> np.ndarray:
    d = int(seconds * 16000)
    out = np.zeros_like(x)
    out[d:] = gain * x[: x.size - d]
    return out


def test_own_voice_coming_back_is_echo(clips) -> None:
    avatar, _ = clips
    noise = np.random.default_rng(1).normal(0, 0.003, avatar.size).astype(np.float32)
    for delay, gain in ((0.08, 1.0), (0.35, 0.3)):
        heard = _delayed(avatar, delay, gain) + noise
        echo = _echo(heard, avatar, EchoGuard())
        assert np.mean(echo) > 0.95, (delay, gain, np.mean(echo))


def test_visitor_speech_is_not_echo(clips) -> None:
    avatar, visitor = clips
    # Every 120 ms, not 60: half the CPU, and the shares stay far from their bounds (every 60
    # ms: 0.017 alone, 0.10 mixed; every 120 ms: 0.017 and 0.12).
    alone = _echo(visitor, avatar, EchoGuard(), every_ms=120)
    assert np.mean(alone) < 0.1
    # Talking over the avatar with its echo in the room at equal level: mostly not echo, so a
    # 200 ms onset (≤ 1/3 echo windows allowed) confirms.
    mixed = _echo(visitor + _delayed(avatar, 0.1, 0.5), avatar, EchoGuard(), every_ms=120)
    assert np.mean(mixed) < 0.25
    echo = _echo(_delayed(avatar, 0.1, 0.5), avatar, EchoGuard(), every_ms=120)
    assert np.mean(mixed) < np.mean(echo)


def test_no_echo_possible_while_the_avatar_is_silent(clips) -> None:
    _, visitor = clips
    assert not np.any(_echo(visitor, np.zeros_like(visitor), EchoGuard()))


class _RecordsSilence(EchoGuard):
    """The guard as it was: every outbound frame analysed and recorded, silence included."""

    def note_outbound(self, t_s: float, samples: np.ndarray, sample_rate: int) -> None:
        self._note(self._out, t_s, hop_energies_db(samples, sample_rate))


def test_digital_silence_sent_reads_as_no_record(clips) -> None:
    """The guard skips all-zero outbound frames: exact only while their hops read the level
    of a hop with no record; a reply after 0.75 s of silence scores the same either way."""
    avatar, _ = clips
    assert np.array_equal(
        hop_energies_db(np.zeros(480, np.int16), 48000), np.full((1, BANDS), FLOOR_DB)
    )
    sent = np.concatenate([np.zeros(12000, np.float32), avatar[:20000]])
    heard = _delayed(sent, 0.1, 0.5)
    skipped = _echo(heard, sent, EchoGuard())
    recorded = _RecordsSilence()
    assert np.array_equal(skipped, _echo(heard, sent, recorded))
    assert np.mean(skipped[-8:]) > 0.9  # and the echo is still found


def _onset_verdicts(heard: np.ndarray, sent16: np.ndarray, onset_s: float, until_s: float):
    """bool (2, windows): :meth:`EchoGuard.judge`'s echo and onset-echo verdicts of the
    windows ending 100 ms to ``until_s`` after ``onset_s`` (the heard sound's start), streamed
    like :func:`_echo`."""
    guard = EchoGuard()
    sent48 = _upsample(sent16)
    t0 = 100.0
    out = []
    for i in range(heard.size // 320):
        t = t0 + i * 0.02
        guard.note_outbound(t, sent48[i * 960 : (i + 1) * 960], 48000)
        guard.note_inbound(t, heard[i * 320 : (i + 1) * 320], 16000)
        if onset_s + 0.1 <= (i + 1) * 0.02 <= onset_s + until_s:
            verdict = guard.judge(t + 0.02, onset=True)
            out.append((verdict.echo, verdict.onset_echo))
            last_s = t + 0.02
    # Not asked about an onset: the same echo verdict, no onset verdict.
    assert guard.judge(last_s, onset=False) == EchoVerdict(verdict.echo, False)
    return np.array(out).T


def _after_silence(x: np.ndarray, seconds: float, n: int) -> np.ndarray:
    out = np.zeros(n, np.float32)
    d = int(seconds * 16000)
    out[d:] = x[: n - d]
    return out


def _first_sound_s(x: np.ndarray) -> float:
    return float(np.argmax(np.abs(x) > 0.02)) / 16000


@pytest.mark.parametrize("after_s", [0.5, 1.2])
def test_a_visitor_starting_over_a_reply_is_no_echo_for_the_hold(clips, after_s) -> None:
    # The reply starts after silence; the visitor starts talking ``after_s`` later. The
    # silence→speech steps of both correlate at that lag, so the full-window verdict takes the
    # visitor's first words for the reply's echo (the hold came ~0.5 s late); the onset verdict
    # does not, from 100 ms in.
    avatar, visitor = clips
    n = int((after_s + 1.5) * 16000)
    sent = _after_silence(avatar, 1.0, n)
    heard = _after_silence(visitor, 1.0 + after_s, n)
    onset = 1.0 + after_s + _first_sound_s(visitor)
    full, first_words = _onset_verdicts(heard, sent, onset, 0.25)
    assert np.all(full), full  # the trap
    assert not np.any(first_words), first_words


def test_own_voice_from_its_first_words_is_echo_for_the_hold(clips) -> None:
    # The reply's start comes back through the room (no AEC): the onset verdict takes it for
    # echo too, so the reply is not held by its own voice (a hold needs two windows in a row
    # judged not echo).
    avatar, _ = clips
    n = int(2.5 * 16000)
    sent = _after_silence(avatar, 1.0, n)
    noise = np.random.default_rng(2).normal(0, 0.003, n).astype(np.float32)
    for delay, gain in ((0.08, 1.0), (0.35, 0.3)):
        heard = _delayed(sent, delay, gain) + noise
        onset = 1.0 + delay + _first_sound_s(avatar)
        _, first_words = _onset_verdicts(heard, sent, onset, 0.4)
        below = ~first_words
        assert not np.any(below[1:] & below[:-1]), (delay, gain, first_words)
