"""Mandarin reading of numbers, dates, amounts, times, percentages and letters
(engine/tts/zh_text.py), on the kinds of text the packs' Chinese replies hold."""

from __future__ import annotations

import re

import pytest

from engine.tts.zh_text import (
    CODE_ONE,
    cardinal,
    code_letter,
    digit_groups,
    normalize_zh,
    pause_repeats,
    read_number,
)


@pytest.mark.parametrize(
    ("number", "spoken"),
    [
        (0, "零"),
        (7, "七"),
        (10, "十"),
        (12, "十二"),
        (20, "二十"),
        (105, "一百零五"),
        (110, "一百一十"),
        (1005, "一千零五"),
        (1234, "一千二百三十四"),
        (10_010, "一万零一十"),
        (20_000, "二万"),
        (100_500, "十万零五百"),
        (1_000_000, "一百万"),
        (100_000_000, "一亿"),
        (123_456_789, "一亿二千三百四十五万六千七百八十九"),
    ],
)
def test_cardinal(number: int, spoken: str) -> None:
    assert cardinal(number) == spoken


def test_read_number_decimals_and_two() -> None:
    assert read_number("1,234.56") == "一千二百三十四点五六"
    assert read_number("0.05") == "零点零五"
    assert read_number("1,280.50") == "一千二百八十点五"
    assert read_number("8500.00") == "八千五百"
    assert read_number("2000") == "两千"  # a leading 2 before 千/万/亿 is said 两
    assert read_number("20,000") == "两万"
    assert read_number("22") == "二十二"
    with pytest.raises(ValueError, match="non-negative"):
        cardinal(-1)


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        # amounts (bank balance reply: "{balance:,.2f}元")
        (
            "您的账户总余额为人民币12,345.67元。",
            "您的账户总余额为人民币一万二千三百四十五点六七元。",
        ),
        ("手续费¥5，ATM每日限额20,000元", "手续费五元，ATM每日限额两万元"),
        ("共105元", "共一百零五元"),
        # codes: after 尾号 / 编号 …, long runs, leading zeros, letter + digits
        ("主账户尾号4417。", "主账户尾号四四一七。"),
        # the packs say which four digits they are: 卡号后四位是8821, not a cardinal 八千八百二十一
        ("冻结卡号后四位是8821的银行卡", "冻结卡号后四位是八八二一的银行卡"),
        ("手机号后四位5678。", "手机号后四位五六七八。"),
        ("业务编号为FRZ20250310001。", "业务编号为FRZ二零二五零三一零零零一。"),
        ("请拨打95566", "请拨打九五五六六"),
        ("区号0571", "区号零五七一"),
        ("您的号码是A023，前面还有2位客户。", "您的号码是A零二三，前面还有两位客户。"),
        # an amount right after a letter is an amount, not a letter code: no digit is left
        ("人民币B12,345.67元", "人民币B一万二千三百四十五点六七元"),
        ("号码A123, 请稍候", "号码A一二三, 请稍候"),
        # dates and years
        ("您的预约是2025-03-10。", "您的预约是二零二五年三月十日。"),
        ("我只能查询2019年到2026年的记录。", "我只能查询二零一九年到二零二六年的记录。"),
        ("截止日期是6月30日。", "截止日期是六月三十日。"),
        # times
        ("上午9:30到12:00", "上午九点三十分到十二点"),
        ("10:05开门", "十点零五分开门"),
        (
            "服务厅周一至周五上午9点至12点、下午1点半至5点办公",
            "服务厅周一至周五上午九点至十二点、下午一点半至五点办公",
        ),
        # ranges: 至 between two clock times or two short numbers before a unit
        ("办公时间9:00-17:00", "办公时间九点至十七点"),
        ("08:30～12:00", "八点三十分至十二点"),
        ("3-5个工作日内答复", "三至五个工作日内答复"),
        ("年利率1.5~2.5%", "年利率百分之一点五至百分之二点五"),
        # a minus sign before an amount is 负; between a letter or digit and digits a hyphen
        (
            "超市购物，-256.80元；工资，8500.00元。",
            "超市购物，负二百五十六点八元；工资，八千五百元。",
        ),
        ("余额为-5元", "余额为负五元"),
        ("预约号AP-0042", "预约号AP-零零四二"),
        ("电话0571-88888888", "电话零五七一-八八八八八八八八"),
        # percentages
        ("年利率3.5%，手续费0.1％", "年利率百分之三点五，手续费百分之零点一"),
        # letters: acronyms are spelled (upper case for the G2P)
        ("请下载手机App，或到ATM机办理，带上ID卡。", "请下载手机APP，或到ATM机办理，带上ID卡。"),
        # full-width digits and letters; full-width punctuation is kept
        ("尾号４４１７，ＡＴＭ", "尾号四四一七，ATM"),
        # nothing to change
        ("请问有什么可以帮您？", "请问有什么可以帮您？"),
    ],
)
def test_normalize_zh(text: str, spoken: str) -> None:
    assert normalize_zh(text) == spoken


def test_no_digit_survives_a_reply_with_every_kind() -> None:
    text = "2025-03-10 9:30，尾号4417的账户扣款¥1,234.56（3.5%），编号A023，共2笔，12345元。"
    spoken = normalize_zh(text)
    assert not re.search(r"\d", spoken), spoken
    assert "一万二千三百四十五元" in spoken  # an amount with a unit is a number, not a code


