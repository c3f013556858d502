"""Camera perception in a live session over real WebRTC on loopback: an aiortc visitor whose
camera (``tests.support.camera.CameraTrack``) shows labelled pictures and clips from
../shared/data, and whose microphone plays a clip, against ``dhe serve`` (real MediaPipe,
faster-whisper, Piper, OpenGL, VP8, Opus): an English-only server shared with the video-size
tests (``tests/integration/conftest.py``), where presence ends after 2 s without a face (default
5 s).

* a yes/no confirmation answered by a thumbs up: the labelled thumbs-up photo held still in
  front of the camera (a still video), the ticket issued, the audit saying "confirmed by
  gesture";
* an open palm (the labelled open-palm clip) stops the avatar mid-sentence;
* the face leaving ends the session and wipes it;
* a GRID talking face with its own audio starts a turn (cutting the greeting), the same audio
  with the face held still does not;
* with consent refused no frame is analysed (the server's frame counter does not move);
* an expression change reaches an event in time: the labelled sad-then-happy clip's sad span
  (looped), then its happy span: ``emotion: happy`` within :data:`EXPRESSION_WITHIN_S`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import sqlite3

import aiohttp
import pytest

from engine.audio.decode import load_audio
from tests.conftest import model_folder
from tests.integration.conftest import ABSENT_AFTER_S
from tests.support.camera import CameraTrack, Scene, blank, clip, still
from tests.support.visitor import VisitorClient
from tests.support.visitor_mic import to_48k

pytestmark = [pytest.mark.slow, pytest.mark.needs_data]

SIZE = (640, 480)
THUMB_UP = "images/gestures/gesture_thumbs_up_single_hand.jpg"
FACE = "images/faces/face_neutral_woman.jpg"
PALM = "video/video_open_palm_hand_8s.mp4"
GRID = "video/video_talking_face_grid_swwp2s.mpg"
SAD_HAPPY = "video/video_woman_sad_then_happy_expressions_20s.mp4"
FAQ = "When are you open?"  # a knowledge-base answer of several sentences

#: How soon an expression change on the camera reaches its event (s), on this shared 2-core
#: machine under load: the emotion average spans 1 s and a new leader must lead 0.5 s
#: (``engine/perception/emotion.py``), and at the 2.3-8.3 frames a second analysed under load
#: 15-25 one more frame: ~2 s at worst; measured 0.67-1.34 s there (docs/perception.md). 4 s
#: leaves room for a slower frame.
EXPRESSION_WITHIN_S = 4.0


@pytest.fixture(scope="module")
def server(shared_data, english_server):
    model_folder("mediapipe-face-landmarker")
    model_folder("mediapipe-gesture-recognizer")
    return english_server.idle(), english_server.var_dir


def state(name: str):
    return lambda m: m.get("type") == "state" and m.get("state") == name


def of_type(kind: str):
    return lambda m: m.get("type") == kind


def arrival(client: VisitorClient, message: dict) -> float:
    return next(t for t, m in client.received.events if m is message)


async def frames_analysed(url: str) -> float:
    async with aiohttp.ClientSession() as http, http.get(f"{url}/metrics") as resp:
        text = await resp.text()
    return float(re.search(r"^dhe_perception_frames_total (\S+)$", text, re.M).group(1))


async def forgotten(url: str, session_id: str, timeout_s: float = 5.0) -> int:
    """``DELETE`` the session until the server no longer knows it (404) or ``timeout_s``
    passed; returns the last status (a closing session still answers 204)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    async with aiohttp.ClientSession() as http:
        while True:
            async with http.delete(f"{url}/api/sessions/{session_id}") as resp:
                if resp.status == 404 or loop.time() > deadline:
                    return resp.status
            await asyncio.sleep(0.2)


async def watched(url: str, scene, *, consent: bool = True) -> tuple[VisitorClient, CameraTrack]:
    """A visitor whose camera shows ``scene``, connected, media flowing, consent sent."""
    camera = CameraTrack(scene)
    client = VisitorClient(url, decode_video=False, camera=camera)
    await client.connect()
    while not client.received.encoded_video:
        await asyncio.sleep(0.05)
    await client.send_event({"type": "camera", "consent": consent})
    return client, camera


