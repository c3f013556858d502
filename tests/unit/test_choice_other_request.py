"""Another request said at a choice question is that request, in Chinese as in English
(newcomer19 F-CHOICE): at the queue number's 现金业务、银行卡业务，还是账户业务？ the complaint
with its story, 我要投诉你们大堂经理，他态度很差，让我等了一个小时, got "抱歉，我没有听懂。" every
time, as NLU reads it as the complaint at 0.38, below the digression threshold (0.5), while the
English line, read above it, started the complaint. With no question pending the same line
is read back; now at the choice too."""

from __future__ import annotations

import pytest

from dialog import DialogEngine
from tests.conftest import trained_dialog
from tests.support.dialog_visitor import said

QUESTION = "现金业务、银行卡业务，还是账户业务"


@pytest.fixture(scope="module")
def engine() -> DialogEngine:
    return trained_dialog("bank")


@pytest.mark.parametrize(
    ("line", "quoted"),
    [
        (
            "我要投诉你们大堂经理，他态度很差，让我等了一个小时",
            "你们大堂经理，他态度很差，让我等了一个小时",
        ),
        ("我要投诉大堂经理态度很差", "大堂经理态度很差"),
    ],
)
async def test_a_complaint_at_the_queue_choice_is_read_back(
    engine: DialogEngine, line: str, quoted: str
) -> None:
    session = engine.new_session("t-choice-complaint")
    assert QUESTION in said(await session.handle_text("帮我取个号"))
    turn = await session.handle_text(line)
    assert "没有听懂" not in said(turn), said(turn)
    assert f"我将登记以下投诉：“{quoted}”" in said(turn), said(turn)
    assert turn.intent == "complaint"
    session.close()


async def test_an_option_at_the_queue_choice_still_picks_it(engine: DialogEngine) -> None:
    session = engine.new_session("t-choice-option")
    await session.handle_text("帮我取个号")
    assert "银行卡业务的排队号" in said(await session.handle_text("我要办银行卡业务"))
    session.close()


async def test_a_line_that_is_no_request_is_still_asked_again(engine: DialogEngine) -> None:
    session = engine.new_session("t-choice-none")
    await session.handle_text("帮我取个号")
    assert QUESTION in said(await session.handle_text("嗯嗯那个什么"))
    session.close()
