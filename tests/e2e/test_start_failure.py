"""What a failed session start shows (web_client/js/start_failure.js ``startFailure``), run in
the real headless Chromium: a setup mistake or a failed server start is an error notice checked
again seldom, anything else a warning and the next back-off delay. The page's own refusals are
in test_page_sessions.py; this pins each error code's notice, values and status chip."""

from __future__ import annotations

import pytest

from tests.e2e.pages import module_harness

HARNESS = """<!doctype html><script type="module">
import { startFailure } from "./js/start_failure.js";
window.startFailure = startFailure;
window.ready = true;
</script>"""


@pytest.fixture
def page(browser):
    with module_harness(browser, HARNESS) as page:
        yield page


@pytest.mark.parametrize(
    ("error", "reconnect", "ever_connected", "expected"),
    [
        # a misspelt ?domain (4xx): staff must fix it; checked again every config_retry_ms
        (
            {"status": 404, "code": "unknown-domain"},
            False,
            False,
            {"key": "notice.config_error", "retry": "config"},
        ),
        (
            {"status": 503, "code": "start-up-failed"},
            True,
            True,
            {"key": "notice.out_of_service", "retry": "config"},
        ),
        # 429 is not a setup mistake: the address's share of sessions frees up
        (
            {"status": 429, "code": "too-many-sessions-from-address"},
            False,
            False,
            {
                "key": "notice.address_busy",
                "vars": {"status": 429, "code": "too-many-sessions-from-address"},
                "retry": "backoff",
                "status": None,
            },
        ),
        (
            {"status": 503, "code": "not-ready"},
            False,
            False,
            {"key": "notice.not_ready", "vars": {}, "retry": "backoff", "status": "starting"},
        ),
        (
            {"status": 503, "code": "not-ready"},
            True,
            True,
            {"key": "notice.not_ready", "vars": {}, "retry": "backoff", "status": None},
        ),
        (
            {"status": 429, "code": "too-many-sessions"},
            False,
            False,
            {"key": "notice.busy", "vars": {}, "retry": "backoff", "status": None},
        ),
        # the server not reached at all: "reconnecting" only once there was a session to lose
        (
            {},
            True,
            True,
            {"key": "notice.reconnecting", "vars": {}, "retry": "backoff", "status": None},
        ),
        (
            {},
            True,
            False,
            {"key": "notice.start_failed", "vars": {}, "retry": "backoff", "status": None},
        ),
    ],
)
def test_each_refusal_gets_its_notice_and_retry(
    page, error: dict, reconnect: bool, ever_connected: bool, expected: dict
) -> None:
    got = page.evaluate(
        "([error, reconnect, everConnected]) => startFailure(error, {reconnect, everConnected})",
        [error, reconnect, ever_connected],
    )
    assert got == expected
