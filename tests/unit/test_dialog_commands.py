"""Declining a person (``dialog.commands.declines_a_person``) against asking for one: a no
governs its own clause only, so a request for a person after it still calls one."""

from __future__ import annotations

from datetime import datetime

import pytest

from dialog.commands import announces_a_question, declines_a_person, match_command
from dialog.interpreter import Interpreter
from dialog.nlu import IntentClassifier
from dialog.pack import DEFAULT_PACKS_DIR, Pack, load_pack
from dialog.types import Handoff, UserInput
from tests.support.dialog_visitor import Visitor, bank_nlu, bank_pack, texts


@pytest.fixture(scope="module")
def bank() -> tuple[Pack, IntentClassifier]:
    pack = load_pack(DEFAULT_PACKS_DIR / "bank")
    return pack, IntentClassifier.from_pack(pack)


@pytest.mark.parametrize(
    "said",
    [
        "I do not want to talk to a person",
        "no, I do not need a human",
        "please don't call anyone",
        "I don't want a person, thanks",
        "我不要转人工",
        "我不想找工作人员",
    ],
)
def test_a_no_before_a_person_declines_one(said: str) -> None:
    assert declines_a_person(said)
    assert match_command(said) is None


@pytest.mark.parametrize(
    "said",
    [
        # the no governs a clause without a person; the person is asked for after it
        "I don't want to talk to a robot, get me a person",
        "I don't get it. Can I speak to someone?",
        "I do not want to talk to a machine, I want a human",
        "I don't need the app, I need a person",
        "我不要机器人，转人工",
    ],
)
def test_a_person_asked_for_after_another_no_is_no_decline(said: str) -> None:
    assert not declines_a_person(said)


@pytest.mark.parametrize(
    "said",
    [
        "I don't want to talk to a robot, get me a person",
        "I don't get it. Can I speak to someone?",
        "I do not want to talk to a machine, I want a human",
    ],
)
def test_a_person_asked_for_after_another_no_is_called(
    bank: tuple[Pack, IntentClassifier], said: str
) -> None:
    """The classifier reads these as the request for a person; they were answered "How can I
    help you today?" while the no's reach ran to the end of the line."""
    pack, nlu = bank
    interpreter = Interpreter(pack)
    event = UserInput(said, "en", nlu.predict(said), None, datetime.now())
    _, actions = interpreter.step(interpreter.initial_state("en"), event)
    assert [a.reason for a in actions if isinstance(a, Handoff)] == ["visitor_asked"]


@pytest.mark.parametrize(
    ("said", "announces"),
    [
        ("I have a question.", True),
        ("Excuse me, I've got a quick question", True),
        ("Can I ask you something?", True),
        ("我想问", True),
        ("我想咨询一下", True),
        ("你好，我有个问题", True),
        ("请问", True),
        ("I have a question about my balance", False),
        ("can I ask about opening hours", False),
        ("我想问一下营业时间", False),
        ("请问几点开门", False),
        ("我有问题要投诉", False),
    ],
)
def test_a_line_that_only_announces_a_question(said: str, announces: bool) -> None:
    """newcomer13: 我想问, then a pause, was a turn of its own and got the offer of a colleague."""
    assert announces_a_question(said) is announces


@pytest.mark.parametrize(
    ("said", "command"),
    [
        ("算了，不查了", "cancel"),
        ("退出", "cancel"),
        ("算了吧", "cancel"),
        ("我不想办了", "cancel"),
        ("那就不查了", "cancel"),
        ("我不想投诉了", "cancel"),
        ("不要了谢谢", "cancel"),
        ("不查余额了", None),  # says what it stops: the classifier reads it
        ("退出登录怎么弄", None),
        ("取消预约", None),  # the tax pack's own intent
        ("不办信用卡了吗", None),
        ("不是", None),
    ],
)
def test_a_chinese_give_up_cancels(said: str, command: str | None) -> None:
    """newcomer14: 算了，不查了 at the code prompt and 退出 at a confirm question got 抱歉，我没有
    听懂 and the question again, where 取消 and "never mind" cancel."""
    assert match_command(said) == command


def test_a_chinese_give_up_at_the_code_prompt_ends_the_flow() -> None:
    visitor = Visitor(bank_pack(), bank_nlu(), "zh")
    visitor.says("我想查一下余额")
    visitor.says("4417")
    assert visitor.state.stack, "the balance flow waits for the one-time code"
    out = visitor.says("算了，不查了")
    assert visitor.state.stack == () and "取消" in " ".join(texts(out))
