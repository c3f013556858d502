"""Near lines that :func:`dialog.safety.classify` took for an emergency (review19, own dev lines
written for this check, no benchmark line read): a phone call (有人打我电话 "someone phoned me"),
a tobacco shop or an ashtray (有烟酒/有烟灰), a question about a risk (有危险吗) and a police
report asked for. Each was handed over with the emergency's words, the visitor's flow dropped.
Then the remainder (review19 F15): a queue number or a seat taken (有人抢了我的排队号), a card stolen
in a robbery told of afterwards, a coma that lasted days, a figure of speech ("the rates are a
bomb", "what's the hold-up"), a knife or a gun asked about (你们这里有刀吗): all 13 lines of
``test_past_events_and_figures_of_speech_are_no_emergency`` were emergencies on the old rules."""

from __future__ import annotations

import pytest

from dialog.safety import classify


@pytest.mark.parametrize(
    "line",
    [
        "有人打我电话说要给我贷款",
        "附近有烟酒店吗",
        "这里有烟灰缸吗",
        "我的卡被吞了，有危险吗",
        "I need the police report for my insurance",
    ],
)
def test_near_lines_are_no_emergency(line: str) -> None:
    assert classify(line) != "emergency"


@pytest.mark.parametrize(
    "line",
    ["有人打我！", "有人打人了", "这里有烟，着火了吗", "有危险，快报警", "I need the police now"],
)
def test_the_emergencies_beside_them_stay(line: str) -> None:
    assert classify(line) == "emergency"


def test_a_scam_call_is_a_scam() -> None:
    assert classify("有人打我电话说我涉嫌洗钱，让我转账") == "scam"


@pytest.mark.parametrize(
    "line",
    [
        # review19 F15's remainder, and near lines of our own beside each (no benchmark line read)
        "有人抢了我的排队号",
        "刚才有人抢了我的座位",
        "my card was stolen in a robbery",
        "I want to dispute a charge, it was robbery",
        "what's the hold-up with my transfer",
        "the rates are a bomb",
        "this account costs a bomb in fees",
        "你们这里有刀吗",
        "信用卡有刀卡吗",
        "你们保安有枪吗",
        "我昏迷了三天卡过期了",
        "我住院昏迷了一个月，卡被冻结了",
        "can you call the police for me about my stolen card",
    ],
)
def test_past_events_and_figures_of_speech_are_no_emergency(line: str) -> None:
    assert classify(line) is None


@pytest.mark.parametrize(
    "line",
    [
        "有人抢我的包！",
        "有人抢钱，快来人",
        "this is a robbery!",
        "there's a bomb in the hall",
        "a man with a bomb just came in",
        "他有刀！",
        "有人昏迷了",
        "他昏迷了，快叫医生",
        "call the police for me, he is attacking the cashier",
    ],
)
def test_the_emergencies_beside_the_past_ones_stay(line: str) -> None:
    assert classify(line) == "emergency"
