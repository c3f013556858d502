"""The page's watch on its peer connection (web_client/js/connection.js ``watchPeer``), run in
the real headless Chromium on a stand-in RTCPeerConnection whose state the test sets: a fault
injected on purpose, since a real one cannot be made to go "disconnected" on cue.

newcomer14: on a loaded server a typed turn delayed the server's packets past Chrome's ~2.5 s,
the connection went "disconnected", and 4 s later the page dropped the session (and the flow in
it) six times in six minutes, its events socket still open all along. While the server is still
there (``alive``) the page now waits longer; a dead one is still lost after the short grace."""

from __future__ import annotations

import pytest

from tests.conftest import REPO_ROOT
from tests.e2e.pages import module_harness

HARNESS = """<!doctype html><script type="module">
import { watchPeer } from "./js/connection.js";
window.watch = (aliveFlag) => {
  const pc = new EventTarget();
  pc.connectionState = "connected";
  const run = { lost: 0, pc, alive: aliveFlag };
  watchPeer(pc, () => { run.lost += 1; }, 150, () => run.alive, 900);
  run.set = (state) => { pc.connectionState = state; pc.dispatchEvent(new Event("connectionstatechange")); };
  return run;
};
window.ready = true;
</script>"""


@pytest.fixture
def page(browser):
    with module_harness(browser, HARNESS) as page:
        yield page


def _lost_after(page, alive: bool, steps: list[tuple[int, str | None]]) -> list[int]:
    """Run ``steps`` (wait ms, then set the state, None: only wait); the loss count after each."""
    return page.evaluate(
        """async ([alive, steps]) => {
          const run = window.watch(alive);
          const out = [];
          for (const [ms, state] of steps) {
            await new Promise((r) => setTimeout(r, ms));
            if (state) run.set(state);
            out.push(run.lost);
          }
          return out;
        }""",
        [alive, steps],
    )


def test_a_silent_peer_with_the_server_still_there_is_given_time(page) -> None:
    # disconnected at 0; at 500 ms (past the 150 ms grace) not lost while alive; at 1200 ms
    # (past the 900 ms alive grace) lost once
    assert _lost_after(page, True, [(0, "disconnected"), (500, None), (700, None)]) == [0, 0, 1]


def test_a_peer_that_comes_back_is_never_lost(page) -> None:
    assert _lost_after(page, True, [(0, "disconnected"), (400, "connected"), (900, None)]) == [
        0,
        0,
        0,
    ]


def test_without_the_server_the_short_grace_holds(page) -> None:
    assert _lost_after(page, False, [(0, "disconnected"), (400, None)]) == [0, 1]


def test_failed_is_lost_at_once(page) -> None:
    assert _lost_after(page, True, [(0, "failed")]) == [1]


def test_the_page_passes_its_events_socket_as_the_sign_of_life() -> None:
    app = (REPO_ROOT / "web_client" / "js" / "app.js").read_text(encoding="utf-8")
    assert "session.socket?.readyState === WebSocket.OPEN" in app
