"""A complaint asked for and told in one line is registered as told (flows16), through the
trained dialog: "I want to complain that the cash machine swallowed my card" was read as the
kept-card question, and where it started the complaint the request words were prefilled with
it; an English complaint typed in a Chinese session was read back inside a Chinese sentence for
the Mandarin voice. And "are you still there?" in the session's language."""

from __future__ import annotations

import pytest

from tests.conftest import trained_dialog
from tests.support.dialog_visitor import said


@pytest.mark.parametrize(
    ("language", "line", "read_back"),
    [
        (
            "auto",
            "I want to complain that the cash machine swallowed my card",
            'I\'ll register this complaint: "the cash machine swallowed my card". Shall I submit',
        ),
        ("auto", "我要投诉取款机吞了我的卡", "我将登记以下投诉：“取款机吞了我的卡”。确认提交吗？"),
        (  # typed in English in a Chinese session: read back in English, as typed
            "zh",
            "I want to complain that the cash machine swallowed my card",
            'I\'ll register this complaint: "the cash machine swallowed my card". Shall I submit',
        ),
    ],
)
async def test_the_complaint_is_what_was_told(language: str, line: str, read_back: str) -> None:
    session = trained_dialog("bank").new_session("told", language=language)
    turn = await session.handle_text(line)
    assert turn.intent == "complaint", said(turn)
    assert turn.replies[-1].text.startswith(read_back), said(turn)
    told = session.state.slots["complaint_text"]
    assert "complain" not in told and "投诉" not in told, told
    assert turn.replies[-1].language == ("zh" if "投诉" in line else "en")
    if language == "zh":  # the rest of the visit stays in the session's language
        turn = await session.handle_text("不是")
        assert turn.language == "zh" and "还没有为您登记" in said(turn), said(turn)
    session.close()


async def test_the_tax_hall_takes_a_suggestion_as_told() -> None:
    session = trained_dialog("tax").new_session("told-tax")
    turn = await session.handle_text("我想提个建议，大厅里多放几把椅子，老人站着等太累了")
    assert session.state.slots.get("ticket_text") == "大厅里多放几把椅子，老人站着等太累了", said(
        turn
    )
    session.close()


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "Are you still there? If I don't hear from you within 30 seconds, I'll end this"),
        (
            "zh",
            "请问您还在吗？如果30秒内没有收到您的回复，我将结束本次服务，并清除您刚才提供的信息",
        ),
    ],
)
async def test_still_there_in_the_sessions_language(language: str, words: str) -> None:
    for domain in ("bank", "tax"):
        session = trained_dialog(domain).new_session("still", language=language)
        await session.handle_text("I lost my card" if domain == "bank" else "我要预约")
        before = session.state
        turn = await session.still_there(30.0)
        assert [r.language for r in turn.replies] == [language]
        assert turn.replies[0].text.startswith(words), said(turn)
        assert session.state is before  # the flow's question still waits, unchanged
        session.close()
