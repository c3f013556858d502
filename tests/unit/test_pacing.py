"""Holding a reply's first piece until the rest can keep up (engine/tts/pacing.py), with the
piece plan and timings of a real Kokoro reply measured in the server."""

from __future__ import annotations

from dataclasses import replace

import pytest

from engine.tts.kokoro_openings import FIRST_CLAUSE_SPLIT, HOLDS, ZH_HOLD_PACE
from engine.tts.pacing import Pace, opening_hold_s
from engine.tts.sentences import split_sentences, spoken_weight

#: The fallback reply every pack speaks when it cannot help (the reply with the stall).
FALLBACK = "抱歉，这个问题我暂时无法办理。需要我为您呼叫工作人员吗？"


def _weights(text: str) -> list[int]:
    return [spoken_weight(p) for p in split_sentences(text, FIRST_CLAUSE_SPLIT)]


#: Its pieces' phoneme tokens (KokoroTTS.token_count with the pinned vocabulary: pau↘ʨʰjɛ↘n, is
#: 11; tests/integration/test_tts_kokoro.py checks them on the real voice).
FALLBACK_TOKENS = [11, 41, 51]


def test_the_opening_clause_is_held_by_what_the_next_piece_lacks() -> None:
    """抱歉， (w 7) made in 0.45 s plays 0.66 s; the next piece (w 34) is then predicted to take
    0.45 * 47/20 * 1.35 = 1.4276 s: held 1.4276 - 0.66 - 0.05 s of slack = 0.7176 s, so it
    plays as it is ready (with the slack), and no piece comes late."""
    weights = _weights(FALLBACK)
    assert weights == [7, 34, 37]
    hold = opening_hold_s(weights, 0.45, 0.66, ZH_HOLD_PACE)
    assert hold == pytest.approx(0.717625, abs=1e-9)
    # the pieces' predicted ready times against when each would start playing
    per_cost = 0.45 / ZH_HOLD_PACE.cost(7)
    ready, start = 0.0, hold + 0.66
    for k, weight in enumerate(weights[1:]):
        ready += per_cost * ZH_HOLD_PACE.cost(weight) * (1.35 if k == 0 else 1.0)
        assert ready <= start + 0.05 + 1e-9
        start += ZH_HOLD_PACE.heard(weight) * ZH_HOLD_PACE.weight_s


def test_the_cost_may_be_sized_apart_from_the_length_heard() -> None:
    """Sized by phoneme tokens with a token overhead of 20 (benchmarks/kokoro_pace.py's
    comparison) the second piece is predicted (41 + 20) / (11 + 20) = 1.97x the first, and a
    piece of many tokens but little weight (an acronym's letter names) costs what its tokens
    say; the heard lengths still come from the weights."""
    weights = _weights(FALLBACK)
    pace = replace(ZH_HOLD_PACE, overhead=20.0)
    hold = opening_hold_s(weights, 0.45, 0.66, pace, costs=FALLBACK_TOKENS)
    assert hold == pytest.approx(0.45 * 61 / 31 * 1.35 - 0.71, abs=1e-9)
    letters = opening_hold_s([7, 6], 0.45, 0.66, pace, costs=[11, 48])
    assert letters == pytest.approx(0.45 * 68 / 31 * 1.35 - 0.71, abs=1e-9)
    with pytest.raises(ValueError, match="2 costs for 3 pieces"):
        opening_hold_s(weights, 0.45, 0.66, pace, costs=[11, 41])


def test_no_hold_when_the_machine_keeps_up_or_there_is_nothing_to_wait_for() -> None:
    weights = _weights(FALLBACK)
    # made 2x faster (0.22 s): the next piece is predicted in 0.70 s < 0.66 s heard + 0.05 s
    assert opening_hold_s(weights, 0.22, 0.66, ZH_HOLD_PACE) == 0.0
    assert opening_hold_s([7], 0.45, 0.66, ZH_HOLD_PACE) == 0.0
    # a second piece already half made needs that much less
    started = opening_hold_s(weights, 0.45, 0.66, ZH_HOLD_PACE, next_started_s=0.2)
    assert started == pytest.approx(0.517625, abs=1e-9)


def test_a_later_piece_can_set_the_hold() -> None:
    """A short second piece is ready in time, but a long third one is not: the hold covers it."""
    pace = Pace(ratio=0.6, overhead=20.0, heard_extra=3.0, weight_s=0.055)
    # w 7 then w 6 (0.43 s to make, heard 0.50 s) then w 120 (2.3 s to make)
    hold = opening_hold_s([7, 6, 120], 0.45, 0.66, pace)
    ready_third = 0.45 / 27 * (26 + 140)
    assert hold == pytest.approx(ready_third - 0.66 - 9 * 0.055 - 0.05, abs=1e-9)


def test_only_the_default_opening_holds() -> None:
    assert HOLDS["first_clause"] is ZH_HOLD_PACE
    assert HOLDS["eager"] is None and HOLDS["paced"] is None
    with pytest.raises(ValueError, match="invalid pace"):
        Pace(ratio=0.6, overhead=20.0, start_slowdown=0.0)


def test_a_join_past_the_opening_may_come_later() -> None:
    """A first piece heard 1.9 s: the join's silence begins after the client's first 1.5 s
    (the limiter keeps up to 260 ms of it, a stall counts from 350 ms), so the second piece
    may come 80 ms late, not 50 ms; heard 1.5 s it may not."""
    pace = Pace(ratio=0.6, overhead=10.0, heard_extra=2.0, weight_s=0.06)
    # w 25 made in 1.0 s: w 75 then takes 85 / 35 = 2.4286 s
    assert opening_hold_s([25, 75], 1.0, 1.9, pace) == pytest.approx(85 / 35 - 1.9 - 0.08)
    assert opening_hold_s([25, 75], 1.0, 1.5, pace) == pytest.approx(85 / 35 - 1.5 - 0.05)


def test_the_hold_pace_hears_the_default_speaker() -> None:
    """zm_yunxi's pieces of the packs' replies as a session's pause limiter leaves them
    (measured by benchmarks/kokoro_pace.py): 已为您取消。 (w 16) 0.97 s, 我们继续刚才的业务。
    (w 28) 1.60 s, 验证码不正确，请核对短信后再试一次。 (w 50) 3.22 s; the refit pace is within
    0.25 s of each (the pace before it, 55 ms a weight, said 2.92 s for the last)."""
    for weight, heard in ((16, 0.97), (28, 1.60), (50, 3.22)):
        assert ZH_HOLD_PACE.heard(weight) * ZH_HOLD_PACE.weight_s == pytest.approx(heard, abs=0.25)
