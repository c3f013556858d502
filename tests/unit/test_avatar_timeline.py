"""AvatarTimeline: visemes on the session clock, coarticulation, barge-in, blinks, moods."""

from __future__ import annotations

import itertools

import pytest

from avatar.expressions import EMOTIONS, VISEME_TO_ARKIT
from avatar.timeline import AvatarTimeline, UnknownEmotionError, UnknownGestureError
from avatar.visemes import VisemeCue, VisemeTrack

SR = 48_000


def ms(x: float) -> int:
    return round(x * SR / 1000)


def track(*cues: tuple[str, float, float], rate: int = SR) -> VisemeTrack:
    """Cues as (viseme, start_ms, end_ms) at ``rate``."""
    return VisemeTrack(
        rate,
        tuple(VisemeCue(v, round(a * rate / 1000), round(b * rate / 1000)) for v, a, b in cues),
    )


def quiet(**kw) -> AvatarTimeline:
    return AvatarTimeline(SR, blink=False, idle=False, **kw)


def test_silence_keeps_the_mouth_closed() -> None:
    tl = quiet()
    for t in (0, ms(100), ms(5000)):
        pose = tl.pose_at(t)
        assert pose.weight("jawOpen") == 0.0
        assert pose.visemes == {}
        assert not tl.is_speaking(t)


def test_held_viseme_reaches_its_table_shape() -> None:
    tl = quiet()
    tl.add_speech(track(("sil", 0, 100), ("aa", 100, 400), ("sil", 400, 500)), ms(1000))
    pose = tl.pose_at(ms(1250))
    assert pose.visemes == {"aa": 1.0}
    assert pose.weight("jawOpen") == pytest.approx(VISEME_TO_ARKIT["aa"]["jawOpen"])
    assert tl.is_speaking(ms(1250)) and not tl.is_speaking(ms(999))
    assert tl.is_speaking(ms(1499)) and not tl.is_speaking(ms(1500))
    assert tl.pose_at(ms(1600)).weight("jawOpen") == 0.0  # closed again after the phrase


def test_track_sample_rate_is_converted_to_the_session_clock() -> None:
    tl = quiet()
    tl.add_speech(track(("aa", 0, 500), rate=22_050), ms(2000))
    assert not tl.is_speaking(ms(1999))
    assert tl.is_speaking(ms(2000)) and tl.is_speaking(ms(2499))
    assert not tl.is_speaking(ms(2500) + 1)
    assert tl.pose_at(ms(2250)).visemes == {"aa": 1.0}


def test_neighbouring_visemes_crossfade_smoothly() -> None:
    tl = quiet(crossfade_ms=60)
    tl.add_speech(track(("aa", 0, 300), ("U", 300, 600)), ms(100))
    mid = tl.pose_at(ms(400)).visemes
    assert mid["aa"] == pytest.approx(0.5) and mid["U"] == pytest.approx(0.5)
    assert tl.pose_at(ms(365)).visemes == {"aa": 1.0}  # outside the ±30 ms ramp
    assert tl.pose_at(ms(60)).visemes == {}  # opens 30 ms ahead of the sound, not earlier
    steps = [tl.pose_at(s).weight("jawOpen") for s in range(0, ms(800), ms(1))]
    assert max(abs(a - b) for a, b in itertools.pairwise(steps)) < 0.03  # per ms
    assert steps[0] == 0.0 and steps[-1] == 0.0  # opens from and closes to rest


def test_short_cues_are_under_articulated() -> None:
    tl = quiet(crossfade_ms=60)
    tl.add_speech(track(("sil", 0, 100), ("aa", 100, 120), ("sil", 120, 300)), 0)
    peak = max(tl.pose_at(s).weight("jawOpen") for s in range(0, ms(300), ms(1)))
    assert 0.3 * VISEME_TO_ARKIT["aa"]["jawOpen"] < peak < 0.8 * VISEME_TO_ARKIT["aa"]["jawOpen"]


def test_clear_closes_the_mouth_smoothly_and_drops_later_cues() -> None:
    tl = quiet(crossfade_ms=60)
    tl.add_speech(track(("aa", 0, 1000), ("O", 1000, 2000)), 0)
    tl.clear(ms(500))
    assert tl.pose_at(ms(500)).weight("jawOpen") == pytest.approx(0.62)
    assert 0.0 < tl.pose_at(ms(530)).weight("jawOpen") < 0.62
    for t in (ms(560), ms(1500)):
        assert tl.pose_at(t).weight("jawOpen") == 0.0
    assert tl.is_speaking(ms(499)) and not tl.is_speaking(ms(500))
    assert "O" not in tl.pose_at(ms(1500)).visemes


