"""The streaming endpointing core, fed Silero probabilities of real recordings and exact
sequences (no I/O, no clocks: positions are 16 kHz samples)."""

from __future__ import annotations

import numpy as np
import pytest

from engine.audio.decode import load_audio
from engine.audio.vad import WINDOW_SAMPLES, SileroVAD
from engine.server.endpointing import (
    Endpointer,
    EndpointSettings,
    Onset,
    PartialDue,
    SpeculateFinal,
    SpeechResumed,
    TurnEnded,
    ms_to_samples,
)

W = WINDOW_SAMPLES  # 32 ms


def run(
    probs: list[float],
    ep: Endpointer,
    *,
    busy: bool = False,
    echo: list[bool] | None = None,
    start: int = 0,
) -> list[tuple[int, object]]:
    """Feed ``probs`` from window ``start``; the decisions with their window index."""
    out = []
    for i, p in enumerate(probs, start):
        flag = bool(echo[i - start]) if echo else False
        for d in ep.feed(p, i * W, avatar_busy=busy, echo=flag):
            out.append((i, d))
    return out


def test_onset_speculation_and_end_of_turn_in_order() -> None:
    settings = EndpointSettings(
        min_speech_ms=200, endpoint_silence_ms=500, pad_ms=150, speculative_after_ms=96
    )
    ep = Endpointer(settings)
    decisions = run([0.0] * 5 + [0.9] * 20 + [0.0] * 20, ep)
    kinds = [type(d) for _, d in decisions]
    assert kinds == [Onset, SpeculateFinal, TurnEnded]
    (i_on, onset), (i_spec, spec), (i_end, end) = decisions
    assert onset.start_sample == 5 * W and not onset.barge_in
    assert i_on == 5 + 6  # 7 windows = 224 ms ≥ 200 ms, confirmed at the 7th
    # Speculation once 96 ms (3 windows) of silence have passed — before the 150 ms pad has
    # arrived (the decode reads what has) and long before the 500 ms endpoint.
    assert i_spec == 25 + 2 and i_end == 25 + 15
    pad = ms_to_samples(150)
    assert (spec.start_sample, spec.end_sample) == (5 * W - pad, 25 * W + pad)
    # The end of turn decodes the same span, so the speculative decode is reused.
    assert (end.start_sample, end.end_sample) == (spec.start_sample, spec.end_sample)
    assert end.speech_end_sample == 25 * W


def test_speech_resuming_in_the_endpoint_wait_invalidates_the_speculation() -> None:
    ep = Endpointer(EndpointSettings(endpoint_silence_ms=500))
    decisions = run([0.9] * 10 + [0.0] * 8 + [0.9] * 10 + [0.0] * 20, ep)
    kinds = [type(d).__name__ for _, d in decisions]
    assert kinds == ["Onset", "SpeculateFinal", "SpeechResumed", "SpeculateFinal", "TurnEnded"]
    first_spec, second_spec, end = decisions[1][1], decisions[3][1], decisions[4][1]
    assert isinstance(decisions[2][1], SpeechResumed)
    assert second_spec.end_sample > first_spec.end_sample
    assert end.end_sample == second_spec.end_sample


def test_partials_come_every_interval_while_speaking() -> None:
    ep = Endpointer(EndpointSettings(partial_interval_ms=1000))
    decisions = run([0.9] * 130 + [0.0] * 20, ep)
    partials = [(i, d) for i, d in decisions if isinstance(d, PartialDue)]
    # 4.2 s of speech, onset confirmed at 0.22 s → partials at ~1.25, 2.27 and 3.3 s.
    assert len(partials) == 3
    gaps = np.diff([d.end_sample for _, d in partials])
    assert all(g >= ms_to_samples(1000) for g in gaps)
    assert all(d.start_sample == 0 for _, d in partials)


