"""AvatarTimeline: visemes on the session clock, coarticulation, barge-in, blinks, moods."""

from __future__ import annotations

import itertools

import numpy as np
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
    assert tl.pose_at(ms(2500)).weight("browInnerUp") == pytest.approx(
        EMOTIONS["apologetic"].weights["browInnerUp"]
    )
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


def test_look_at_moves_eyes_fast_and_the_head_after() -> None:
    tl = quiet()
    assert tl.pose_at(ms(500)).gaze == (0.0, 0.0)  # eye contact by default
    tl.look_at(1.0, 0.5, ms(1000))  # the right edge of the camera view (the avatar's left)
    eyes_early = tl.pose_at(ms(1060))
    settled = tl.pose_at(ms(2000))
    assert eyes_early.gaze[0] > 0.3 and abs(eyes_early.yaw) < 0.05  # eyes first
    assert settled.yaw > 0.1 and settled.gaze[0] > 0.2  # then the head takes a share
    assert settled.yaw + settled.gaze[0] == pytest.approx(0.52)  # on target together
    tl.look_at(0.5, 0.9, ms(3000))  # below the camera: look down
    assert tl.pose_at(ms(4000)).gaze[1] > 0.1
    tl.look_at(7.0, -3.0, ms(5000))  # clamped to the view's corner
    far = tl.pose_at(ms(6000))
    assert far.yaw + far.gaze[0] == pytest.approx(0.52) and far.gaze[1] < 0


def test_idle_life_moves_eyes_and_body_but_not_the_mouth() -> None:
    tl = AvatarTimeline(SR, seed=4, blink=False)
    poses = [tl.pose_at(s) for s in range(0, ms(10_000), ms(40))]
    gazes = {p.gaze for p in poses}
    assert len(gazes) > 5 and max(abs(g[0]) for g in gazes) < 0.03  # micro-saccades
    chest = [p.bones.get("chest", (0.0, 0.0, 0.0, 1.0))[0] for p in poses]
    assert max(chest) - min(chest) > 0.002  # breathing (quaternion x = sin(angle / 2))
    assert {"hips", "leftShoulder", "rightShoulder"} <= set(poses[10].bones)
    assert all(p.weight("jawOpen") == 0.0 for p in poses)


def test_reply_emotion_blends_out_after_the_reply_but_a_set_emotion_holds() -> None:
    tl = quiet(emotion_ms=300, relax_ms=1000)
    tl.set_emotion("happy", ms(1000))
    tl.add_speech(track(("aa", 0, 1500)), ms(1000))
    tl.add_speech(track(("E", 0, 1000)), ms(3000))  # the same reply's next sentence
    smile = EMOTIONS["happy"].weights["mouthSmileLeft"]
    assert tl.pose_at(ms(2800)).expression["mouthSmileLeft"] == pytest.approx(smile)
    assert tl.pose_at(ms(4500)).expression["mouthSmileLeft"] == pytest.approx(smile)
    assert tl.pose_at(ms(6000)).expression["mouthSmileLeft"] == pytest.approx(0.06)  # neutral
    held = quiet()
    held.set_emotion("concerned", 0)
    assert held.pose_at(ms(60_000)).weight("browInnerUp") == pytest.approx(
        EMOTIONS["concerned"].weights["browInnerUp"]
    )


def test_listening_leans_in_and_nods() -> None:
    tl = AvatarTimeline(SR, seed=9, blink=False)
    tl.set_listening(True, ms(1000))
    calm = AvatarTimeline(SR, seed=9, blink=False)
    lean = [
        tl.pose_at(s).bones["spine"][0] - calm.pose_at(s).bones["spine"][0] for s in (ms(2000),)
    ]
    assert lean[0] > 0.01  # forward, toward the visitor
    nods = [
        tl.pose_at(s).pitch - calm.pose_at(s).pitch for s in range(ms(1500), ms(13_000), ms(40))
    ]
    onsets = sum(1 for a, b in itertools.pairwise(nods) if a < 0.01 <= b)
    assert onsets >= 2


