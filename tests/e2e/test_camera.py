"""The camera in headless Chromium: its fake camera plays a video made at test time (with PyAV,
into a temporary folder) from the labelled pictures and clips of ../shared/data, in a loop.

* a yes/no confirmation answered by a thumbs up (the labelled thumbs-up photo held still for
  2 s, after 2 s of an empty room);
* an open palm (the labelled open-palm clip) stops the avatar mid-sentence;
* in kiosk mode the visitor walking away ends the session, and the page starts a fresh one
  that shows nothing of the previous visitor;
* with consent refused no frame is analysed (the server's frame counter does not move).

Each test launches its own Chromium (the fake camera's file is a browser switch) against the
one e2e server; presence ends after 3 s without a face there. Who is speaking (a talking face
starts a turn, the same voice with a still face does not) is tested over aiortc on loopback
(``tests/integration/test_perception_live.py``), where voice and face are sent in step.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import (
    CHROMIUM_ARGS,
    CSP_WATCH,
    DheServer,
    VisitorPage,
    end_visitor_pages,
)
from tests.e2e.pages import REPLY_TIMEOUT_MS, ask, shot, start_session, wait_reply
from tests.support.camera import blank, clip, still, write_y4m

pytestmark = [pytest.mark.slow, pytest.mark.needs_data]

#: The fake camera's picture (uncompressed in the file: kept small).
SIZE = (320, 240)
THUMB_UP = "images/gestures/gesture_thumbs_up_single_hand.jpg"
FACE = "images/faces/face_neutral_woman.jpg"
PALM = "video/video_open_palm_hand_8s.mp4"

#: Every events-socket message the page receives, kept in window.__events as [ms, message].
RECORD_EVENTS_JS = """
(() => {
  window.__events = [];
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (ev) => {
        try { window.__events.push([performance.now(), JSON.parse(ev.data)]); } catch {}
      });
    }
  };
})();
"""


def frames_analysed(server: DheServer) -> float:
    status, body = server.request("GET", "/metrics")
    assert status == 200
    return float(re.search(r"^dhe_perception_frames_total (\S+)$", body, re.M).group(1))


def settled_frames(server: DheServer, page, timeout_s: float = 20.0) -> float:
    """The frame counter once no earlier session moves it any more (a session the previous
    test deleted may still finish the frame it was analysing)."""
    count = frames_analysed(server)
    for _ in range(int(timeout_s)):
        page.wait_for_timeout(1000)
        now = frames_analysed(server)
        if now == count:
            return now
        count = now
    raise AssertionError(f"the server kept analysing frames for {timeout_s} s")


@pytest.fixture(scope="module")
def media(tmp_path_factory, shared_data: Path) -> Path:
    """Where this module's fake camera and microphone files go (a temporary folder)."""
    return tmp_path_factory.mktemp("fake-media")


@pytest.fixture
def camera_page(
    browser, dhe_server: DheServer, e2e_artifacts: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[..., object]]:
    """Factory: ``camera_page(y4m, query)`` → a visitor page in a Chromium whose fake camera
    plays ``y4m`` (no microphone: the tests type), the camera allowed, the events socket
    recorded. Closed at the end, its console kept as an artifact."""
    launched: list[VisitorPage] = []

    def open_page(y4m: Path, query: str):
        args = [*CHROMIUM_ARGS, f"--use-file-for-fake-video-capture={y4m}"]
        # the e2e browser's own launcher: the same Chromium, in the same network namespace
        chromium = browser.browser_type.launch(
            executable_path=request.getfixturevalue("chromium_executable"),
            args=args,
            headless=True,
        )
        context = chromium.new_context(
            viewport={"width": 1280, "height": 800}, permissions=["camera"], locale="en-US"
        )
        context.add_init_script(RECORD_EVENTS_JS)
        context.add_init_script(CSP_WATCH)
        visitor = VisitorPage(context.new_page(), chromium)
        launched.append(visitor)
        return visitor.load(dhe_server.url + query)

    yield open_page
    end_visitor_pages(launched, request.node.name, e2e_artifacts)


@pytest.fixture(scope="module")
def chromium_executable(chromium_path: Path, loopback_ns, tmp_path_factory) -> str:
    """The Chromium the e2e browser runs (wrapped into the loopback namespace when there is
    one)."""
    if loopback_ns is None:
        return str(chromium_path)
    return str(loopback_ns.wrapper(chromium_path, tmp_path_factory.mktemp("chromium-camera")))


def events(page, kind: str) -> list[dict]:
    return [m for _, m in page.evaluate("window.__events") if m.get("type") == kind]


def wait_event(page, predicate_js: str, timeout_ms: int = REPLY_TIMEOUT_MS) -> None:
    """Wait for an events-socket message ``m`` with ``predicate_js`` (a JS expression of m)."""
    page.wait_for_function(
        f"() => window.__events.some(([t, m]) => {predicate_js})", timeout=timeout_ms
    )


