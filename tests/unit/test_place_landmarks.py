"""A landmark names where the branch or hall is, not another place whose hours are asked
(dialog.question_frame: _LANDMARK_EN read by elsewhere_hours_en, _LANDMARK by elsewhere_hours),
and the bank's own branch words are its own (pack setting own_places): "what time does the branch
near the station open", "when does your branch by the mall close", 火车站旁边的网点几点开门 and
你们分店几点开门 were cut as another place's hours and declined (session-19 dev finding)."""

from __future__ import annotations

import pytest

from dialog.question_frame import elsewhere_hours, elsewhere_hours_en
from tests.support.dialog_sessions import assert_read_as, own_places

BANK = own_places("bank")
TAX = own_places("tax")


@pytest.mark.parametrize(
    ("own", "text", "elsewhere"),
    [
        # the pack's own place with a landmark after it: its hours
        (BANK, "what time does the branch near the station open", False),
        (BANK, "when does your branch by the mall close", False),
        (BANK, "what time does the office next to the hospital open", False),
        (BANK, "how early does the branch by the bus station open", False),
        (BANK, "when does the bank round the corner from the post office close", False),
        (TAX, "what time does the tax office near the station open", False),
        (TAX, "when does your office beside the post office close", False),
        # another place with the branch as its landmark, or with none: still another's
        (BANK, "what time does the pharmacy next to your branch open", True),
        (BANK, "how late is the post office by the bank open", True),
        (BANK, "what time does hsbc near the mall open", True),
        (BANK, "what time does the museum close", True),
        (TAX, "what time does the bank next to the tax office open", True),
        (TAX, "how late is the hospital near the station open", True),
    ],
)
def test_landmark_en(own: str, text: str, elsewhere: bool) -> None:
    assert elsewhere_hours_en(text, own) is elsewhere


@pytest.mark.parametrize(
    ("own", "text", "elsewhere"),
    [
        # the bank's own branch words (own_places)
        (BANK, "你们分店几点开门", False),
        (BANK, "这家分店星期天营业吗", False),
        (BANK, "海港银行分店几点关门", False),
        # a landmark before the branch or hall: its hours
        (BANK, "火车站旁边的网点几点开门", False),
        (BANK, "医院对面那个分行几点下班", False),
        (BANK, "地铁站附近的海港银行周六开吗", False),
        (TAX, "火车站旁边的税务局几点下班", False),
        (TAX, "学校隔壁的税务分局几点上班", False),
        # another's shop or branch, with or without a landmark
        (BANK, "药店分店几点开门", True),
        (BANK, "工商银行分行几点开门", True),
        (BANK, "火锅店几点开门", True),
        (BANK, "银行对面的药店几点开门", True),
        (BANK, "医院里的药房几点开门", True),
        (BANK, "中山公园里面几点关门", True),  # no place after the word of position
        (TAX, "税务局对面的银行几点开门", True),
        (TAX, "海港银行分店几点开门", True),  # the bank's branch is no place of the hall's
        # review19 F12: a landmark before a place no rule lists (a café, a car park) is a
        # place named, not where the branch is: another place's hours (all False before)
        (BANK, "公园旁边的咖啡厅几点关门", True),
        (BANK, "公园里的咖啡馆几点关门", True),
        (BANK, "公园旁边的停车场几点关门", True),
        (BANK, "医院对面那个洗车行几点关门", True),
        (TAX, "火车站旁边的茶馆几点关门", True),
        (TAX, "学校隔壁那家照相馆几点开门", True),
        # the pack's own place after the landmark, named by its kind: still its hours
        (BANK, "学校对面的营业厅中午休息吗", False),
        (BANK, "博物馆后面的那家分行几点开门", False),
        (BANK, "公园门口的支行几点关门", False),
        (TAX, "地铁站出口旁边的大厅中午休息吗", False),
        (TAX, "公园对面的办税大厅周六开吗", False),
    ],
)
def test_landmark_and_branch_zh(own: str, text: str, elsewhere: bool) -> None:
    assert elsewhere_hours(text, own) is elsewhere


@pytest.mark.parametrize(
    ("pack", "text", "language", "expected"),
    [
        ("bank", "what time does the branch near the station open", "en", "Opening hours"),
        ("bank", "when does your branch by the mall close", "en", "Opening hours"),
        ("bank", "is the bank opposite the supermarket open on saturday", "en", "Opening hours"),
        ("bank", "你们分店几点开门", "zh", "营业时间"),
        ("bank", "火车站旁边的网点几点开门", "zh", "营业时间"),
        (
            "tax",
            "what time does the tax office near the station open",
            "en",
            "Opening hours of the service hall",
        ),
        ("bank", "what time does the pharmacy next to your branch open", "en", "out_of_scope"),
        ("bank", "银行对面的药店几点开门", "zh", "out_of_scope"),
    ],
)
def test_landmark_read(pack: str, text: str, language: str, expected: str) -> None:
    assert_read_as(pack, text, language, expected)
