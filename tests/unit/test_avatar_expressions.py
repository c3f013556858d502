"""Expression tables and behaviours: viseme → ARKit shapes, emotions, blinks, idle, gestures."""

from __future__ import annotations

import itertools

import pytest

from avatar.expressions import (
    EMOTIONS,
    GESTURES,
    LISTENING,
    VISEME_TO_ARKIT,
    BlinkSchedule,
    gesture_motion,
    idle_motion,
)
from avatar.names import ARKIT_BLENDSHAPES
from avatar.visemes import OCULUS_VISEMES


def test_every_oculus_viseme_maps_to_valid_arkit_shapes() -> None:
    assert set(VISEME_TO_ARKIT) == set(OCULUS_VISEMES)
    for shape in VISEME_TO_ARKIT.values():
        assert set(shape) <= set(ARKIT_BLENDSHAPES)
        assert all(0.0 < w <= 1.0 for w in shape.values())
    assert VISEME_TO_ARKIT["sil"] == {}


def test_viseme_shapes_follow_articulation() -> None:
    jaw = {v: VISEME_TO_ARKIT[v].get("jawOpen", 0.0) for v in OCULUS_VISEMES}
    assert max(jaw, key=jaw.get) == "aa"  # the open vowel opens most
    assert jaw["PP"] < 0.1 and jaw["FF"] < 0.1  # lips/teeth closed consonants
    assert VISEME_TO_ARKIT["PP"]["mouthPressLeft"] >= 0.4
    assert VISEME_TO_ARKIT["FF"]["mouthRollLower"] >= 0.4
    pucker = {v: VISEME_TO_ARKIT[v].get("mouthPucker", 0.0) for v in OCULUS_VISEMES}
    assert max(pucker, key=pucker.get) == "U"
    assert VISEME_TO_ARKIT["I"]["mouthStretchLeft"] > VISEME_TO_ARKIT["O"].get(
        "mouthStretchLeft", 0.0
    )
    for v in OCULUS_VISEMES:  # symmetric
        shape = VISEME_TO_ARKIT[v]
        for name, w in shape.items():
            if name.endswith("Left"):
                assert shape[name[:-4] + "Right"] == w


def test_emotions_are_the_reply_vocabulary_and_distinct() -> None:
    assert set(EMOTIONS) == {"neutral", "happy", "concerned", "apologetic"}
    assert EMOTIONS["happy"].weights["mouthSmileLeft"] > 0.4
    assert EMOTIONS["concerned"].weights["browInnerUp"] > 0.4
    assert EMOTIONS["apologetic"].pitch > 0  # head lowered
    assert "jawOpen" not in EMOTIONS["happy"].weights  # moods never open the mouth
    assert LISTENING.roll != 0.0


def test_blink_schedule_statistics_and_shape() -> None:
    blinks = BlinkSchedule(seed=42)
    starts = blinks.starts_until(600.0)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert all(2.0 <= g <= 6.0 for g in gaps)
    assert 3.6 < sum(gaps) / len(gaps) < 4.4  # uniform 2-6 s → mean 4 s
    t0 = starts[3]
    assert blinks.amount(t0 - 0.01) == 0.0
    assert blinks.amount(t0 + 0.06) == 1.0  # closed after ~50 ms
    assert blinks.amount(t0 + 0.16) == 0.0  # open again by ~150 ms
    assert 0.0 < blinks.amount(t0 + 0.025) < 1.0
    assert BlinkSchedule(seed=42).starts_until(600.0) == starts


def test_idle_motion_is_small_and_slow() -> None:
    samples = [idle_motion(k / 25) for k in range(25 * 30)]
    assert max(abs(c) for s in samples for c in s) < 0.03
    deltas = [abs(a[0] - b[0]) for a, b in itertools.pairwise(samples)]
    assert max(deltas) < 0.002  # per 40 ms frame: no jitter
    assert idle_motion(3.0, amount=0.0) == (0.0, 0.0, 0.0)


@pytest.mark.parametrize("name", sorted(GESTURES))
def test_gestures_start_and_end_at_rest(name: str) -> None:
    duration = GESTURES[name]
    assert gesture_motion(name, 0.0)[:3] == pytest.approx((0.0, 0.0, 0.0), abs=1e-9)
    assert gesture_motion(name, duration) == (0.0, 0.0, 0.0, 0.0)
    peak = max(max(abs(c) for c in gesture_motion(name, duration * k / 50)[:3]) for k in range(50))
    assert 0.05 < peak < 0.4


def test_unknown_gesture_raises() -> None:
    with pytest.raises(KeyError):
        gesture_motion("wave_arms", 0.1)
