"""Another place's hours asked in Chinese are out of scope, the branch's or hall's own hours keep
their answer (dialog.question_frame.elsewhere_hours, read by dialog.understanding.Understanding
with the pack setting own_places): "中山公园几点开门" got the branch's opening hours."""

from __future__ import annotations

import pytest

from dialog.question_frame import elsewhere_hours
from tests.support.dialog_sessions import assert_read_as, own_places


@pytest.mark.parametrize(
    ("pack", "text", "elsewhere"),
    [
        # another place named with the hours frame
        ("bank", "中山公园几点开门", True),
        ("bank", "地铁末班车是几点", True),
        ("bank", "医院周末能看病吗", False),  # no hours frame: the classifier decides
        ("bank", "你们对面的咖啡店几点开门", True),  # 你们 names where, the shop is asked
        ("bank", "工商银行几点开门", True),  # another bank
        ("bank", "税务局周末上班吗", True),  # the tax bureau is no place of the bank's
        ("tax", "银行几点关门", True),  # a bank is no place of the tax hall's
        ("tax", "出入境大厅几点下班", True),  # a hall, but exit and entry's
        ("tax", "社保局几点下班", True),  # a bureau by its kind (…局)
        # the pack's own place, or none named
        ("bank", "你们几点开门", False),
        ("bank", "银行周六开吗", False),
        ("bank", "海港银行周末营业吗", False),
        ("bank", "大厅几点开门", False),
        ("tax", "办税大厅中午休息吗", False),
        ("tax", "税务局早上几点开门", False),
        ("tax", "你们税务局几点下班", False),
        # a bureau pointed at, not named, is the hall's own (review18: 你们分局 was another's)
        ("tax", "你们分局几点下班", False),
        ("tax", "请问这个局几点下班", False),
        ("tax", "你们对面的社保局几点下班", True),
        ("bank", "你们分局几点下班", True),  # a bureau is no place of the bank's
        # a place named without asking its hours
        ("bank", "地铁站到你们这怎么走", False),
        ("tax", "坐地铁怎么到你们这", False),
    ],
)
def test_elsewhere_hours(pack: str, text: str, elsewhere: bool) -> None:
    assert elsewhere_hours(text, own_places(pack)) is elsewhere


def test_own_places_set_for_both_packs() -> None:
    assert own_places("bank") and own_places("tax")


@pytest.mark.parametrize(
    ("pack", "text", "expected"),
    [
        # read whole, these get the branch's or hall's opening hours
        ("bank", "中山公园几点开门", "out_of_scope"),
        ("bank", "你们旁边的药店中午休息吗", "out_of_scope"),
        ("bank", "工商银行几点开门", "out_of_scope"),
        ("tax", "中山公园几点开门", "out_of_scope"),
        ("tax", "对面的银行几点开门", "out_of_scope"),
        # the pack's own hours keep their answer
        ("bank", "你们几点开门", "营业时间"),
        ("bank", "银行周六开吗", "营业时间"),
        ("tax", "办税大厅中午休息吗", "办税服务厅工作时间"),
        ("tax", "税务局周六上班吗", "办税服务厅工作时间"),
        ("tax", "你们分局几点下班", "办税服务厅工作时间"),  # review18: was out of scope
    ],
)
def test_elsewhere_hours_read_out_of_scope(pack: str, text: str, expected: str) -> None:
    assert_read_as(pack, text, "zh", expected)
