"""The README's first screen, done by a person: after ``make run`` (``dhe serve`` with the embedded
sandboxes and random one-time codes) they ask for the balance, type card 4417 on the keypad, read
the code the bank texted on the demo phone page (linked from the visitor page), type it, and see
the balance."""

from __future__ import annotations

import json
import re

import pytest

from tests.e2e.pages import REPLY_TIMEOUT_MS, ask, keypad_enter, shot, start_session

pytestmark = pytest.mark.slow

CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")
AMOUNT = re.compile(r"\d{1,3}(?:,\d{3})*\.\d{2}")


def test_the_readme_demo_can_be_finished_with_the_demo_phone(
    make_run_server, browser, e2e_artifacts
):
    status, body = make_run_server.request("GET", "/demo/phone.json")
    assert status == 200, body
    assert json.loads(body) == {"messages": []}

    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    try:
        page = context.new_page()
        page.goto(make_run_server.url)
        page.wait_for_selector("body[data-ready='true']", timeout=15_000)
        # the visitor page links the demo phone (embedded mode)
        link = page.locator("#demo-phone-link a")
        assert link.is_visible()
        assert link.get_attribute("href") == "demo/phone"

        start_session(page)
        ask(page, "What is my balance?")
        keypad_enter(page, "4417")
        page.wait_for_function(
            "() => !document.getElementById('keypad').hidden"
            " && document.getElementById('keypad-prompt').textContent.includes('6')",
            timeout=REPLY_TIMEOUT_MS,
        )

        # the code is on the demo phone, newest message at the bottom and in view
        phone = context.new_page()
        phone.goto(make_run_server.url + link.get_attribute("href"))
        phone.wait_for_selector("body[data-messages='1']", timeout=10_000)
        newest = phone.locator(".phone-message.newest")
        assert newest.is_visible()
        assert "*******1288" in newest.text_content()
        code = CODE.search(newest.locator(".phone-text").text_content()).group(1)
        shot(phone, e2e_artifacts, "25-demo-phone")

        status, body = make_run_server.request("GET", "/demo/phone.json")
        (message,) = json.loads(body)["messages"]
        assert set(message) == {"to", "text", "sent_at"} and message["to"] == "*******1288"
        assert code in message["text"]

        page.bring_to_front()
        keypad_enter(page, code)
        card = page.wait_for_selector("#cards .card-balance", timeout=REPLY_TIMEOUT_MS)
        assert AMOUNT.search(card.text_content()), card.text_content()
        page.wait_for_function(
            "() => /balance|余额/i.test(document.getElementById('caption-avatar').textContent)",
            timeout=REPLY_TIMEOUT_MS,
        )
        page.wait_for_timeout(1500)
        shot(page, e2e_artifacts, "26-balance-after-demo-phone")
    finally:
        context.close()


def test_the_demo_phone_page_refreshes_itself(dhe_server, browser, e2e_artifacts):
    # the shared server: a code sent while the phone page is open appears without a reload
    context = browser.new_context(viewport={"width": 720, "height": 1000}, locale="en-US")
    try:
        phone = context.new_page()
        phone.goto(dhe_server.url + "demo/phone")
        phone.wait_for_selector("body[data-ready='true']", timeout=10_000)
        before = int(phone.get_attribute("body", "data-messages") or "0")
        page = context.new_page()
        page.goto(dhe_server.url)
        page.wait_for_selector("body[data-ready='true']", timeout=15_000)
        start_session(page)
        ask(page, "What is my balance?")
        keypad_enter(page, "4417")
        phone.wait_for_selector(f"body[data-messages='{before + 1}']", timeout=REPLY_TIMEOUT_MS)
        assert "123456" in phone.locator(".phone-message.newest").text_content()  # demo code on
    finally:
        context.close()