async def test_thumbs_up_answers_the_confirmation(server, shared_data) -> None:
    url, var = server
    client, camera = await watched(url, blank(SIZE))
    try:
        await client.send_event({"type": "text", "text": "I need a queue number"})
        await client.wait_event(of_type("reply"), timeout=30)
        t_cash = client.received.events[-1][0]
        await client.send_event({"type": "text", "text": "cash"})
        confirm = await client.wait_event(
            lambda m: m.get("type") == "reply" and (m.get("card") or {}).get("kind") == "confirm",
            timeout=30,
            after=t_cash,
        )
        t_thumb = camera.show(still(shared_data / THUMB_UP))
        gesture = await client.wait_event(of_type("gesture"), timeout=15, after=t_thumb)
        ticket = await client.wait_event(
            lambda m: (m.get("card") or {}).get("kind") == "queue_ticket", timeout=30
        )
        delay = arrival(client, gesture) - t_thumb
        print(f"thumbs up shown → gesture event {delay * 1000:.0f} ms")
    finally:
        await client.close()
    assert confirm["text"] and gesture["name"] == "Thumb_Up"
    assert ticket["card"]["number"]
    await asyncio.sleep(1.0)  # the audit is written when the session ends
    with sqlite3.connect(var / "engine.db") as db:
        rows = db.execute(
            "SELECT kind, detail FROM session_events WHERE session_id = ?", (client.session_id,)
        ).fetchall()
    assert ("gesture", "confirmed by gesture") in rows, rows
    assert not [d for _, d in rows if re.search(r"image|frame|jpe?g|png", d, re.I)]


async def test_open_palm_stops_the_avatar_mid_sentence(server, shared_data) -> None:
    url, _ = server
    client, camera = await watched(url, blank(SIZE))
    try:
        await client.send_event({"type": "text", "text": FAQ})
        await client.wait_event(state("speaking"), timeout=30)
        await asyncio.sleep(1.0)
        # the labelled clip from 1.5 s: the hand comes up, then the open palm is held
        t_palm = camera.show(clip(shared_data / PALM, start_s=1.5))
        stopped = await client.wait_event(state("interrupted"), timeout=15, after=t_palm)
        t_stopped = arrival(client, stopped)
        gesture = next(m for m in client.received.events_of("gesture"))
        await asyncio.sleep(1.5)
    finally:
        await client.close()
    assert gesture["name"] == "Open_Palm"
    print(f"open palm shown → avatar stopped {(t_stopped - t_palm) * 1000:.0f} ms")
    # no reply audio after the stop (0.5 s for packets in flight and the jitter buffer)
    assert client.received.sound_times(after=t_stopped + 0.5) == []


async def test_face_leaving_ends_the_session_and_wipes_it(server, shared_data) -> None:
    url, var = server
    client, camera = await watched(url, still(shared_data / FACE, SIZE))
    try:
        presence = await client.wait_event(of_type("presence"), timeout=20)
        greeting = await client.wait_event(of_type("reply"), timeout=30)
        t_gone = camera.show(blank(SIZE))
        ended = await client.wait_event(state("ended"), timeout=20, after=t_gone)
        left = arrival(client, ended) - t_gone
        status = await forgotten(url, client.session_id)
    finally:
        await client.close(delete=False)
    assert presence["present"] is True and 0 < presence["face_box"][2] < 1
    states = [m["state"] for m in client.received.events_of("state")]
    assert "greeting" in states and greeting["text"].startswith("Hello")
    assert ended["reason"] == "visitor-left" and status == 404
    print(f"face gone → session ended {left * 1000:.0f} ms (absent_after_s {ABSENT_AFTER_S})")
    # absence counts from the last frame analysed with the face in it, which can come up to one
    # analysis interval before the camera switched (perception.min_fps 5: 200 ms); a CI run
    # measured 1996 ms against the 2 s bound
    assert ABSENT_AFTER_S - 0.2 <= left <= ABSENT_AFTER_S + 3.0
    with sqlite3.connect(var / "engine.db") as db:
        (reason,) = db.execute(
            "SELECT end_reason FROM sessions WHERE session_id = ?", (client.session_id,)
        ).fetchone()
    assert reason == "visitor-left"