def test_codes_say_yao_for_one_only_when_asked() -> None:
    """The voice reads 1 in a code as 一 (:data:`CODE_ONE`); 幺 (尾号四四幺七) is an option
    for codes only: amounts, years and decimals keep 一."""
    text = "尾号4417，编号F000123，余额1,001.10元，2021年"
    said = "尾号四四一七，编号F零零零一二三，余额一千零一点一元，二零二一年"
    assert normalize_zh(text) == normalize_zh(text, code_one=CODE_ONE) == said
    assert normalize_zh(text, code_one="幺") == (
        "尾号四四幺七，编号F零零零幺二三，余额一千零一点一元，二零二一年"
    )


@pytest.mark.parametrize(
    ("n", "groups"),
    [
        (3, [(0, 3)]),
        (4, [(0, 2), (2, 4)]),  # 八八、二一
        (6, [(0, 3), (3, 6)]),  # 零零零、一二三
        (7, [(0, 3), (3, 7)]),
        (8, [(0, 4), (4, 8)]),
        (16, [(0, 4), (4, 8), (8, 12), (12, 16)]),  # a card number
        (9, [(0, 3), (3, 7), (7, 9)]),
        (11, [(0, 3), (3, 7), (7, 11)]),  # a mobile number, 3-4-4
    ],
)
def test_digit_groups(n: int, groups: list[tuple[int, int]]) -> None:
    assert digit_groups(n) == groups


def test_codes_pause_between_digit_groups_only_when_asked() -> None:
    text = "卡号后四位是8821，工单号是T000135，共12345元"
    assert (
        normalize_zh(text) == "卡号后四位是八八二一，工单号是T零零零一三五，共一万二千三百四十五元"
    )
    assert normalize_zh(text, code_pause="、") == (
        "卡号后四位是八八、二一，工单号是T零、零、零、一三五，共一万二千三百四十五元"
    )


@pytest.mark.parametrize(
    ("text", "paused"),
    [
        ("业务编号F000123", "业务编号F零、零、零、一二三"),  # 6 digits: equal digits apart
        ("编号F220019", "编号F二、二零、零一九"),
        ("卡号后四位是5511", "卡号后四位是五五、一一"),  # a 4-digit tail: groups only
        ("预约号AP0081", "预约号AP零零、八一"),
        ("编号是K-00A7C3E1", "编号是K、零、零A七、C三E一"),  # a mixed code's parts too
        ("共11000元", "共一万一千元"),  # an amount is no code
    ],
)
def test_a_long_code_pauses_between_equal_digits(text: str, paused: str) -> None:
    """Kokoro runs 零零零 together and the ASR hears a digit fewer (F000871 heard F00087):
    with ``code_pause`` a code of 5 or more digits (and a mixed code) says the pause between
    two equal digits as well; without it nothing changes (what the CER check compares)."""
    assert normalize_zh(text, code_pause="、") == paused
    assert normalize_zh(text) == paused.replace("、", "")
    assert pause_repeats("零零一", "") == "零零一"


@pytest.mark.parametrize(
    ("text", "plain", "paused"),
    [
        # the bank's complaint reference: K, then its 8 hex digits in two groups of 4; before
        # this rule the 3 and the 2 were said as cardinals and the hyphen stayed in the text
        ("编号是K-3F07A2C1。", "编号是K三F零七A二C一。", "编号是K、三F零七、A二C一。"),
        ("代码3F07", "代码三F零七", "代码三F零七"),  # 4 characters: one group
        ("3F07A2C1B", "三F零七A二C一B", "三F零、七A二C、一B"),  # 9: 3 + 4 + 2, as digit_groups(9)
        ("9A1B-2C", "九A一B二C", "九A一B、二C"),
        # a part of digits only reads as a code of digits alone: 4 digits as a card's last
        # four (2 + 2, no pause between equal digits), 5 or more with the equal-digit pause
        # (before: K、二B、七、七一、一)
        ("编号是K-2B-7711。", "编号是K二B七七一一。", "编号是K、二B、七七、一一。"),
        ("代码3F-0011", "代码三F零零一一", "代码三F、零零、一一"),
        ("代码3F-511", "代码三F五一一", "代码三F、五一一"),
        ("代码3F-55110", "代码三F五五一一零", "代码三F、五、五一、一零"),
        # not mixed codes (no digit before a letter): the older rules still read them
        ("AP0042，A023，ATM", "AP零零四二，A零二三，ATM", "AP零零、四二，A零二三，ATM"),
    ],
)
def test_mixed_letter_digit_codes_are_read_one_by_one(text: str, plain: str, paused: str) -> None:
    assert normalize_zh(text) == plain
    assert normalize_zh(text, code_pause="、") == paused
    assert not re.search(r"\d", normalize_zh(text))


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("编号是K-3F07A2C1。", "编号是k、三f零七、a二c一。"),
        ("工单号是T000135，预约号AP0042", "工单号是t零、零、零、一三五，预约号ap零零、四二"),
        ("排队号A023，请到ATM机或用App", "排队号a零二三，请到ATM机或用APP"),  # acronyms: upper
    ],
)
def test_a_codes_letters_come_out_lower_case_for_their_chinese_names(text: str, said: str) -> None:
    """With ``code_letters`` the letters of a code are lower case (the G2P says them with
    :func:`code_letter`); without it every letter is upper case, as the CER check compares."""
    assert normalize_zh(text, code_pause="、", code_letters=True) == said
    assert normalize_zh(text, code_pause="、") == said.upper()
    assert code_letter("k") == code_letter("K") == "kei1"
    assert code_letter("E") == ""  # keeps its English name
