"""The page's "Talk to a person" button answers in the language the avatar was answering in
(newcomer17): on ``/?lang=zh`` the page offers ``language: "auto"``; a visitor who typed
你们几点开门？ got a Chinese answer, then pressed 转人工服务 and heard "I'm calling a colleague
for you now…" in English, the badge and AI mark switching to English with it. The button's
words were chosen by the session's language setting (``auto``: English) rather than the
language the conversation is in.

One real ``dhe serve`` (the shared default server), a real aiortc visitor typing on the
events socket, the real dialog."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.visitor import VisitorClient

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def server(default_server) -> str:
    return default_server.idle()


def a_reply(m: dict) -> bool:
    return m.get("type") == "reply" and bool(m.get("text"))


@pytest.mark.parametrize(
    ("question", "language"), [("你们几点开门？", "zh"), ("When are you open?", "en")]
)
async def test_the_handoff_button_answers_in_the_conversation_language(
    server: str, question: str, language: str
) -> None:
    visitor = VisitorClient(server, decode_video=False)
    loop = asyncio.get_running_loop()
    await visitor.connect(language="auto")
    try:
        await visitor.wait_event(lambda m: m.get("state") == "idle", timeout=120)
        await visitor.send_event({"type": "text", "text": question})
        answer = await visitor.wait_event(a_reply, timeout=120)
        assert answer["language"] == language, answer
        pressed = loop.time()
        await visitor.send_event({"type": "handoff"})
        handoff = await visitor.wait_event(a_reply, timeout=120, after=pressed)
        assert handoff["language"] == language, handoff
        assert ("工作人员" if language == "zh" else "colleague") in handoff["text"], handoff
    finally:
        await visitor.close()
