"""The ``?debug=1`` latency report: each turn's intent, a column for a turn that was interrupted,
and the report placed beside or below the video, never over the avatar."""

from __future__ import annotations

import pytest

from tests.e2e.pages import REPLY_TIMEOUT_MS, ask, shot, start_session, wait_reply

pytestmark = pytest.mark.slow

CELL_JS = """
([stage, column]) => document.querySelector(
  `#debug-table tr[data-stage="${stage}"] td:nth-child(${column + 1})`)?.textContent ?? null
"""


def test_debug_report_shows_intent_and_interrupted_turns_beside_the_video(
    open_visitor, e2e_artifacts
):
    page = open_visitor("?debug=1")
    start_session(page)
    ask(page, "What are your opening hours?")
    wait_reply(page, "t => /open/i.test(t)")
    page.wait_for_function(f"() => ({CELL_JS})(['dialog', 1]) !== null", timeout=REPLY_TIMEOUT_MS)
    intent = page.evaluate(CELL_JS, ["intent", 1])
    assert intent not in (None, "", "—"), intent
    assert page.evaluate(CELL_JS, ["interrupted", 1]) == "—"

    # a second question, then a third typed while the second is being answered: the second
    # turn gets its own column marked as interrupted by typing
    page.wait_for_function("() => document.body.dataset.avatarState === 'idle'", timeout=60_000)
    ask(page, "How do I open an account?")
    page.wait_for_function(
        "() => ['speaking', 'thinking'].includes(document.body.dataset.avatarState)",
        timeout=REPLY_TIMEOUT_MS,
    )
    page.wait_for_function(
        "() => document.body.dataset.avatarState === 'speaking'", timeout=REPLY_TIMEOUT_MS
    )
    ask(page, "What are your opening hours?")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#debug-table tr[data-stage=\"interrupted\"] td')]"
        ".some((td) => td.textContent === 'typed')",
        timeout=REPLY_TIMEOUT_MS,
    )
    columns = page.evaluate(
        "() => [...document.querySelectorAll('#debug-table thead th')].map((th) => th.textContent)"
    )
    assert len(columns) >= 3, columns  # the "ms" label + at least two turns
    cut = page.evaluate(
        "() => [...document.querySelectorAll('#debug-table tr[data-stage=\"interrupted\"] td')]"
        ".findIndex((td) => td.textContent === 'typed')"
    )
    # the cut turn's figures: its dialog ran before it was cut (the server's metrics for it)
    assert page.evaluate(CELL_JS, ["dialog", cut]) not in (None, "—"), cut

    # beside or below the video: the report and the avatar video do not overlap
    boxes = page.evaluate(
        """() => [document.getElementById('debug'), document.getElementById('avatar')]
             .map((n) => { const r = n.getBoundingClientRect();
                           return [r.left, r.top, r.right, r.bottom]; })"""
    )
    (dl, dt, dr, db), (vl, vt, vr, vb) = boxes
    assert dr <= vl or dl >= vr or db <= vt or dt >= vb, boxes
    assert db - dt > 40  # and it is there to read
    shot(page, e2e_artifacts, "21-debug-report")