def test_a_partial_due_when_speech_resumes_after_a_pause_is_marked() -> None:
    # 0.96 s of speech, a 0.35 s pause (the speculative decode starts), 1.5 s more: the interval
    # ran on through the pause, so a partial falls due on the first window of the resumed
    # speech — it would caption nothing new; the next one is a full interval later.
    ep = Endpointer(EndpointSettings(partial_interval_ms=1000, endpoint_silence_ms=500))
    decisions = run([0.9] * 30 + [0.0] * 11 + [0.9] * 47 + [0.0] * 20, ep)
    partials = [(i, d) for i, d in decisions if isinstance(d, PartialDue)]
    assert [(i, d.after_pause) for i, d in partials] == [(41, True), (73, False)]
    resumed = [i for i, d in decisions if isinstance(d, SpeechResumed)]
    assert resumed == [41]
    # Partials of continuous speech are never marked.
    steady = run([0.9] * 130, Endpointer(EndpointSettings(partial_interval_ms=1000)))
    assert not any(d.after_pause for _, d in steady if isinstance(d, PartialDue))


def test_barge_in_needs_its_own_sustain_time() -> None:
    settings = EndpointSettings(min_speech_ms=100, bargein_min_speech_ms=300, bargein_hold_ms=0)
    quiet = run([0.9] * 5 + [0.0] * 30, Endpointer(settings), busy=True)
    assert quiet == []  # 160 ms over the avatar is not a barge-in
    decisions = run([0.9] * 12 + [0.0] * 30, Endpointer(settings), busy=True)
    onset = decisions[0][1]
    assert isinstance(onset, Onset) and onset.barge_in
    assert decisions[0][0] == 9  # 10 windows = 320 ms ≥ 300 ms
    idle = run([0.9] * 5 + [0.0] * 30, Endpointer(settings), busy=False)
    assert isinstance(idle[0][1], Onset) and not idle[0][1].barge_in


def test_echo_windows_never_confirm_an_onset() -> None:
    ep = Endpointer(EndpointSettings())
    # The avatar's own voice: speech-like for 3 s, every window judged echo.
    assert run([0.95] * 95, ep, busy=True, echo=[True] * 95) == []
    # A visitor over the avatar: a few windows still look like echo, most do not.
    echo = [i % 4 == 0 for i in range(30)]
    decisions = run([0.95] * 30, Endpointer(EndpointSettings()), busy=True, echo=echo)
    onsets = [d for _, d in decisions if isinstance(d, Onset)]
    assert onsets and onsets[0].barge_in


def test_long_turns_are_cut() -> None:
    ep = Endpointer(EndpointSettings(max_turn_ms=2000, partial_interval_ms=10_000))
    decisions = run([0.9] * 100, ep)
    ends = [d for _, d in decisions if isinstance(d, TurnEnded)]
    assert len(ends) >= 1 and ends[0].speech_end_sample - 0 >= ms_to_samples(2000)


@pytest.mark.needs_data
def test_real_clip_is_one_turn_with_its_speech_inside(shared_data, transcripts) -> None:
    clip = shared_data / "audio/en/en_ljspeech_LJ001-0004_block_books.wav"
    audio = load_audio(clip)
    silence = np.zeros(16000, np.float32)
    stream = np.concatenate([silence, audio, silence])
    probs = SileroVAD().process(stream)
    ep = Endpointer(EndpointSettings())
    decisions = run([float(p) for p in probs], ep)
    onsets = [d for _, d in decisions if isinstance(d, Onset)]
    ends = [d for _, d in decisions if isinstance(d, TurnEnded)]
    specs = [d for _, d in decisions if isinstance(d, SpeculateFinal)]
    assert len(onsets) == 1 and len(ends) == 1, decisions
    # The speech sits inside the padded clip: starts after the 1 s lead-in, ends before its end.
    assert onsets[0].start_sample >= 16000 and onsets[0].start_sample < 16000 + 8000
    duration = audio.size
    assert duration < ends[0].speech_end_sample <= 16000 + duration + 2 * W
    # The last speculative decode covers exactly the final span (it is reused).
    assert (specs[-1].start_sample, specs[-1].end_sample) == (
        ends[0].start_sample,
        ends[0].end_sample,
    )


