"""Smart Turn v3.2, really run: a finished sentence followed by 200 ms of silence scores
complete, the same recording cut mid-phrase scores incomplete; and the policy around the
endpointer ends a finished turn at the check on real audio.

Real speech (JFK in English, a PaddleSpeech demo sentence in Mandarin) and one synthetic
in-domain question spoken by Piper. espeak-ng is not used here: its flat intonation makes the
model call most finished questions unfinished and most cut ones finished
(``benchmarks/endpointing.py`` measures it), so it cannot test this model.
"""

from __future__ import annotations

import numpy as np
import pytest

from engine.audio.decode import load_audio
from engine.audio.turn_model import SmartTurn, load_turn_model
from engine.audio.turn_policy import TurnCheckDue, TurnPolicySettings, semantic_endpointer
from engine.audio.vad import WINDOW_SAMPLES, SileroVAD
from engine.server.endpointing import EndpointSettings, TurnEnded
from tests.conftest import model_folder

RATE = 16_000


def silence(ms: int) -> np.ndarray:
    return np.zeros(ms * RATE // 1000, np.float32)


@pytest.fixture(scope="module")
def model() -> SmartTurn:
    model_folder("smart-turn-v3.2")
    loaded = load_turn_model("smart-turn-v3.2", threads=1)
    assert loaded is not None
    return loaded


@pytest.mark.parametrize(
    "clip",
    [
        "audio/en/en_jfk_ask_not_what_your_country.flac",
        "audio/zh/zh_paddlespeech_running_health.wav",
    ],
)
def test_finished_sentence_scores_complete_and_cut_one_incomplete(model, shared_data, clip):
    audio = load_audio(shared_data / clip)
    whole = model.check(np.concatenate([audio, silence(200)]))
    assert whole.probability > 0.5
    for share in (0.4, 0.7):  # cut inside a phrase, then the same 200 ms pause
        cut = audio[: int(audio.size * share)]
        assert model.check(np.concatenate([cut, silence(200)])).probability < 0.5, share
    assert whole.compute_ms > 0 and whole.cpu_ms > 0


def test_synthetic_question_in_piper_voice(model) -> None:
    from benchmarks.synthetic_turns import speak

    model_folder("piper-en_US-joe-medium")
    spoken = speak("I would like to check my account balance.", "en", "piper")
    assert model.check(np.concatenate([silence(500), spoken, silence(200)])).probability > 0.5
    # Cut inside "…my account…" at five points: Piper's noise makes each synthesis a little
    # different (27542-29965 samples over eight runs), so one fixed share lands on a different
    # sound each time: the single cut at 0.55 scored 0.02-0.52 and failed the suite once
    # (session 19, 0.520). Over five runs the median of these five cuts was 0.06-0.38; cuts at 0.45
    # ("…to check") and 0.6 ("…my account") end phrases that can be whole, and scored up to 0.94.
    cuts = [
        model.check(
            np.concatenate([silence(500), spoken[: int(spoken.size * share)], silence(200)])
        ).probability
        for share in (0.49, 0.51, 0.53, 0.55, 0.57)
    ]
    assert float(np.median(cuts)) < 0.5, cuts


def test_policy_ends_a_finished_turn_at_the_check(model, shared_data) -> None:
    """Streamed through Silero and the endpointer: with the policy's shortest pause at 200 ms
    and the model alone deciding (live: 420 ms and the transcript must agree), the check comes at a 200 ms pause and
    its *complete* ends the turn there, 300 ms before the silence timeout would."""
    audio = np.concatenate(
        [
            load_audio(
                shared_data / "audio/zh/zh_aishell1_BAC009S0724W0121_guangzhou_realestate.wav"
            ),
            silence(1500),
        ]
    )
    ep = semantic_endpointer(
        EndpointSettings(endpoint_silence_ms=500),
        TurnPolicySettings(min_pause_ms=200.0, text_rule=False),
    )
    ended: list[tuple[int, TurnEnded]] = []
    checks: list[float] = []
    for i, prob in enumerate(SileroVAD().process(audio)):
        for d in ep.feed(float(prob), i * WINDOW_SAMPLES):
            if isinstance(d, TurnCheckDue):
                checks.append(model.check(audio[d.start_sample : d.end_sample]).probability)
                ended += [
                    (d.end_sample, e) for e in ep.verdict(d.check_id, checks[-1], d.end_sample)
                ]
            elif isinstance(d, TurnEnded):
                ended.append(((i + 1) * WINDOW_SAMPLES, d))
    assert len(ended) == 1 and checks[-1] > 0.5
    at, turn = ended[0]
    pause_ms = (at - turn.speech_end_sample) * 1000 / RATE
    assert 200 <= pause_ms < 300
