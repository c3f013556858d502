""":func:`dialog.farewell.says_farewell` (fixes19 #2): every ``goodbye`` example of the shipped
packs holds a farewell, so a farewell keeps its answer; the dev lines of garbled speech that the
bank's classifier reads as goodbye (written for this fix, checked with
``tests/integration/test_dialog_unclear_goodbye.py``) hold none."""

from __future__ import annotations

import pytest

from dialog.farewell import says_farewell
from tests.support.dialog_visitor import domain_pack

GARBLED = [
    "War 9 Free Chat 2 in 1. I'M FOR YOU, E2.",
    "For you, E2.",
    "Gone, gone, nine.",
    "Lee, leaf now.",
    "Same to you, E2.",
    "Have a nice E2.",
    "那我 走 九",
    "呃 没 了",
    "拜托",
]


@pytest.mark.parametrize("domain", ["bank", "tax"])
def test_every_goodbye_example_says_farewell(domain: str) -> None:
    examples = domain_pack(domain).intents["goodbye"].examples
    lines = [line for language in ("en", "zh") for line in examples[language]]
    assert len(lines) > 20
    assert [line for line in lines if not says_farewell(line)] == []


@pytest.mark.parametrize("line", GARBLED)
def test_garbled_lines_say_no_farewell(line: str) -> None:
    assert not says_farewell(line)


@pytest.mark.parametrize(
    "line", ["Okay thank you, bye bye", "I'm off now", "see ya", "再 见", "好的谢谢，就这样吧"]
)
def test_a_farewell_inside_a_longer_line(line: str) -> None:
    assert says_farewell(line)


@pytest.mark.parametrize(
    "line",
    [
        # review19's dev lines (written for this check, no benchmark line read), each read as
        # goodbye by the bank's and the tax hall's classifier on the real encoder at 0.26-0.81:
        # without these cues they got "Sorry, I didn't get that" and the visit went on
        "没有别的事了",
        "没有其他事了，谢谢",
        "没有别的了，谢谢",
        "我没有别的问题了",
        "没什么了",
        "I'm finished",
        "I'm finished, thanks",
        "that's everything",
        "Thanks, that's everything",
        "that's enough for today",
        "we're done",
        "I'm all set",
        "Nothing more, thanks",
        "ok I'm good now",
    ],
)
def test_a_farewell_without_bye(line: str) -> None:
    assert says_farewell(line)