async def test_talking_face_starts_a_turn_and_a_still_face_does_not(server, shared_data) -> None:
    url, _ = server
    talking = clip(shared_data / GRID)
    audio = to_48k(load_audio(shared_data / GRID))
    client, camera = await watched(url, Scene(talking.frames[:1]))  # the face, still
    try:
        await client.wait_event(of_type("presence"), timeout=20)
        await client.wait_event(state("speaking"), timeout=30)  # the greeting
        # the same voice, the face held still: a passer-by talking behind the visitor
        t_still = client.mic.say(audio)
        await asyncio.sleep(len(audio) / 48000 + 2.0)
        after_still = [m for t, m in client.received.events if t >= t_still]
        # the voice with its own face
        t_say = client.mic.say(audio)
        camera.show(talking, at=t_say)
        final = await client.wait_event(
            lambda m: m.get("type") == "transcript" and m.get("final"), timeout=60, after=t_say
        )
        await client.wait_event(of_type("reply"), timeout=30, after=arrival(client, final))
    finally:
        await client.close()
    kinds = [(m["type"], m.get("state")) for m in after_still]
    assert ("state", "listening") not in kinds and ("state", "interrupted") not in kinds, kinds
    assert not [m for m in after_still if m["type"] == "transcript"], after_still
    assert final["text"].strip(), final


async def test_without_consent_no_frame_is_analysed(server, shared_data) -> None:
    url, _ = server
    before = await frames_analysed(url)
    client, camera = await watched(url, still(shared_data / FACE, SIZE), consent=False)
    try:
        camera.show(clip(shared_data / PALM, start_s=1.5))
        await asyncio.sleep(4.0)
        refused = await frames_analysed(url)
        seen_refused = [m["type"] for _, m in client.received.events]
        # the same camera with consent is analysed (the counter can move) …
        await client.send_event({"type": "camera", "consent": True})
        await client.wait_event(of_type("gesture"), timeout=20)
        # … and withdrawing it stops the analysis at once
        await client.send_event({"type": "camera", "consent": False})
        await asyncio.sleep(0.5)  # the frame in flight, if any
        stopped = await frames_analysed(url)
        await asyncio.sleep(2.0)
        still_stopped = await frames_analysed(url)
    finally:
        await client.close()
    assert refused == before, (before, refused)
    assert not {"presence", "gesture", "emotion"} & set(seen_refused), seen_refused
    assert stopped > refused and still_stopped == stopped


async def test_an_expression_change_reaches_an_event_in_time(server, shared_data) -> None:
    url, _ = server
    # the clip's spans (MANIFEST segments): sad 0-2.2 s (brows knit, mouth down), happy from 10.3 s
    sad = dataclasses.replace(clip(shared_data / SAD_HAPPY, start_s=0.0, end_s=2.2), loop=True)
    happy = dataclasses.replace(clip(shared_data / SAD_HAPPY, start_s=10.3, end_s=19.6), loop=True)
    client, camera = await watched(url, sad)
    try:
        await client.wait_event(lambda m: m.get("type") == "emotion", timeout=20)
        first = await frames_analysed(url)
        await asyncio.sleep(2.0)  # the sad face keeps being analysed
        rate = (await frames_analysed(url) - first) / 2.0
        t_happy = camera.show(happy)
        # the first happy event: an emotion event can arrive just after the switch from a sad
        # frame analysed before it (the suite saw sad 29 ms after the switch at 6 frames/s)
        emotion = await client.wait_event(
            lambda m: of_type("emotion")(m) and m.get("emotion") == "happy",
            timeout=20,
            after=t_happy,
        )
        delay = arrival(client, emotion) - t_happy
        print(f"happy shown → emotion event {delay * 1000:.0f} ms at {rate:.1f} frames/s analysed")
        before = [m["emotion"] for t, m in client.received.events if m.get("type") == "emotion"]
    finally:
        await client.close()
    assert "sad" in before, before  # the sad span was read as sad first
    assert delay <= EXPRESSION_WITHIN_S, delay
