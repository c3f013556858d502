"""The optional LLM that rewords knowledge-base answers (dialog/llm.py).

No LLM runs on this machine, so the OpenAI-compatible endpoint is a scripted stand-in behind
httpx's MockTransport: it answers with a fixed rewording, or fails on purpose (slow, HTTP 500,
malformed JSON, a rewording that invents a number). What is real: the request the engine sends,
the fact check, the deadline and the bank pack's dialog around it.
"""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest

from dialog.llm import LLMSettings, Rephraser, keeps_facts
from dialog.outside import reworded
from dialog.types import AuditEntry, ReplyPlan
from tests.conftest import trained_dialog

ANSWER = "The branch is open Monday to Friday from 9 am to 5 pm, and on Saturdays from 9 am to 12."
SETTINGS = LLMSettings("http://llm.invalid/v1", "small-model", api_key="k-123", timeout_s=0.5)


class Endpoint:
    """A scripted chat-completions endpoint; ``requests`` keeps what the engine sent."""

    def __init__(self, mode: str = "ok", content: str = "") -> None:
        self.mode, self.content = mode, content
        self.requests: list[httpx.Request] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.mode == "slow":
            await asyncio.sleep(5)
        if self.mode == "error":
            return httpx.Response(500, text="overloaded")
        if self.mode == "garbage":
            return httpx.Response(200, text="<html>not json</html>")
        body = {"choices": [{"message": {"role": "assistant", "content": self.content}}]}
        return httpx.Response(200, json=body)


def _rephraser(endpoint: Endpoint) -> Rephraser:
    return Rephraser(SETTINGS, transport=httpx.MockTransport(endpoint))


@pytest.mark.parametrize(
    ("candidate", "ok"),
    [
        ("We're open 9 to 5 on weekdays, and 9 to 12 on Saturdays.", True),
        ("We're open 9 to 6 on weekdays, and 9 to 12 on Saturdays.", False),  # 6 is made up
        ("We're open 9 to 5 on weekdays.", False),  # the Saturday hours were dropped
        ("Open 9 to 5, Saturdays 9 to 12; see https://example.com", False),  # a link
        ("", False),
        ("9 5 9 12 " + "very " * 100, False),  # far too long
    ],
)
def test_fact_check(candidate: str, ok: bool) -> None:
    assert keeps_facts(ANSWER, candidate) is ok


async def test_rewording_is_used_and_the_question_is_masked() -> None:
    endpoint = Endpoint(content="We're open 9 to 5 on weekdays, and from 9 to 12 on Saturdays.")
    rephraser = _rephraser(endpoint)
    got = await rephraser.rephrase("when are you open? my card is 6217991000024417", ANSWER, "en")
    assert got == endpoint.content
    (request,) = endpoint.requests
    assert request.url == "http://llm.invalid/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer k-123"
    body = json.loads(request.content)
    assert body["model"] == "small-model" and body["temperature"] == 0
    user = body["messages"][1]["content"]
    assert "6217991000024417" not in user and "4417" in user  # masked to the last 4
    await rephraser.aclose()


@pytest.mark.parametrize("mode", ["slow", "error", "garbage", "invented"])
async def test_failures_fall_back_to_the_cited_answer(mode: str) -> None:
    endpoint = Endpoint("ok" if mode == "invented" else mode, content="Open 8 to 8 every day!")
    rephraser = _rephraser(endpoint)
    t0 = time.perf_counter()
    assert await rephraser.rephrase("hours?", ANSWER, "en") is None
    assert time.perf_counter() - t0 < SETTINGS.timeout_s + 1.0  # the deadline holds
    assert await rephraser.rephrase("hours?", ANSWER, "en") is None
    # A failing endpoint is skipped for a while (cool-down); a rejected rewording is not.
    assert len(endpoint.requests) == (2 if mode == "invented" else 1)
    await rephraser.aclose()


async def test_session_speaks_the_rewording_of_faq_answers_only() -> None:
    engine = trained_dialog("bank").with_connector(None)  # type: ignore[arg-type]
    endpoint = Endpoint(
        content="We open at 9 am and close at 5 pm on weekdays; Saturdays 9 am to 12 noon; the ATMs run 24 hours."
    )
    engine.rephraser = _rephraser(endpoint)
    session = engine.new_session("llm-1", "auto")
    turn = await session.handle_text("what are your opening hours")
    (reply,) = turn.replies
    assert reply.text == endpoint.content and reply.source == "faq.en.md § Opening hours"
    turn = await session.handle_text("what's my balance")  # a verified flow: never the LLM
    assert len(endpoint.requests) == 1 and "last four digits" in turn.replies[0].text
    assert ("llm", "reworded: faq.en.md § Opening hours") in [
        (e.kind, e.detail) for e in session.audit
    ]
    session.close()


async def test_urgent_replies_are_never_reworded() -> None:
    """The emergency's and the scam's words (the pack's ``utter_emergency``,
    ``utter_scam_warning``, with the hand-off card) are said as written, whatever the LLM
    offers: a rewording that keeps 110/120/119 passes the fact check yet could soften "do not
    transfer any money" (review19). The scripted endpoint offers one for every request; none
    may be sent. A reply with a source that carries the hand-off card is not reworded either
    (before, any reply with a source was)."""
    engine = trained_dialog("bank").with_connector(None)  # type: ignore[arg-type]
    endpoint = Endpoint(
        content="Stay calm. Call 110, 120 or 119 if anyone is hurt; help is coming."
    )
    engine.rephraser = _rephraser(endpoint)
    pack = engine.pack
    for language, line, name in (
        ("en", "help, there is a fire", "utter_emergency"),
        ("zh", "有人打电话说我涉嫌洗钱，让我把钱转到安全账户", "utter_scam_warning"),
    ):
        session = engine.new_session(f"llm-urgent-{language}", language)
        turn = await session.handle_text(line)
        assert turn.handoff and [r.text for r in turn.replies] == [
            pack.responses[name].texts[language]
        ], turn.replies
        assert turn.replies[0].card == {"kind": "handoff"}
        session.close()
    assert endpoint.requests == []
    cited = ReplyPlan(
        "Call 110 at once; a colleague is on the way.",
        "en",
        card={"kind": "handoff"},
        source="faq.en.md § Emergencies",
    )
    audit: list[AuditEntry] = []
    assert await reworded(engine, "help", cited, audit) == cited
    assert endpoint.requests == [] and audit == []
    await engine.rephraser.aclose()
