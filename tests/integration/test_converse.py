"""`dhe converse` end to end: real speech in, real sandbox bank, real TTS and rendering, one MP4.

One session runs once per module (the slow part) and the tests read its JSON, the sandbox's
SQLite file and the written MP4.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import wave
from pathlib import Path

import av
import jiwer
import numpy as np
import pytest
from whisper_normalizer.english import EnglishTextNormalizer

from engine.events import STAGES
from engine.paths import models_dir
from tests.support.sandbox import demo_balance

pytestmark = pytest.mark.slow

JFK = "audio/en/en_jfk_ask_not_what_your_country.flac"
FPS = 25
RATE = 48_000


def _write_silence(path: Path, seconds: float = 2.0) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\0\0" * int(16000 * seconds))
    return path


def run_converse(tmp: Path, *args: str, env: dict[str, str] | None = None):
    environ = {
        **os.environ,
        "DHE_VAR_DIR": str(tmp / "var"),
        "DHE_MODELS_DIR": str(models_dir()),
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", "converse", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=environ,
    )


@pytest.fixture(scope="module")
def session(shared_data: Path, tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("converse")
    silence = _write_silence(tmp / "silence.wav")
    out = tmp / "session.mp4"
    proc = run_converse(
        tmp,
        "--demo",
        "--audio", str(shared_data / JFK),
        "--text", "what's my balance",
        "--text", "4417",
        "--text", "000000",
        "--text", "123456",
        "--audio", str(silence),
        "--out", str(out),
        "--json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {"doc": json.loads(proc.stdout), "out": out, "var": tmp / "var", "stderr": proc.stderr}


def test_json_document_shape(session) -> None:
    doc = session["doc"]
    assert set(doc) == {"turns", "output"}
    assert Path(doc["output"]) == session["out"]
    assert len(doc["turns"]) == 6
    for turn in doc["turns"]:
        assert set(turn) == {"input", "transcript", "language", "intent", "reply", "timings_ms"}
        assert list(turn["timings_ms"]) == [*STAGES, "tts_first_audio_ms"]
        assert turn["reply"], "every turn gets a spoken reply"
        for stage in ("dialog", "tts", "avatar", "send", "tts_first_audio_ms"):
            assert turn["timings_ms"][stage] is not None and turn["timings_ms"][stage] >= 0
    text_turns = doc["turns"][1:5]
    for turn in text_turns:
        assert turn["transcript"] == turn["input"]
        assert all(turn["timings_ms"][s] is None for s in ("vad", "endpoint", "asr"))
    assert all(doc["turns"][0]["timings_ms"][s] is not None for s in ("vad", "endpoint", "asr"))


def test_spoken_turn_is_transcribed(session, transcripts) -> None:
    reference = next(r["reference"] for r in transcripts if "audio/" + r["file"] == JFK)
    turn = session["doc"]["turns"][0]
    normalise = EnglishTextNormalizer()
    assert jiwer.wer(normalise(reference), normalise(turn["transcript"])) <= 0.15
    assert turn["language"] == "en"


def test_balance_only_after_verification(session) -> None:
    balance = demo_balance(session["var"])
    turns = session["doc"]["turns"]
    ask, card, wrong, right = turns[1:5]
    assert ask["intent"] == "check_balance"
    for turn in (ask, card, wrong):
        assert balance not in turn["reply"]
    assert "ending in" in card["reply"] and "88" in card["reply"]
    assert card["timings_ms"]["connector"] is not None
    assert "code" in wrong["reply"].lower() and "verified" not in wrong["reply"].lower()
    assert balance in right["reply"], (balance, right["reply"])
    assert right["timings_ms"]["connector"] is not None
    # the typed codes (right and wrong) are hidden whole, as logs hide a PIN; the card's last
    # four digits stay (dialogfix18 #4: "123456" was printed as typed)
    assert wrong["input"] == right["input"] == "••••" == right["transcript"]
    assert card["input"] == "4417"
    # the progress line of a slot-filling turn (intent null) said "intent None"
    assert "turn 2/6 done: intent check_balance" in session["stderr"]
    assert "turn 3/6 done: (flow answer)" in session["stderr"]
    assert "intent None" not in session["stderr"]


def test_silence_turn_says_it_did_not_catch_that(session) -> None:
    turn = session["doc"]["turns"][5]
    assert turn["transcript"] == ""
    assert "didn't catch" in turn["reply"]
    assert turn["timings_ms"]["asr"] is None  # VAD found no speech: nothing decoded


def _read_mp4(path: Path) -> tuple[np.ndarray, np.ndarray, float, float]:
    with av.open(str(path)) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        assert v.codec_context.name == "h264" and a.codec_context.name == "aac"
        assert v.average_rate == FPS and a.rate == RATE
        v_dur, a_dur = float(v.duration * v.time_base), float(a.duration * a.time_base)
    with av.open(str(path)) as c:
        frames = np.stack([f.to_ndarray(format="rgb24") for f in c.decode(video=0)])
    with av.open(str(path)) as c:
        pcm = np.concatenate([f.to_ndarray().reshape(-1) for f in c.decode(audio=0)])
    return frames, pcm, v_dur, a_dur


@pytest.fixture(scope="module")
def video(session):
    return _read_mp4(session["out"])


def test_audio_and_video_durations_agree(video) -> None:
    frames, pcm, v_dur, a_dur = video
    assert abs(v_dur - a_dur) <= 1 / FPS
    assert abs(len(frames) / FPS - pcm.size / RATE) <= 1 / FPS + 1024 / RATE  # AAC priming


def test_frames_are_not_blank(video) -> None:
    frames = video[0]
    assert frames.shape[1:] == (512, 512, 3)
    # frame by frame: std over the whole (N, 512, 512, 3) array at once makes a float64 copy of
    # every frame (~6 MB each; gigabytes for a session's video)
    assert all(frame.std() > 10 for frame in frames)


def _open_share(crops: np.ndarray) -> np.ndarray:
    """Share of dark pixels (the open mouth's interior) per crop (N, 40, 70, 3)."""
    return (crops.astype(np.float32).mean(axis=-1) < 90).mean(axis=(-2, -1))


def _mouth_window() -> tuple[int, int, float]:
    """The mouth's pixel centre at 512x512, and the dark share of the closed mouth at rest
    (the lip line of a closed mouth is dark too: silence is measured against it)."""
    from avatar import DEFAULT_AVATAR_PATH, NEUTRAL_POSE, Renderer, load_avatar

    avatar = load_avatar(DEFAULT_AVATAR_PATH)
    with Renderer(avatar, width=512, height=512) as renderer:
        x, y = (int(v) for v in renderer.camera.project(avatar.channel_centroid("jawOpen"))[0])
        rest = renderer.render(NEUTRAL_POSE)[y - 20 : y + 20, x - 35 : x + 35]
    return x, y, float(_open_share(rest[None])[0])


def test_mouth_moves_with_speech_and_rests_in_silence(video) -> None:
    frames, pcm, _, _ = video
    x, y, at_rest = _mouth_window()
    open_share = _open_share(frames[:, y - 20 : y + 20, x - 35 : x + 35])
    per_frame = RATE // FPS
    rms = np.array(
        [
            np.sqrt(np.mean(pcm[i * per_frame : (i + 1) * per_frame] ** 2))
            for i in range(len(frames))
        ]
    )
    loud = rms > 0.02
    # Silent frames well away from speech (±3 frames): digital silence between replies.
    quiet = np.array([not (rms[max(0, i - 3) : i + 4] > 0).any() for i in range(len(frames))])
    assert loud.sum() > 100 and quiet.sum() > 20
    # A closed mouth still shows its lip seam, a thin dark line: silence is measured against
    # the rendered rest pose; an open mouth is several times that. The head's idle sway moves
    # the seam and the nostril shadows within the fixed window: silent frames measured
    # 0.0129-0.0161 over five runs against 0.010 at rest (the same before and after the
    # renderer changes of issue 11), speech 0.03 and more. Session 19's lips (a darker line
    # where they meet) raised the rest pose's share 0.010 -> 0.0168.
    assert at_rest < 0.02  # a closed mouth
    assert open_share[quiet].max() < at_rest + 0.009, "the mouth is open while the avatar is silent"
    assert open_share[loud].mean() > 0.03
    assert (open_share[loud] > 0.02).mean() > 0.4, "the mouth rarely opens while speaking"


def test_ai_label_in_the_corner(video) -> None:
    frames = video[0]
    corner = frames[:, -40:, -200:].astype(np.float32)
    # The translucent dark badge with white text: much more contrast than the soft background.
    assert (corner.std(axis=(1, 2, 3)) > 25).all()


def test_sandbox_down_apologises_and_goes_on(tmp_path: Path) -> None:
    out = tmp_path / "down.mp4"
    proc = run_converse(
        tmp_path,
        "--demo", "--text", "what's my balance", "--text", "4417", "--text", "hello",
        "--out", str(out), "--json",
        env={"DHE_SANDBOX__FAULTS__ERROR_RATE": "1.0"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    turns = json.loads(proc.stdout)["turns"]
    assert "not available" in turns[1]["reply"] or "went wrong" in turns[1]["reply"]
    assert "Traceback" not in turns[1]["reply"]
    assert turns[2]["reply"]  # the session went on
    assert out.exists()


def test_session_audit_trail_is_written_and_masked(session) -> None:
    db = sqlite3.connect(str(session["var"] / "engine.db"))
    try:
        (sid, domain, channel, turns) = db.execute(
            "SELECT session_id, domain, channel, turns FROM sessions"
        ).fetchone()
        events = db.execute(
            "SELECT kind, detail FROM session_events WHERE session_id = ? ORDER BY seq", (sid,)
        ).fetchall()
        calls = db.execute("SELECT operation, args, outcome FROM connector_calls").fetchall()
    finally:
        db.close()
    assert (domain, channel, turns) == ("bank", "converse", 6)
    assert ("intent", "check_balance") in events
    assert any(k == "call" and d.startswith("bank.get_balance") for k, d in events)
    ops = [c[0] for c in calls]
    assert "bank.verify_otp" in ops and "bank.get_balance" in ops
    text = " ".join(str(v) for row in [*events, *calls] for v in row)
    assert "123456" not in text and "000000" not in text  # one-time codes never stored
    from connectors.sandbox.bank import DEMO_CUSTOMER

    for field in ("phone", "card", "checking", "savings"):
        number = DEMO_CUSTOMER[field]
        assert number not in text and number[:-4] not in text, f"the {field} number leaked"
    # Opaque ids (``v_`` + 16 random hex digits) may hold digit runs by chance; they are not
    # personal data. Outside them no run of 5+ digits may appear.
    bare = re.sub(r"\b[a-z]+_[0-9a-f]{8,}\b", "<id>", text)
    assert not re.search(r"\d{5,}", bare), "a long digit run reached the audit trail"
