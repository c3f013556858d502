"""Near lines that :func:`dialog.safety.classify` took for an emergency (review19, own dev lines
written for this check, no benchmark line read): a phone call (有人打我电话 "someone phoned me"),
a tobacco shop or an ashtray (有烟酒/有烟灰), a question about a risk (有危险吗) and a police
report asked for. Each was handed over with the emergency's words, the visitor's flow dropped."""

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
