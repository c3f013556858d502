"""What a screen reader announces on the visitor page (newcomer16 #1): each answer once.

The avatar's caption (``#caption-avatar``) is the page's one announcer of answers, a polite
live region (WAI-ARIA 1.2 ``aria-live``; the APG asks for one region per piece of news, as two
regions with the same words make a screen reader read it twice). The cards beside it carry the
same answer's figures and are reached by moving into their region (``role="region"``, named
"Answers"), so they are not live. A turn's later reply is added to the caption as a node of its
own, so only the new words are announced, not the turn's first reply again.
"""

from __future__ import annotations

import pytest

from tests.e2e.pages import REPLY_TIMEOUT_MS, ask, start_session, wait_reply

pytestmark = pytest.mark.slow

#: The live regions of the page that contain ``node`` (itself or an ancestor): an explicit
#: ``aria-live`` other than "off", or a role whose live-ness is implicit (WAI-ARIA 1.2: alert,
#: log, marquee, status, timer).
LIVE_REGIONS_JS = """
(selector) => {
  const implicit = new Set(["alert", "log", "marquee", "status", "timer"]);
  const live = (el) => {
    const attr = el.getAttribute("aria-live");
    if (attr !== null) return attr !== "off";
    return implicit.has(el.getAttribute("role"));
  };
  const out = [];
  for (let el = document.querySelector(selector); el; el = el.parentElement) {
    if (live(el)) out.push(el.id || el.tagName);
  }
  return out;
}
"""


def test_an_answer_is_announced_by_the_caption_alone(open_visitor):
    """An FAQ answer shows a caption and a card; only the caption is in a live region."""
    page = open_visitor()
    start_session(page)
    ask(page, "How do I send money abroad?")
    page.wait_for_selector("#cards .card-faq", timeout=REPLY_TIMEOUT_MS)
    caption = wait_reply(page)
    assert len(caption) > 20, caption
    assert page.evaluate(LIVE_REGIONS_JS, "#caption-avatar") == ["caption-avatar"]
    assert page.evaluate(LIVE_REGIONS_JS, "#cards .card-faq") == []
    assert page.evaluate(LIVE_REGIONS_JS, "#cards .card-faq .card-line") == []
    # the cards are a named region a screen reader can move to
    assert page.get_attribute("#cards", "role") == "region"
    assert page.get_attribute("#cards", "aria-label") == "Answers"
    # and the card still takes the keyboard: its "whole answer" opens with Enter
    page.focus("#cards .card-faq .card-more summary")
    page.keyboard.press("Enter")
    assert page.locator("#cards .card-faq .card-more .card-line").is_visible()


#: Two replies of one turn given to the page's own Captions class (its module, as served), on
#: a live caption of its own; a MutationObserver records what changes in it.
TWO_REPLIES_JS = """
async () => {
  const { Captions } = await import("/js/captions.js");
  const avatar = document.createElement("p");
  avatar.setAttribute("aria-live", "polite");
  const visitor = document.createElement("p");
  document.body.append(avatar, visitor);
  const captions = new Captions(avatar, visitor, { t: (key) => key });
  captions.avatar("Your balance is 1,204.50 yuan.", "en", "t1");
  const first = avatar.firstChild;
  const changes = [];
  const observer = new MutationObserver((records) => {
    for (const r of records) {
      changes.push({
        type: r.type,
        added: [...r.addedNodes].map((n) => n.textContent),
        removed: [...r.removedNodes].map((n) => n.textContent),
      });
    }
  });
  observer.observe(avatar, { childList: true, characterData: true, subtree: true });
  captions.avatar("Anything else?", "en", "t1");
  await new Promise((r) => setTimeout(r, 0));
  const sameTurn = { changes: [...changes], firstKept: avatar.firstChild === first,
    text: avatar.textContent };
  changes.length = 0;
  captions.avatar("Goodbye.", "en", "t2");
  await new Promise((r) => setTimeout(r, 0));
  observer.disconnect();
  avatar.remove();
  visitor.remove();
  return { sameTurn, nextTurn: { changes, text: avatar.textContent } };
}
"""


def test_a_later_reply_of_a_turn_adds_only_its_own_words(open_visitor):
    """The old caption set its whole text again for a turn's second reply, so a screen reader
    read the first reply twice; now only the new words are added, and a new turn replaces it."""
    page = open_visitor()
    result = page.evaluate(TWO_REPLIES_JS)
    same = result["sameTurn"]
    assert same["text"] == "Your balance is 1,204.50 yuan. Anything else?"
    assert same["firstKept"] is True
    assert same["changes"] == [{"type": "childList", "added": [" Anything else?"], "removed": []}]
    nxt = result["nextTurn"]
    assert nxt["text"] == "Goodbye."
    assert any("Your balance" in r for c in nxt["changes"] for r in c["removed"])
