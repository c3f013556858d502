"""A slot card's buttons name the hall in the session's language (newcomer #13): on the Chinese
tax page the buttons said "09:00 · Hall A" while the caption said A厅. The page's own
``CardPanel`` (cards.js) in real Chromium, given a reply's card and its language as
``events.js`` hands them over. The page's files are served to the browser straight from
``web_client/`` (Playwright's request routing): the cards need no running engine."""

from __future__ import annotations

import mimetypes

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow

#: The slots card of the tax pack's booking step (assets/domains/tax/responses.yaml), with the
#: sandbox's English hall names; returns each button's text and the receipt card's rows.
SLOT_CARD_JS = """
async (language) => {
  const { CardPanel } = await import('./js/cards.js');
  const box = document.createElement('div');
  const empty = document.createElement('p');
  document.body.append(box, empty);
  const t = (key) => key;
  const panel = new CardPanel(box, empty, {t, i18n: {has: () => false, lang: 'en'},
                                           sendText: () => {}, openKeypad: () => {},
                                           focusText: () => {}});
  panel.add({kind: 'slots', date: '2026-12-08', slots: [
    {slot_id: 'S-1', date: '2026-12-08', start: '09:00', hall: 'Hall A'},
    {slot_id: 'S-2', date: '2026-12-08', start: '09:30', hall: '东门窗口'}]}, language);
  panel.add({kind: 'receipt', reference: 'B-1', date: '2026-12-08', start: '09:00',
             hall: 'Hall A'}, language);
  const buttons = [...box.querySelectorAll('.card-slots button')].map((b) => b.textContent);
  const rows = [...box.querySelectorAll('.card-receipt dd')].map((d) => d.textContent);
  box.remove(); empty.remove();
  return {buttons, rows};
}
"""


WEB = REPO_ROOT / "web_client"
ORIGIN = "http://cards.test"


def _serve_web_client(route) -> None:
    path = (WEB / route.request.url.removeprefix(ORIGIN + "/").split("?")[0]).resolve()
    if not path.is_file() or WEB not in path.parents:
        route.fulfill(status=404, body="")
        return
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    route.fulfill(
        status=200,
        body=path.read_bytes(),
        content_type=kind.replace("text/javascript", "application/javascript"),
    )


def test_slot_buttons_name_the_hall_in_the_reply_language(browser):
    context = browser.new_context()
    page = context.new_page()
    page.route(f"{ORIGIN}/**", _serve_web_client)
    page.goto(f"{ORIGIN}/index.html")
    zh = page.evaluate(SLOT_CARD_JS, "zh")
    # the page's UI strings say English here (i18n.lang 'en'): the reply's language wins
    assert zh["buttons"] == ["09:00 · A厅", "09:30 · 东门窗口"], zh
    assert "A厅" in zh["rows"] and "Hall A" not in zh["rows"], zh
    en = page.evaluate(SLOT_CARD_JS, "en")
    assert en["buttons"] == ["09:00 · Hall A", "09:30 · 东门窗口"], en
    assert "Hall A" in en["rows"], en
    context.close()
