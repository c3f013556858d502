"""The semantic end-of-turn policy and the endpointer around it, on exact probability sequences
(sans-IO: positions are 16 kHz samples, the model's verdicts are passed in)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from engine.audio.turn_policy import (
    SemanticEndpointer,
    TurnCheckDue,
    TurnPolicySettings,
    decide,
    policy_settings,
    semantic_endpointer,
    text_complete,
)
from engine.audio.vad import WINDOW_SAMPLES
from engine.config import VADConfig
from engine.server.endpointing import (
    Endpointer,
    EndpointSettings,
    Onset,
    SpeculateFinal,
    SpeechResumed,
    TurnEnded,
    ms_to_samples,
)

W = WINDOW_SAMPLES  # 32 ms
#: The model alone decides (the text rule is tested on its own below).
POLICY = TurnPolicySettings(
    check_after_ms=200,
    min_pause_ms=0,
    fallback_silence_ms=500,
    incomplete_silence_ms=800,
    text_rule=False,
)
TEXT_POLICY = replace(POLICY, text_rule=True)
SPEECH = [0.0] * 5 + [0.9] * 20  # speech ends at window 25 (sample 25 * W)


def feed_all(
    ep: SemanticEndpointer, probs: list[float], verdicts: dict[int, float] | None = None
) -> list[tuple[int, object]]:
    """Feed ``probs``; answer each TurnCheckDue at once with ``verdicts[check number]``."""
    out: list[tuple[int, object]] = []
    asked = 0
    for i, p in enumerate(probs):
        for d in ep.feed(p, i * W):
            out.append((i, d))
            if isinstance(d, TurnCheckDue) and verdicts is not None and asked in verdicts:
                out += [(i, e) for e in ep.verdict(d.check_id, verdicts[asked], (i + 1) * W)]
                asked += 1
    return out


def kinds(decisions: list[tuple[int, object]]) -> list[str]:
    return [type(d).__name__ for _, d in decisions]


def test_decide_covers_the_three_waits() -> None:
    assert decide(POLICY, 199, 0.9) == "wait"
    assert decide(POLICY, 200, 0.9) == "end"  # complete: ends at the check
    assert decide(POLICY, 799, 0.2) == "wait"  # incomplete: waits longer than the fallback
    assert decide(POLICY, 800, 0.2) == "end"
    assert decide(POLICY, 499, None) == "wait"  # no verdict: the plain silence timeout
    assert decide(POLICY, 500, None) == "end"
    assert decide(POLICY, 300, 0.5) == "end"  # the threshold itself counts as complete


def test_complete_turn_ends_at_the_check_over_the_speculative_span() -> None:
    ep = semantic_endpointer(EndpointSettings(endpoint_silence_ms=500), POLICY)
    assert ep.inner.settings.endpoint_silence_ms == 800  # raised to the longest wait
    out = feed_all(ep, SPEECH + [0.0] * 40, verdicts={0: 0.93})
    assert kinds(out) == ["Onset", "SpeculateFinal", "TurnCheckDue", "TurnEnded"]
    spec, (i_check, check), (i_end, end) = out[1][1], out[2], out[3]
    assert isinstance(spec, SpeculateFinal) and isinstance(end, TurnEnded)
    # The check waits for 200 ms of silence: 7 windows (224 ms) after speech ended at 25.
    assert i_check == 25 + 6 and i_end == i_check
    assert check.end_sample == (i_check + 1) * W and check.start_sample == spec.start_sample
    assert (end.start_sample, end.end_sample) == (spec.start_sample, spec.end_sample)
    assert end.speech_end_sample == 25 * W
    assert not ep.in_speech


def test_incomplete_turn_waits_for_its_own_timeout() -> None:
    ep = semantic_endpointer(EndpointSettings(endpoint_silence_ms=500), POLICY)
    out = feed_all(ep, SPEECH + [0.0] * 40, verdicts={0: 0.1})
    assert kinds(out) == ["Onset", "SpeculateFinal", "TurnCheckDue", "TurnEnded"]
    i_end = out[-1][0]
    assert (i_end + 1 - 25) * W >= ms_to_samples(800) > (i_end - 25) * W


def test_no_verdict_falls_back_to_the_silence_timeout() -> None:
    for model_on in (True, False):
        ep = semantic_endpointer(EndpointSettings(), POLICY, model_on=model_on)
        out = feed_all(ep, SPEECH + [0.0] * 40)  # checks never answered (or never asked)
        assert kinds(out)[-1] == "TurnEnded"
        assert ("TurnCheckDue" in kinds(out)) is model_on
        i_end = out[-1][0]
        assert (i_end + 1 - 25) * W >= ms_to_samples(500) > (i_end - 25) * W


def test_a_verdict_after_speech_resumed_is_dropped() -> None:
    ep = semantic_endpointer(EndpointSettings(), POLICY)
    out = feed_all(ep, SPEECH + [0.0] * 8)
    check = next(d for _, d in out if isinstance(d, TurnCheckDue))
    resumed = ep.feed(0.9, 33 * W)
    assert [type(d) for d in resumed] == [SpeechResumed]
    assert ep.verdict(check.check_id, 0.99, 34 * W) == []  # stale: the visitor spoke again
    assert ep.in_speech
    # The next pause gets its own check.
    later = feed_all_from(ep, 34, [0.9] * 5 + [0.0] * 10)
    assert "TurnCheckDue" in kinds(later)


def feed_all_from(ep: SemanticEndpointer, first: int, probs: list[float]):
    return [(first + i, d) for i, p in enumerate(probs) for d in ep.feed(p, (first + i) * W)]


def test_a_verdict_after_the_turn_ended_is_dropped_and_the_next_turn_starts_clean() -> None:
    ep = semantic_endpointer(EndpointSettings(), POLICY)
    out = feed_all(ep, SPEECH + [0.0] * 30)
    check = next(d for _, d in out if isinstance(d, TurnCheckDue))
    assert kinds(out)[-1] == "TurnEnded"
    assert ep.verdict(check.check_id, 0.99, 60 * W) == []
    nxt = feed_all_from(ep, 60, [0.9] * 10)
    assert kinds(nxt) == ["Onset"] and isinstance(nxt[0][1], Onset)


def test_check_reads_at_most_the_last_8_seconds() -> None:
    ep = semantic_endpointer(EndpointSettings(max_turn_ms=60_000), POLICY)
    out = feed_all(ep, [0.9] * 400 + [0.0] * 10)  # 12.8 s of speech
    check = next(d for _, d in out if isinstance(d, TurnCheckDue))
    assert check.end_sample - check.start_sample == 8 * 16_000


def test_inner_timeout_shorter_than_the_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="shorter than the policy"):
        SemanticEndpointer(Endpointer(EndpointSettings(endpoint_silence_ms=500)), POLICY)


def test_policy_from_config_defaults_to_the_silence_timeout() -> None:
    policy = policy_settings(VADConfig(), endpoint_silence_ms=500)
    assert policy == TurnPolicySettings(
        check_after_ms=200,
        min_pause_ms=420,
        complete_threshold=0.5,
        fallback_silence_ms=500,
        incomplete_silence_ms=900,
        text_rule=True,
    )
    longer = policy_settings(VADConfig(turn_incomplete_silence_ms=1200), endpoint_silence_ms=450)
    assert (longer.fallback_silence_ms, longer.incomplete_silence_ms) == (450, 1200)
    plain = policy_settings(VADConfig(turn_incomplete_silence_ms=None), endpoint_silence_ms=450)
    assert plain.incomplete_silence_ms == 450


def test_a_complete_turn_never_ends_inside_a_sentence_pause() -> None:
    live = replace(TEXT_POLICY, min_pause_ms=420)
    assert decide(live, 400, 0.99, True) == "wait"  # a 0.4 s pause inside a sentence
    assert decide(live, 420, 0.99, True) == "end"
    assert decide(live, 499, 0.99, False) == "wait"


def test_text_complete_reads_how_whisper_ends_a_transcript() -> None:
    assert text_complete("When are you open?") is True
    assert text_complete("I lost my card.") is True
    assert text_complete("我的卡丢了。") is True
    assert text_complete("请问营业时间？”") is True  # a closing quote is skipped
    assert text_complete("My card number is,") is False
    assert text_complete("My card number is...") is False
    assert text_complete("我想问一下，") is False
    assert text_complete("Hello. my card number is") is False  # words after a full stop
    assert text_complete("my card number is") is None  # no punctuation: no evidence
    assert text_complete("  ") is None


def test_text_complete_reads_a_chinese_transcript_without_a_final_mark_by_its_last_word() -> None:
    assert text_complete("请问可以办卡吗") is True  # sentence-final particles
    assert text_complete("我明天再来吧") is True
    assert text_complete("我认为跑步最重要的就是") is False  # a conjunction needs more
    assert text_complete("我的卡号是") is False  # the copula
    assert text_complete("我想把") is False  # a preposition
    assert text_complete("我认为跑步最重要的就是。") is False  # a full stop after a clause
    assert text_complete("我的卡号是。") is False
    assert text_complete("就是") is None  # the word alone is an answer
    assert text_complete("欢迎大家来体验达摩院推出的语音识别模型") is None
    # Marks earlier in a Chinese transcript say nothing about its end (Whisper leaves the
    # last 。 out of finished sentences too).
    assert text_complete("你好，我想开一个账户") is None
    assert text_complete("你好，我想问一下，") is False


def test_with_the_text_rule_both_witnesses_must_agree() -> None:
    p = TEXT_POLICY
    assert decide(p, 200, 0.9, True) == "end"  # both complete: ends at the check
    assert decide(p, 400, 0.9, None) == "wait"  # the transcript not known yet
    # The transcript stops mid-sentence: the longer wait, whatever the model says.
    assert decide(p, 799, 0.9, False) == "wait"
    assert decide(p, 800, 0.9, False) == "end"
    assert decide(p, 500, 0.9, None) == "end"  # no punctuation: the plain timeout
    assert decide(p, 499, 0.1, True) == "wait" and decide(p, 500, 0.1, True) == "end"
    assert decide(p, 799, 0.1, False) == "wait"  # both incomplete: the longer wait
    assert decide(p, 800, 0.1, False) == "end"
    assert decide(p, 499, None, True) == "wait"  # no verdict: the timeout


def test_a_finished_sentence_ends_when_its_transcript_comes_back() -> None:
    ep = semantic_endpointer(EndpointSettings(endpoint_silence_ms=500), TEXT_POLICY)
    out = feed_all(ep, SPEECH + [0.0] * 8, verdicts={0: 0.93})
    assert kinds(out) == ["Onset", "SpeculateFinal", "TurnCheckDue"]  # waits for the text
    spec = out[1][1]
    span = (spec.start_sample, spec.end_sample)
    assert ep.transcribed((0, 1), "Stale.", 33 * W) == []  # another pause's decode
    (end,) = ep.transcribed(span, "When are you open?", 33 * W)
    assert isinstance(end, TurnEnded) and (end.start_sample, end.end_sample) == span
    assert not ep.in_speech
    assert ep.transcribed(span, "When are you open?", 34 * W) == []  # the turn has ended


def test_a_clause_pause_waits_the_longer_wait_even_when_the_model_says_complete() -> None:
    ep = semantic_endpointer(EndpointSettings(endpoint_silence_ms=500), TEXT_POLICY)
    out = feed_all(ep, SPEECH + [0.0] * 8, verdicts={0: 0.93})
    spec = out[1][1]
    assert ep.transcribed((spec.start_sample, spec.end_sample), "My card number is,", 33 * W) == []
    later = feed_all_from(ep, 33, [0.0] * 30)
    i_end = later[-1][0]
    assert kinds(later) == ["TurnEnded"]
    assert (i_end + 1 - 25) * W >= ms_to_samples(800) > (i_end - 25) * W


def test_a_decode_still_running_holds_the_timeout_up_to_the_longest_wait() -> None:
    p = TEXT_POLICY
    assert decide(p, 500, 0.9, None, text_pending=True) == "wait"
    assert decide(p, 500, None, None, text_pending=True) == "wait"
    assert decide(p, 800, 0.9, None, text_pending=True) == "end"
    assert decide(POLICY, 500, 0.9, None, text_pending=True) == "end"  # no text rule: no hold
    ep = semantic_endpointer(EndpointSettings(endpoint_silence_ms=500), TEXT_POLICY)
    out = feed_all(ep, SPEECH + [0.0] * 30, verdicts={0: 0.93})  # the text never comes
    i_end = out[-1][0]
    assert kinds(out)[-1] == "TurnEnded"
    assert (i_end + 1 - 25) * W >= ms_to_samples(800) > (i_end - 25) * W


def test_a_slow_mandarin_decode_ends_the_turn_when_it_comes_back() -> None:
    ep = semantic_endpointer(EndpointSettings(endpoint_silence_ms=500), TEXT_POLICY)
    out = feed_all(ep, SPEECH + [0.0] * 20, verdicts={0: 0.97})  # 640 ms of pause
    assert kinds(out) == ["Onset", "SpeculateFinal", "TurnCheckDue"]  # past 500: held
    spec = out[1][1]
    span = (spec.start_sample, spec.end_sample)
    (end,) = ep.transcribed(span, "欢迎大家来体验达摩院推出的语音识别模型", 45 * W)
    assert isinstance(end, TurnEnded) and (end.start_sample, end.end_sample) == span


def test_a_pause_inside_a_mandarin_sentence_is_not_a_turn_end() -> None:
    # 0.55 s into the pause, the decode still running: the visitor goes on speaking.
    ep = semantic_endpointer(EndpointSettings(endpoint_silence_ms=500), TEXT_POLICY)
    out = feed_all(ep, SPEECH + [0.0] * 17, verdicts={0: 0.9})
    assert "TurnEnded" not in kinds(out)
    spec = out[1][1]
    span = (spec.start_sample, spec.end_sample)
    assert ep.transcribed(span, "我认为跑步最重要的就是", 42 * W) == []  # mid-sentence
    later = feed_all_from(ep, 42, [0.0] * 6 + [0.9] * 10)  # resumes after a 0.73 s pause
    assert "TurnEnded" not in kinds(later) and "SpeechResumed" in kinds(later)
    assert ep.in_speech


def test_without_a_model_the_transcript_is_not_waited_for() -> None:
    ep = semantic_endpointer(EndpointSettings(endpoint_silence_ms=500), TEXT_POLICY, model_on=False)
    out = feed_all(ep, SPEECH + [0.0] * 30)
    spec = out[1][1]
    assert ep.transcribed((spec.start_sample, spec.end_sample), "My card is,", 40 * W) == []
    i_end = out[-1][0]
    assert (i_end + 1 - 25) * W >= ms_to_samples(500) > (i_end - 25) * W


def pause_until_end(text: str, probability: float) -> int:
    """Speak, pause; the model answers ``probability`` at its check and ``text`` comes back at
    a pause of 288 ms; the pause (samples) at which the turn ended."""
    ep = semantic_endpointer(EndpointSettings(endpoint_silence_ms=500), TEXT_POLICY)
    out = feed_all(ep, SPEECH + [0.0] * 9, verdicts={0: probability})
    spec = out[1][1]
    out += [(34, d) for d in ep.transcribed((spec.start_sample, spec.end_sample), text, 34 * W)]
    out += feed_all_from(ep, 34, [0.0] * 30)
    i_end = next(i for i, d in out if isinstance(d, TurnEnded))
    return (i_end + 1 - 25) * W


def test_an_unmarked_chinese_transcript_defers_to_the_model_only_to_wait() -> None:
    # Whisper often leaves the final mark out of Chinese: with the model unsure, wait longer.
    assert pause_until_end("我想问", 0.1) >= ms_to_samples(800)
    # English without punctuation, or the model saying complete: the plain timeout.
    assert ms_to_samples(500) <= pause_until_end("my card number is", 0.1) < ms_to_samples(532)
    assert ms_to_samples(500) <= pause_until_end("我想问", 0.9) < ms_to_samples(532)
