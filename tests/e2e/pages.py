"""Actions and reads on the visitor page shared by the e2e tests (Playwright sync API)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import REPO_ROOT

#: A reply on this machine: dialog + first TTS sentence (≈ 1-5 s on 2 cores), with margin.
REPLY_TIMEOUT_MS = 45_000
CONNECT_TIMEOUT_MS = 30_000
CJK = re.compile(r"[\u4e00-\u9fff]")

#: Draw the avatar <video> into a small canvas: grey levels (64×64) plus the frame size.
VIDEO_SNAPSHOT_JS = """
() => {
  const video = document.querySelector('video');
  const size = 64;
  const canvas = document.createElement('canvas');
  canvas.width = size; canvas.height = size;
  const g = canvas.getContext('2d', {willReadFrequently: true});
  g.drawImage(video, 0, 0, size, size);
  const rgba = g.getImageData(0, 0, size, size).data;
  const grey = [];
  for (let i = 0; i < rgba.length; i += 4) grey.push((rgba[i] + rgba[i + 1] + rgba[i + 2]) / 3);
  return {grey, width: video.videoWidth, height: video.videoHeight, time: video.currentTime,
          paused: video.paused};
}
"""

#: Record every change of the visitor caption as [text, final] pairs in window.__captions.
RECORD_CAPTIONS_JS = """
() => {
  window.__captions = [];
  const el = document.getElementById('caption-visitor');
  new MutationObserver(() => {
    window.__captions.push([el.textContent, el.dataset.final === 'true']);
  }).observe(el, {childList: true, characterData: true, subtree: true, attributes: true,
                  attributeFilter: ['data-final']});
}
"""


def start_session(page, *, click: bool = True) -> str:
    """Press Start (unless the page started itself) and wait until connected; the session id."""
    if click:
        page.click("#start")
    page.wait_for_selector("#status[data-state='connected']", timeout=CONNECT_TIMEOUT_MS)
    return page.get_attribute("body", "data-session-id")


def ask(page, text: str) -> None:
    """Type a question into the text box and send it with Enter."""
    page.fill("#text-input", text)
    page.press("#text-input", "Enter")


def wait_reply(page, predicate_js: str = "t => t.length > 0", timeout_ms: int = REPLY_TIMEOUT_MS):
    """Wait until the avatar caption satisfies ``predicate_js`` (a JS function of its text)."""
    page.wait_for_function(
        f"() => ({predicate_js})(document.getElementById('caption-avatar').textContent)",
        timeout=timeout_ms,
    )
    return page.text_content("#caption-avatar")


def keypad_enter(page, digits: str, *, keyboard: bool = False) -> None:
    """Enter ``digits`` on the open keypad and press OK (by clicks, or by the keyboard)."""
    page.wait_for_selector("#keypad:not([hidden])", timeout=REPLY_TIMEOUT_MS)
    for d in digits:
        if keyboard:
            page.keyboard.press(d)
        else:
            page.click(f"#keypad .key[data-key='{d}']")
    if keyboard:
        page.keyboard.press("Enter")
    else:
        page.click("#keypad .key[data-key='ok']")


def shot(page, folder: Path, name: str) -> Path:
    """Save a screenshot of the page as a test artifact."""
    path = folder / f"{name}.png"
    page.screenshot(path=str(path))
    return path


#: The origin a module harness is served from (routed inside the browser, never on the network).
HARNESS_ORIGIN = "http://page.test"


@contextlib.contextmanager
def module_harness(browser, html: str) -> Iterator:
    """A Playwright page, in a fresh context of ``browser``, that loads ``html`` (a harness whose
    module script imports the page's own ``./js/…`` modules from web_client and sets
    ``window.ready = true``) with no server: the harness and web_client's files are answered
    by a route (any other path 404). Yields the page once ``window.ready`` is true; closes its
    context after."""
    context = browser.new_context()
    page = context.new_page()

    def serve(route) -> None:
        path = route.request.url.removeprefix(HARNESS_ORIGIN + "/")
        if path == "harness.html":
            route.fulfill(body=html, content_type="text/html")
            return
        file = (REPO_ROOT / "web_client" / path).resolve()
        if not file.is_relative_to(REPO_ROOT / "web_client") or not file.is_file():
            route.fulfill(status=404)
            return
        route.fulfill(body=Path(file).read_bytes(), content_type="text/javascript")

    try:
        page.route(f"{HARNESS_ORIGIN}/**", serve)
        page.goto(f"{HARNESS_ORIGIN}/harness.html")
        page.wait_for_function("window.ready === true")
        yield page
    finally:
        context.close()