def test_a_capped_turn_is_answered_and_the_next_onset_needs_a_pause() -> None:
    # A hall that never falls quiet: 3 s of speech with a 2 s cap ends one turn (capped) and
    # no onset follows while the speech goes on; after 500 ms of silence a new onset counts.
    ep = Endpointer(EndpointSettings(max_turn_ms=2000, partial_interval_ms=10_000))
    decisions = run([0.9] * 95, ep)
    ends = [d for _, d in decisions if isinstance(d, TurnEnded)]
    assert len(ends) == 1 and ends[0].capped
    assert [d for _, d in decisions if isinstance(d, Onset)] == [decisions[0][1]]
    # a dip shorter than the pause does not re-arm onsets
    assert run([0.0] * 10 + [0.9] * 20, ep, start=95) == []
    later = run([0.0] * 16 + [0.9] * 10, ep, start=125)
    assert [type(d) for _, d in later] == [Onset]


def test_speech_over_the_avatar_holds_the_reply_before_the_barge_in_is_confirmed() -> None:
    ep = Endpointer(EndpointSettings(bargein_min_speech_ms=200, bargein_hold_ms=64))
    decisions = run([0.0] * 3 + [0.9] * 10, ep, busy=True)
    kinds = [(i, type(d).__name__) for i, d in decisions]
    # held after two windows (64 ms), confirmed after seven (200 ms): a barge-in
    assert kinds == [(4, "OnsetPending"), (9, "Onset")]
    assert decisions[0][1].start_sample == 3 * W
    assert decisions[1][1].barge_in


def test_a_cough_over_the_avatar_holds_the_reply_then_lets_it_play_on() -> None:
    ep = Endpointer(EndpointSettings(bargein_min_speech_ms=200, bargein_hold_ms=64))
    # 96 ms of noise, one quiet window (a dip keeps the hold), 64 ms more (160 ms of sound:
    # short of the 200 ms a barge-in needs), then quiet: released after 256 ms (8 windows)
    decisions = run([0.9] * 3 + [0.1] + [0.9] * 2 + [0.0] * 10, ep, busy=True)
    assert [(i, type(d).__name__) for i, d in decisions] == [
        (1, "OnsetPending"),
        (13, "OnsetDropped"),
    ]
    assert not ep.in_speech


def test_a_visitor_pausing_between_words_stays_held_until_confirmed() -> None:
    ep = Endpointer(EndpointSettings(bargein_min_speech_ms=200, bargein_hold_ms=64))
    # 128 ms of speech, a 96 ms dip between words (the run goes on), then speech again: the
    # seventh speech window (200 ms of speech, dips not counted) confirms, never a release
    decisions = run([0.9] * 4 + [0.1] * 3 + [0.9] * 4, ep, busy=True)
    assert [(i, type(d).__name__) for i, d in decisions] == [(1, "OnsetPending"), (9, "Onset")]
    assert decisions[1][1].barge_in and decisions[1][1].start_sample <= 4 * W


def test_no_hold_while_the_avatar_is_silent_or_for_its_own_voice() -> None:
    assert [type(d) for _, d in run([0.9] * 10, Endpointer(), busy=False)] == [Onset]
    echo = run([0.9] * 10, Endpointer(), busy=True, echo=[True] * 10)
    assert echo == []


def test_the_hold_follows_its_own_echo_verdict() -> None:
    # The onset verdict (hold_echo) decides the hold, the full one (echo) the confirmation.
    ep = Endpointer(EndpointSettings(bargein_hold_ms=64.0, bargein_min_speech_ms=200.0))
    out = []
    for i in range(20):
        out += ep.feed(0.9, i * WINDOW_SAMPLES, avatar_busy=True, echo=i < 10, hold_echo=False)
    kinds = [type(d).__name__ for d in out]
    assert kinds == ["OnsetPending", "Onset"], kinds
    assert out[0].start_sample == 0
    ep.reset()
    quiet = [ep.feed(0.9, i * WINDOW_SAMPLES, avatar_busy=True, echo=False, hold_echo=True)]
    assert quiet == [[]]