def test_gestures_play_model_clips_when_present_else_bones_and_head() -> None:
    robot = quiet(clips={"Yes": 1.6, "Wave": 2.5})
    robot.gesture("nod", ms(1000))
    pose = robot.pose_at(ms(1500))
    assert pose.clip == "Yes" and pose.clip_time_s == pytest.approx(0.5)
    assert pose.pitch == 0.0  # the clip moves the head, not a second nod on top
    assert robot.pose_at(ms(2700)).clip is None  # the clip ended
    robot.gesture("wave", ms(5000))
    assert robot.pose_at(ms(6000)).clip == "Wave"
    plain = quiet()
    plain.gesture("bow", ms(1000))
    bow = plain.pose_at(ms(1800))
    assert bow.clip is None and bow.bones["spine"][0] > 0.02 and bow.pitch > 0.02
    assert plain.pose_at(ms(3500)) == plain.pose_at(0)  # back at rest
    plain.gesture("point_to_screen", ms(5000))
    assert plain.pose_at(ms(5900)).yaw > 0.1 and plain.pose_at(ms(5900)).gaze[0] > 0.1


def test_glances_away_only_while_speaking() -> None:
    tl = AvatarTimeline(SR, seed=3, blink=False)
    calm = AvatarTimeline(SR, seed=3, blink=False)
    tl.add_speech(track(("aa", 0, 10_000)), ms(10_000))
    before = [tl.pose_at(s).gaze == calm.pose_at(s).gaze for s in range(0, ms(10_000), ms(40))]
    during = [
        tl.pose_at(s).gaze[0] - calm.pose_at(s).gaze[0]
        for s in range(ms(10_000), ms(20_000), ms(40))
    ]
    assert all(before)
    assert max(abs(d) for d in during) > 0.05


def test_the_jaw_follows_the_speech_loudness_when_the_audio_is_given() -> None:
    rate = 16_000
    t = np.arange(rate) / rate
    pcm = (np.sin(2 * np.pi * 220 * t) * np.where(t < 0.5, 12_000, 2_000)).astype(np.int16)
    speech = track(("aa", 0, 1000), rate=rate)
    plain, loud = quiet(), quiet()
    plain.add_speech(speech, 0)
    loud.add_speech(speech, 0, pcm)
    early, late = ms(250), ms(750)
    assert plain.pose_at(early).weight("jawOpen") == plain.pose_at(late).weight("jawOpen")
    assert loud.pose_at(early).weight("jawOpen") > 2 * loud.pose_at(late).weight("jawOpen")
    assert loud.pose_at(early).weight("mouthFunnel") == plain.pose_at(early).weight("mouthFunnel")
    assert loud.pose_at(ms(2000)).weight("jawOpen") == 0.0  # after the speech: closed
    loud.clear(ms(600))
    assert loud.pose_at(ms(750)).weight("jawOpen") == 0.0  # barge-in still closes the mouth


def test_the_moods_mouth_gives_way_to_speech() -> None:
    # review19 F10: concerned's press and shrug, added at full strength to an open vowel,
    # held the lips shut (tests/integration/test_mood_lip_sync.py renders it).
    tl = quiet()
    tl.set_emotion("concerned", 0)
    tl.add_speech(track(("sil", 0, 100), ("aa", 100, 400), ("sil", 400, 600)), ms(1000))
    mood = EMOTIONS["concerned"].weights
    before, during = tl.pose_at(ms(900)), tl.pose_at(ms(1250))
    assert during.visemes == {"aa": 1.0}
    for name in ("mouthPressLeft", "mouthShrugLower", "mouthFrownRight"):
        assert before.weight(name) == pytest.approx(mood[name])  # silence: the whole mood
    assert during.weight("mouthPressLeft") == pytest.approx(0.0)
    assert during.weight("mouthShrugLower") == pytest.approx(0.0)
    assert during.weight("mouthFrownRight") == pytest.approx(mood["mouthFrownRight"])  # stays
    assert during.weight("browInnerUp") == pytest.approx(mood["browInnerUp"])
    assert during.weight("jawOpen") == pytest.approx(VISEME_TO_ARKIT["aa"]["jawOpen"])
    ramp = [tl.pose_at(ms(1000 + k * 5)).weight("mouthPressLeft") for k in range(40)]
    assert all(b <= a + 1e-12 for a, b in itertools.pairwise(ramp))  # eases out, no jump
    assert max(abs(b - a) for a, b in itertools.pairwise(ramp)) < 0.1
    assert tl.pose_at(ms(2200)).weight("mouthPressLeft") == pytest.approx(mood["mouthPressLeft"])
