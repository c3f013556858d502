"""A public holiday's days off asked about are out of scope, the hall's or branch's hours on a
holiday keep their answer (dialog.question_frame.days_off_question, read by
dialog.understanding.Understanding): "国庆节放几天假" got the tax hall's opening hours."""

from __future__ import annotations

import pytest

from dialog.question_frame import days_off_question
from tests.support.dialog_sessions import assert_read_as, domain_understanding


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("国庆节放几天假", True),
        ("今年春节放七天吗", True),  # a number of days
        ("五一调休要补几天班", True),  # the make-up working days
        ("元旦是星期几", True),  # the holiday's date
        ("中秋和国庆连着放吗", True),
        # put to the hall or branch, its hours or its business: not the days off themselves
        ("国庆节你们开门吗", False),
        ("春节后网点哪天开始营业", False),
        ("调休那个周六大厅办公吗", False),
        ("清明节放假能来交税吗", False),
        ("你们春节放几天假", False),  # the hall's own days off: its hours
        # no holiday named: weekends and everyday hours are not touched
        ("你周末都上班吗", False),
        ("你们礼拜六上班吗", False),
        ("我的车可以放哪儿", False),
        ("how many days off for national day", False),  # the words are Chinese
        # the holiday as the time of another question (review17 #7): 放假期间 / 放假的时候 / 放假时
        ("元旦放假期间信用卡还款日顺延吗", False),
        ("放假的时候手机银行能用吗", False),
        ("放假时发票丢了怎么办", False),
        # ... unless the rest asks about the days off
        ("国庆放假期间放几天", True),
        ("春节放假的时候要调休吗", True),
        ("五一放假时要补班吗", True),
    ],
)
def test_days_off_question(text: str, asked: bool) -> None:
    assert days_off_question(text) is asked


@pytest.mark.parametrize(
    ("pack", "text", "expected"),
    [
        # read whole, these match the opening hours (国庆, 节假日, 上班) or another section
        ("tax", "国庆节放几天假", "out_of_scope"),
        ("tax", "今年春节放假安排出来了吗", "out_of_scope"),
        ("bank", "五一调休要补几天班", "out_of_scope"),
        # the hall's and the branch's hours keep their answer
        ("tax", "你周末都上班吗", "办税服务厅工作时间"),
        ("tax", "你们礼拜六上班吗", "办税服务厅工作时间"),
        ("tax", "国庆节你们开门吗", "办税服务厅工作时间"),
        ("bank", "国庆节你们开门吗", "营业时间"),
    ],
)
def test_days_off_read_out_of_scope(pack: str, text: str, expected: str) -> None:
    assert_read_as(pack, text, "zh", expected)


@pytest.mark.parametrize(
    ("pack", "text", "flow"),
    [
        # review17: a flow asked for with the holiday as its time keeps its flow (read out of
        # scope on days_off_question's words alone: 放假, no hall word)
        ("bank", "国庆放假我的卡丢了", "report_lost_card"),
        ("bank", "国庆放假我想查一下余额", "check_balance"),
        ("tax", "国庆节放假可以预约吗", "book_appointment"),
    ],
)
def test_a_flow_asked_on_a_holiday_keeps_its_flow(pack: str, text: str, flow: str) -> None:
    assert days_off_question(text)  # the words alone would read it as the days off
    nlu, _ = domain_understanding(pack).read(text, "zh")
    assert nlu.intent == flow


@pytest.mark.parametrize(
    ("pack", "text", "sections"),
    [
        # review17 #7: a holiday as the time of another question (放假时, 放假的时候) was read as
        # the days off and declined; each of these was out of scope on the previous code
        ("tax", "元旦放假时专项附加扣除能填吗", {"专项附加扣除"}),
        ("bank", "国庆放假的时候在国外刷卡有手续费吗", {"在境外用卡", "账户和银行卡收费"}),
    ],
)
def test_a_holiday_as_the_time_keeps_the_question(pack: str, text: str, sections: set[str]) -> None:
    assert not days_off_question(text)
    understanding = domain_understanding(pack)
    nlu, kb = understanding.read(text, "zh")
    assert understanding.label(nlu, kb) == "faq"
    assert kb is not None and kb.source.rpartition("§")[2].strip() in sections
