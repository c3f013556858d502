"""Every control of the visitor page stays on screen and clickable with the keypad open, on a
1280×800 tablet, a 1920×1080 screen and a 1080×1920 portrait kiosk: the element at the centre of
each control (``document.elementFromPoint``) is that control, without scrolling anything."""

from __future__ import annotations

import pytest

from tests.e2e.pages import REPLY_TIMEOUT_MS, ask, shot, start_session

pytestmark = pytest.mark.slow

VIEWPORTS = [(1280, 800), (1920, 1080), (1080, 1920)]
CONTROLS = [
    "#handoff",
    "#end-session",
    "#keypad-open",
    "#text-input",
    "#text-send",
    ".lang-btn[data-lang='zh']",
    ".lang-btn[data-lang='en']",
    "#keypad .key[data-key='1']",
    "#keypad .key[data-key='0']",
    "#keypad .key[data-key='ok']",
    "#keypad-close",
]

#: For each selector: where its centre is, whether it lies inside the viewport, and whether the
#: element found there is the control (or inside it). Nothing is scrolled first.
REACHABLE_JS = """
(selectors) => selectors.map((selector) => {
  const node = document.querySelector(selector);
  if (!node) return {selector, found: false};
  const r = node.getBoundingClientRect();
  const x = r.left + r.width / 2, y = r.top + r.height / 2;
  const inView = r.width > 0 && r.height > 0 && x >= 0 && y >= 0
    && x < window.innerWidth && y < window.innerHeight;
  const hit = inView ? document.elementFromPoint(x, y) : null;
  return {selector, found: true, inView, hit: Boolean(hit && (hit === node || node.contains(hit))),
          at: [Math.round(x), Math.round(y)], hitId: hit ? (hit.id || hit.className) : null};
})
"""


def _unreachable(page) -> list[dict]:
    return [c for c in page.evaluate(REACHABLE_JS, CONTROLS) if not c.get("hit")]


def test_every_control_is_reachable_with_the_keypad_open(open_visitor, e2e_artifacts):
    page = open_visitor(viewport=VIEWPORTS[0])
    start_session(page)
    ask(page, "What is my balance?")
    # the dialog asks for the card digits and opens the keypad
    page.wait_for_selector("#keypad:not([hidden])", timeout=REPLY_TIMEOUT_MS)
    for width, height in VIEWPORTS:
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(300)  # layout settles
        name = f"20-keypad-{width}x{height}"
        shot(page, e2e_artifacts, name)
        missing = _unreachable(page)
        assert not missing, (f"{width}x{height}", missing)
        # the page itself does not scroll: everything fits
        overflow = page.evaluate(
            "() => [document.documentElement.scrollHeight - window.innerHeight,"
            " document.documentElement.scrollWidth - window.innerWidth]"
        )
        assert overflow[0] <= 1 and overflow[1] <= 1, (f"{width}x{height}", overflow)
