"""Expression tables and behaviours: viseme → ARKit shapes, emotions, blinks, gaze jitter,
breathing, idle, listening nods, gestures and their baked clips."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from avatar.expressions import EMOTIONS, LISTENING, VISEME_TO_ARKIT
from avatar.gestures import GESTURES, REST, bake_clip, clip_for, gesture_frame
from avatar.motion import (
    SACCADE_RAD,
    BlinkSchedule,
    GlanceSchedule,
    NodSchedule,
    SaccadeSchedule,
    breath,
    euler_quaternion,
    head_share,
    idle_body,
)
from avatar.motion import idle_head as idle_motion
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
    # a frown that shows at a third of 512² (the contact sheet; 0.25 did not, session 19)
    assert EMOTIONS["concerned"].weights["mouthFrownLeft"] >= 0.5
    assert EMOTIONS["apologetic"].pitch > 0  # head lowered
    assert "jawOpen" not in EMOTIONS["happy"].weights  # moods never open the mouth
    assert LISTENING.roll != 0.0


def test_blink_schedule_statistics_and_shape() -> None:
    blinks = BlinkSchedule(seed=42)
    starts = blinks.starts_until(600.0)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert all(2.0 <= g <= 5.0 for g in gaps)
    assert 3.2 < sum(gaps) / len(gaps) < 3.8  # uniform 2-5 s → mean 3.5 s
    t0 = starts[3]
    assert blinks.amount(t0 - 0.01) == 0.0
    assert blinks.amount(t0 + 0.07) == 1.0  # closed after ~60 ms
    assert blinks.amount(t0 + 0.21) == 0.0  # open again by ~200 ms
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
    start = gesture_frame(name, 0.0)
    assert (start.yaw, start.pitch, start.roll) == pytest.approx((0.0, 0.0, 0.0), abs=1e-9)
    assert gesture_frame(name, duration) is REST
    frames = [gesture_frame(name, duration * k / 50) for k in range(50)]
    head = max(max(abs(f.yaw), abs(f.pitch), abs(f.roll)) for f in frames)
    body = max((abs(a) for f in frames for angles in f.bones.values() for a in angles), default=0)
    assert 0.05 < max(head, body) < 0.4
    times, rotations = bake_clip(name)
    assert times[0] == 0.0 and times[-1] == pytest.approx(duration)
    assert {"neck", "head"} <= set(rotations)
    for quats in rotations.values():
        assert quats.shape == (len(times), 4)
        assert np.allclose(np.linalg.norm(quats, axis=1), 1.0, atol=1e-5)
        assert np.allclose(quats[[0, -1]], [0, 0, 0, 1], atol=1e-6)  # rest at both ends


def test_unknown_gesture_raises() -> None:
    with pytest.raises(KeyError):
        gesture_frame("wave_arms", 0.1)


def test_model_clips_are_matched_by_gesture_name() -> None:
    robot = ["Idle", "Wave", "Yes", "No", "ThumbsUp"]
    assert clip_for("nod", robot) == "Yes" and clip_for("greet", robot) == "Wave"
    assert clip_for("shake", robot) == "No" and clip_for("bow", robot) is None
    assert clip_for("nod", []) is None


def test_gaze_jitter_is_small_seeded_and_not_frozen() -> None:
    jitter = SaccadeSchedule(seed=5)
    offsets = [jitter.offset(k / 25) for k in range(25 * 20)]
    assert max(abs(y) for y, _ in offsets) <= SACCADE_RAD + 1e-12
    moves = sum(1 for a, b in itertools.pairwise(offsets) if a != b)
    assert moves > 10  # it moves …
    held = sum(1 for a, b in itertools.pairwise(offsets) if a == b)
    assert held > 0.7 * len(offsets)  # … in jumps, holding between them
    assert SaccadeSchedule(seed=5).offset(7.3) == jitter.offset(7.3)


def test_breathing_and_weight_shift_are_slow_and_small() -> None:
    phases = [breath(k / 25) for k in range(25 * 20)]
    assert min(phases) < 0.05 and max(phases) > 0.95
    cycles = sum(1 for a, b in itertools.pairwise(phases) if a < 0.5 <= b)
    assert 4 <= cycles <= 6  # ~15 breaths a minute
    bodies = [idle_body(k / 10) for k in range(300)]
    assert max(abs(a) for b in bodies for angles in b.values() for a in angles) < 0.03
    assert {"chest", "leftShoulder", "rightShoulder", "hips"} <= set(bodies[0])
    assert idle_body(3.0, amount=0.0)["chest"] == (0.0, 0.0, 0.0)


def test_listener_nods_now_and_then() -> None:
    nods = NodSchedule(seed=2)
    pitches = [nods.pitch(k / 25) for k in range(25 * 20)]
    assert max(pitches) > 0.04 and min(pitches) >= 0.0
    onsets = sum(1 for a, b in itertools.pairwise(pitches) if a == 0.0 < b)
    assert 3 <= onsets <= 9  # every ~2.5-5 s over 20 s
    assert nods.pitch(-1.0) == 0.0


def test_euler_quaternion_and_head_share() -> None:
    x, y, z, w = euler_quaternion(0.2, 0.0, 0.0)
    assert (
        (y, z) == (0.0, 0.0) and x == pytest.approx(np.sin(0.1)) and w == pytest.approx(np.cos(0.1))
    )
    assert euler_quaternion(0.0, 0.0, 0.0) == (0.0, 0.0, 0.0, 1.0)
    assert head_share(0.1) == 0.0  # small shifts: eyes only
    assert 0.0 < head_share(0.5) < 0.5 and head_share(-0.5) == -head_share(0.5)


def test_glances_away_are_brief_and_come_back() -> None:
    glances = GlanceSchedule(seed=3)
    offsets = [glances.offset(k / 25) for k in range(25 * 30)]
    away = [abs(y) > 0.03 for y, _ in offsets]
    assert 0.05 < sum(away) / len(away) < 0.4  # mostly eye contact
    onsets = sum(1 for a, b in itertools.pairwise(away) if b and not a)
    assert 4 <= onsets <= 11  # every ~3-6 s
    assert max(abs(y) for y, _ in offsets) <= 0.12 + 1e-9
