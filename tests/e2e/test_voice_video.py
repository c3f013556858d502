"""Speech and video through the real WebRTC path: Chromium's fake microphone plays a recorded
clip from ../shared/data into the visitor page, ``dhe serve`` hears it, the caption shows the
transcript, the avatar answers, and the <video> element plays changing frames. Also the camera
consent: the camera is not attached before the visitor answers the on-screen notice, nor after a
decline.
"""

from __future__ import annotations

from itertools import pairwise

import jiwer
import numpy as np
import pytest
from whisper_normalizer.english import EnglishTextNormalizer

from tests.e2e.conftest import MIC_CLIP
from tests.e2e.pages import (
    RECORD_CAPTIONS_JS,
    REPLY_TIMEOUT_MS,
    VIDEO_SNAPSHOT_JS,
    shot,
    start_session,
    wait_reply,
)

pytestmark = pytest.mark.slow

#: tiny.en on this clip: WER 0.0-0.08 measured; a broken path (lost or clipped audio) is far off.
MAX_WER = 0.3
#: Mean absolute grey-level change (0-255, 64×64 snapshot) that counts as a different frame.
FRAME_CHANGE = 0.5


def _reference(transcripts: list[dict[str, str]]) -> str:
    name = MIC_CLIP.rsplit("/", 1)[-1]
    return next(row["reference"] for row in transcripts if row["file"].endswith(name))


@pytest.mark.needs_data
def test_spoken_question_captioned_answered_and_video_plays(
    open_visitor, transcripts, mic_clip, e2e_artifacts
):
    assert mic_clip is not None
    reference = _reference(transcripts)
    page = open_visitor("?debug=1", permissions=("microphone", "camera"))
    page.evaluate(RECORD_CAPTIONS_JS)
    start_session(page)
    assert page.is_hidden("#mic-off")

    # the video element plays the avatar at the server's size
    page.wait_for_function(
        "() => { const v = document.querySelector('video');"
        " return v.videoWidth > 0 && !v.paused && v.currentTime > 0.5; }",
        timeout=20_000,
    )

    # camera consent: nothing is sent before the visitor accepts
    page.wait_for_selector("#consent:not([hidden])")
    assert page.evaluate("() => document.querySelector('#camera-on').hidden"), (
        "camera on before consent"
    )
    # declined here: Chromium's fake camera shows no face, and with the camera on the speaker
    # gate rightly refuses a voice whose lips it cannot see (tests/e2e/test_camera.py accepts)
    page.click("#consent-decline")
    page.wait_for_selector("#consent", state="hidden")
    assert page.is_hidden("#camera-on")

    # the fake microphone's clip → the visitor caption, partial first where the server sent any
    page.wait_for_function(
        "() => window.__captions.some(([text, final]) => final && text.length > 20)",
        timeout=REPLY_TIMEOUT_MS,
    )
    captions = page.evaluate("window.__captions")
    final_text = next(text for text, final in captions if final and len(text) > 20)
    normalize = EnglishTextNormalizer()
    wer = jiwer.wer(normalize(reference), normalize(final_text))
    assert wer <= MAX_WER, (final_text, reference, wer)
    partials = [text for text, final in captions if not final and text]
    # partials are provisional: a final caption always follows the last of them
    last_final = max(i for i, (text, final) in enumerate(captions) if final and text)
    assert all(i < last_final for i, (text, final) in enumerate(captions) if not final and text), (
        captions
    )

    # the avatar answers it (a caption) and speaks: the frames change while it does
    wait_reply(page)
    snapshots = []
    for _ in range(12):
        snapshots.append(page.evaluate(VIDEO_SNAPSHOT_JS))
        page.wait_for_timeout(250)
    assert {s["width"] for s in snapshots} == {512}
    assert snapshots[-1]["time"] > snapshots[0]["time"]
    frames = [np.asarray(s["grey"], dtype=np.float32) for s in snapshots]
    assert frames[0].std() > 10.0, "the video is blank"
    changes = [float(np.abs(a - b).mean()) for a, b in pairwise(frames)]
    assert max(changes) > FRAME_CHANGE, changes
    shot(page, e2e_artifacts, "10-spoken-turn")

    # the debug overlay shows this turn's latency report with real numbers
    page.wait_for_function(
        "() => /\\d/.test(document.querySelector('#debug-table tr[data-stage=\"asr\"] td:nth-child(2)')?.textContent ?? '')",
        timeout=REPLY_TIMEOUT_MS,
    )
    asr_ms = float(page.text_content("#debug-table tr[data-stage='asr'] td:nth-child(2)"))
    assert 0 < asr_ms < 30_000
    print(f"final caption {final_text!r} (WER {wer:.2f}); partials {partials}; asr {asr_ms} ms")


def test_camera_refusal_is_explained_and_typing_still_works(open_visitor, e2e_artifacts):
    # no permissions at all: the visitor accepts the notice, the browser refuses the camera
    page = open_visitor("?camera=ask")
    start_session(page)
    page.wait_for_selector("#consent:not([hidden])")
    page.click("#consent-accept")
    page.wait_for_function(
        "() => /camera is not allowed/i.test(document.getElementById('notice').textContent)"
    )
    assert "works without it" in page.text_content("#notice")
    assert page.is_hidden("#camera-on")
    assert page.is_hidden("#consent")
    page.fill("#text-input", "What are your opening hours?")
    page.press("#text-input", "Enter")
    assert "open" in wait_reply(page, "t => /open/i.test(t)").lower()
    shot(page, e2e_artifacts, "11-camera-refused")