def test_thumbs_up_answers_a_confirmation(camera_page, shared_data, media, e2e_artifacts):
    y4m = write_y4m(
        media / "thumbs-up.y4m", [(blank(SIZE), 2.0), (still(shared_data / THUMB_UP), 2.0)], SIZE
    )
    page = camera_page(y4m, "?camera=ask&debug=1")
    start_session(page)
    page.click("#consent-accept")
    page.wait_for_selector("#camera-on:not([hidden])")
    ask(page, "I need a queue number")
    wait_reply(page, "t => /cash/i.test(t)")
    ask(page, "cash")
    wait_event(page, "m.type === 'reply' && m.card && m.card.kind === 'confirm'")
    # no word typed or said: the thumbs up in front of the camera answers the question
    wait_event(page, "m.type === 'reply' && m.card && m.card.kind === 'queue_ticket'")
    assert "Thumb_Up" in [g["name"] for g in events(page, "gesture")]
    page.wait_for_selector("#debug-seen[data-gestures*='Thumb_Up']")
    shot(page, e2e_artifacts, "40-thumbs-up-confirmed")


def test_open_palm_stops_the_avatar_mid_sentence(camera_page, shared_data, media):
    palm = clip(shared_data / PALM, start_s=1.0, end_s=4.5)
    y4m = write_y4m(media / "open-palm.y4m", [(blank(SIZE), 1.0), (palm, palm.seconds)], SIZE)
    page = camera_page(y4m, "?camera=ask&debug=1")
    start_session(page)
    page.click("#consent-accept")
    ask(page, "When are you open?")
    page.wait_for_selector("body[data-avatar-state='speaking']", timeout=REPLY_TIMEOUT_MS)
    page.wait_for_selector("body[data-avatar-state='interrupted']", timeout=20_000)
    states = [m["state"] for m in events(page, "state")]
    assert states.index("interrupted") > states.index("speaking")
    assert "Open_Palm" in [g["name"] for g in events(page, "gesture")]


def test_visitor_walking_away_ends_the_session_and_the_kiosk_starts_afresh(
    camera_page, shared_data, media, e2e_artifacts
):
    y4m = write_y4m(
        media / "walk-away.y4m",
        [(still(shared_data / FACE, SIZE), 15.0), (blank(SIZE), 10.0)],
        SIZE,
    )
    page = camera_page(y4m, "?kiosk=1&camera=on&debug=1")
    first = start_session(page, click=False)
    wait_event(page, "m.type === 'presence' && m.present")
    wait_reply(page, "t => /welcome/i.test(t)")  # the avatar greets first
    ask(page, "When are you open?")
    wait_reply(page, "t => /Monday/.test(t)")
    assert page.is_visible(".card")
    # the face leaves the camera: the session ends, the kiosk starts a fresh one
    page.wait_for_function(
        f"() => document.body.dataset.sessionId && document.body.dataset.sessionId !== '{first}'",
        timeout=60_000,
    )
    ended = [m for m in events(page, "state") if m["state"] == "ended"]
    assert ended and ended[0]["reason"] == "visitor-left", ended
    assert "Monday" not in page.text_content("#captions")
    assert "When are you open" not in page.text_content("#captions")
    assert not page.is_visible(".card")
    shot(page, e2e_artifacts, "41-kiosk-after-visitor-left")


def test_with_consent_refused_no_frame_is_analysed(camera_page, dhe_server, shared_data, media):
    y4m = write_y4m(media / "face.y4m", [(still(shared_data / FACE, SIZE), 2.0)], SIZE)
    page = camera_page(y4m, "?camera=ask&debug=1")
    before = settled_frames(dhe_server, page)
    start_session(page)
    page.click("#consent-decline")
    page.wait_for_timeout(4000)
    assert frames_analysed(dhe_server) == before
    assert page.is_hidden("#camera-on")
    assert not events(page, "presence") and not events(page, "gesture")


def test_a_page_that_is_no_kiosk_asks_for_start_after_the_visitor_left(
    camera_page, shared_data, media
):
    """newcomer11: the end-of-visit line promised "Come closer to start again", which only a
    kiosk (``?kiosk=1``) does; any other page waits for Start and says so."""
    y4m = write_y4m(
        media / "walk-away-page.y4m",
        [(still(shared_data / FACE, SIZE), 6.0), (blank(SIZE), 10.0)],
        SIZE,
    )
    page = camera_page(y4m, "?camera=on")
    start_session(page)
    wait_event(page, "m.type === 'presence' && m.present")
    page.wait_for_selector("#attract-ended:not([hidden])", timeout=60_000)
    ended = page.text_content("#attract-ended")
    assert "Press Start to begin again" in ended and "Come closer" not in ended, ended