def test_blinks_are_seeded_spaced_and_short() -> None:
    a, b = AvatarTimeline(SR, seed=7, idle=False), AvatarTimeline(SR, seed=7, idle=False)
    step = ms(10)
    closed = [a.pose_at(s).weight("eyeBlinkLeft") for s in range(0, ms(60_000), step)]
    assert closed == [b.pose_at(s).weight("eyeBlinkLeft") for s in range(0, ms(60_000), step)]
    starts = [i for i in range(1, len(closed)) if closed[i] > 0 and closed[i - 1] == 0]
    assert len(starts) >= 10 and len(starts) <= 30, len(starts)  # every 2-6 s over a minute
    gaps = [(b - a) * 10 for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= 1900 and max(gaps) <= 6100
    shut = sum(1 for c in closed if c > 0.5) * 10 / len(starts)
    assert 40 <= shut <= 120  # ms with the lids more than half closed, per blink
    other = AvatarTimeline(SR, seed=8, idle=False)
    assert closed != [other.pose_at(s).weight("eyeBlinkLeft") for s in range(0, ms(60_000), step)]


def test_without_blinks_and_idle_silent_poses_are_identical() -> None:
    tl = quiet()
    assert tl.pose_at(ms(1000)) == tl.pose_at(ms(9000)) == tl.pose_at(0)


def test_idle_motion_is_subtle_and_keeps_the_mouth_closed() -> None:
    tl = AvatarTimeline(SR, blink=False)
    poses = [tl.pose_at(s) for s in range(0, ms(20_000), ms(100))]
    yaws = [p.yaw for p in poses]
    assert max(yaws) - min(yaws) > 0.01  # it moves
    assert max(abs(p.yaw) + abs(p.pitch) + abs(p.roll) for p in poses) < 0.08  # < ~4.5°
    assert all(p.weight("jawOpen") == 0.0 for p in poses)


def test_emotion_blends_in() -> None:
    tl = quiet(emotion_ms=300)
    tl.set_emotion("happy", ms(1000))
    smile = EMOTIONS["happy"].weights["mouthSmileLeft"]
    assert tl.pose_at(ms(999)).weight("mouthSmileLeft") == pytest.approx(0.06)
    assert 0.06 < tl.pose_at(ms(1150)).weight("mouthSmileLeft") < smile
    assert tl.pose_at(ms(1400)).weight("mouthSmileLeft") == pytest.approx(smile)
    tl.set_emotion("apologetic", ms(2000))
    assert tl.pose_at(ms(2500)).weight("browInnerUp") == pytest.approx(0.65)
    assert tl.pose_at(ms(2500)).pitch > 0.05
    with pytest.raises(UnknownEmotionError):
        tl.set_emotion("furious", 0)


def test_listening_face_and_gestures() -> None:
    tl = quiet()
    tl.set_listening(True, ms(100))
    assert tl.pose_at(ms(600)).roll > 0.05 and tl.pose_at(ms(600)).weight("browInnerUp") > 0.1
    tl.set_listening(False, ms(1000))
    assert tl.pose_at(ms(1500)).roll == 0.0
    tl.gesture("nod", ms(3000))
    pitches = [tl.pose_at(ms(3000 + k * 20)).pitch for k in range(45)]
    assert max(pitches) > 0.05 and min(pitches) < -0.05
    assert tl.pose_at(ms(4000)).pitch == 0.0
    with pytest.raises(UnknownGestureError):
        tl.gesture("moonwalk", 0)


def test_speech_over_emotion_and_weights_stay_in_range() -> None:
    tl = AvatarTimeline(SR, seed=3)
    tl.set_emotion("happy", 0)
    tl.add_speech(track(("I", 0, 200), ("aa", 200, 400), ("SS", 400, 500)), ms(100))
    for s in range(0, ms(800), ms(5)):
        pose = tl.pose_at(s)
        assert all(0.0 <= w <= 1.0 for w in pose.weights.values())
        assert sum(pose.visemes.values()) <= 1.0 + 1e-9


def test_unknown_viseme_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown viseme"):
        quiet().add_speech(track(("ZZ", 0, 100)), 0)


def test_forget_before_keeps_future_poses() -> None:
    tl = AvatarTimeline(SR, seed=1)
    tl.add_speech(track(("aa", 0, 300), ("O", 300, 600)), 0)
    tl.add_speech(track(("E", 0, 300)), ms(5000))
    tl.set_emotion("concerned", ms(200))
    tl.gesture("nod", ms(100))
    later = [tl.pose_at(s) for s in range(ms(4000), ms(6000), ms(50))]
    tl.forget_before(ms(4000))
    assert [tl.pose_at(s) for s in range(ms(4000), ms(6000), ms(50))] == later
