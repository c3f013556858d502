"""A lobby that talks: Chromium's fake microphone plays a recorded clip (speech in the hall) into
the visitor page. Interim captions show while the visitor speaks; a typed question's answer is
never cut off by what the microphone hears (only by typing again)."""

from __future__ import annotations

import pytest

from tests.e2e.pages import RECORD_CAPTIONS_JS, REPLY_TIMEOUT_MS, ask, shot, start_session

pytestmark = [pytest.mark.slow, pytest.mark.needs_data]

#: Record every state the server announces (window.__states) as the page shows it.
RECORD_STATES_JS = """
() => {
  window.__states = [];
  new MutationObserver(() => window.__states.push(document.body.dataset.avatarState))
    .observe(document.body, {attributes: true, attributeFilter: ['data-avatar-state']});
}
"""


def test_interim_captions_show_while_the_visitor_speaks(open_visitor, mic_clip, e2e_artifacts):
    assert mic_clip is not None
    page = open_visitor(permissions=("microphone",))
    page.evaluate(RECORD_CAPTIONS_JS)
    start_session(page)
    page.wait_for_function(
        "() => window.__captions.some(([text, final]) => final && text.length > 20)",
        timeout=REPLY_TIMEOUT_MS,
    )
    captions = page.evaluate("window.__captions")
    partials = [text for text, final in captions if not final and text]
    assert partials, f"no interim caption before the final one: {captions}"
    first_final = next(i for i, (text, final) in enumerate(captions) if final and text)
    first_partial = next(i for i, (text, final) in enumerate(captions) if not final and text)
    assert first_partial < first_final
    shot(page, e2e_artifacts, "23-interim-caption")


def test_speech_in_the_hall_never_cuts_off_a_typed_answer(open_visitor, mic_clip, e2e_artifacts):
    assert mic_clip is not None
    page = open_visitor(permissions=("microphone",))
    page.evaluate(RECORD_STATES_JS)
    start_session(page)
    # typed at once: the clip's speech starts a few seconds after the microphone opened, while
    # this answer (several sentences) is being prepared and spoken
    ask(page, "How do I open an account?")
    page.wait_for_function("() => window.__states.includes('speaking')", timeout=REPLY_TIMEOUT_MS)
    page.wait_for_function(
        "() => window.__states.lastIndexOf('idle') > window.__states.indexOf('speaking')",
        timeout=90_000,
    )
    states = page.evaluate("window.__states")
    spoken = states[: states.index("idle", states.index("speaking")) + 1]
    assert "interrupted" not in spoken, states
    assert "listening" not in spoken[spoken.index("speaking") :], states
    answer = page.text_content("#caption-avatar")
    assert "account" in answer.lower() and "passport" in answer.lower(), answer
    shot(page, e2e_artifacts, "24-typed-answer-in-a-talking-lobby")
