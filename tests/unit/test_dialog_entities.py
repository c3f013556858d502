"""Entity extraction: digits spoken or written either way, yes/no, dates and times, amounts."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from dialog.entities import extract_amount, extract_digits, extract_ordinal, extract_yes_no
from dialog.pack import SlotDef
from dialog.slot_values import extract_slot_value
from dialog.when import DEFAULT_TZ, extract_datetime

# A Tuesday morning in Shanghai.
NOW = datetime(2025, 3, 4, 10, 0, tzinfo=DEFAULT_TZ)


@pytest.mark.parametrize(
    "text",
    [
        "4417",
        "4 4 1 7",
        "４４１７",
        "four four one seven",
        "for four one seven",  # ASR writes "for" for "four"
        "double four one seven",
        "forty four seventeen",
        "my card ends in 4417",
        "the last four digits are 4417",
        "四四一七",
        "后四位是四四一七",
        "四千四百一十七",
        "卡号后四位4417",
    ],
)
def test_card_last4_any_way_it_is_said(text: str) -> None:
    assert extract_digits(text, 4) == "4417"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("one two three four five six", "123456"),
        ("123456", "123456"),
        ("the code is 1 2 3 4 5 6", "123456"),
        ("幺二三四五六", "123456"),
        ("验证码是一二三四五六", "123456"),
        ("oh one two three four five", "012345"),
    ],
)
def test_six_digit_codes(text: str, expected: str) -> None:
    assert extract_digits(text, 6) == expected


@pytest.mark.parametrize(
    "text",
    ["it is for you", "one two three four five six", "I don't know", "44171", "to be honest"],
)
def test_no_four_digits_where_there_are_none(text: str) -> None:
    assert extract_digits(text, 4) is None


CARD_TAIL = SlotDef(name="card_last4", type="digits", length=4, sensitive=True)


@pytest.mark.parametrize(
    ("heard", "expected"),
    [
        ("似是一起", "4417"),  # live: the Mandarin voice's 四四一七 through Whisper base
        ("一似一似", "1414"),  # benchmarks/digit_answers.py, default prompt
        ("而三把铃。", "2380"),
        ("酒酒吧而", "9982"),
        ("尾号是四四一七", "4417"),  # "是" before the digits is no fifth digit
        ("尾号是似是一起", "4417"),  # nor when the last digit is a homophone too (not 4441)
        ("是一二三吧", "1238"),  # 八 heard as 吧
        ("for 117", "4117"),  # heard for "four one one seven"
        ("to four one seven", "2417"),
        ("It's 4 4 1 7.", "4417"),
    ],
)
def test_digit_homophones_are_digits_at_a_digits_question(heard: str, expected: str) -> None:
    assert extract_slot_value(CARD_TAIL, heard, {}) == expected


@pytest.mark.parametrize("heard", ["似是一起", "一似一似", "for 117", "是的", "我们一起"])
def test_digit_homophones_are_words_elsewhere(heard: str) -> None:
    assert extract_digits(heard, 4) is None


@pytest.mark.parametrize("heard", ["是的", "好的，可以", "yes that's right", "我们一起去"])
def test_a_yes_at_a_digits_question_gives_no_digits(heard: str) -> None:
    assert extract_slot_value(CARD_TAIL, heard, {}) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes", True),
        ("yes please", True),
        ("yeah go ahead", True),
        ("that's right", True),
        ("对", True),
        ("好的", True),
        ("没错", True),
        ("是的，冻结吧", True),
        ("no", False),
        ("no, don't", False),
        ("不是", False),
        ("不要", False),
        ("不对", False),
        ("算了", False),
        ("not sure", None),
        ("what time is it", None),
        ("营业时间", None),
        ("是，帮我冻结", True),
        ("那好吧", True),
        ("就是", True),
        ("我确认", True),
        ("我的卡号是•••• 5671", None),  # the copula, not a yes (issue 14: it confirmed a ticket)
        ("请问发票在哪个窗口开", None),
        ("对对对", True),
        ("好啊", True),
        ("需要", True),  # the answer to 需要我为您呼叫工作人员吗 (the hand-off offer)
        ("需要的", True),
        ("需要，谢谢", True),
        ("不需要", False),
        ("我需要转账", None),
        ("是啊是啊", True),  # a yes said twice (b2bbf93 read it as nothing)
        ("好啊好啊", True),
        ("对呀对呀", True),
        ("似是一起", None),  # 四四一七 misheard: 是 inside it is no yes
        ("是自一起", None),
        ("要不", None),  # "how about…": no answer
        ("yesterday", None),
        # newcomer12: a 不/别/错 anywhere was a no, and a lost card stayed unfrozen
        ("快冻结，别让别人用了", True),
        ("冻结吧，我不想被盗刷", True),
        ("是，我的卡不见了", True),
        ("怎么给别人转账", None),  # a question, answered, then the yes/no asked again
        ("给别人转账要多久到账", None),
        ("为什么不能转账", None),
        ("那个，不是", False),
        ("别冻结", False),
        ("freeze it now, I do not want anyone using it", True),
        ("yes, and please don't wait", True),
        ("yes, I never got it back", True),
        ("no, freeze it", False),
        ("I don't want that", False),
        # approval said as a verdict: "that would be great" at the hand-off offer was goodbye
        ("that would be great", True),
        ("that'd be great, thanks", True),
        ("sounds good", True),
        ("please", True),
        ("I'd like that", True),
        ("please don't", False),
        ("that would not be great", False),
        ("I'm fine, thanks", None),
        ("please tell me my balance first", None),
    ],
)
def test_yes_no(text: str, expected: bool | None) -> None:
    assert extract_yes_no(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tomorrow at 3 pm", "2025-03-05T15:00"),
        ("明天下午三点", "2025-03-05T15:00"),
        ("周五上午十点半", "2025-03-07T10:30"),
        ("next monday at 9am", "2025-03-10T09:00"),
        ("下周一9点", "2025-03-10T09:00"),
        ("March 10 at two pm", "2025-03-10T14:00"),
        ("3月5日上午九点", "2025-03-05T09:00"),
        ("today", "2025-03-04"),
        ("at 10:30", "T10:30"),
        ("后天", "2025-03-06"),
        ("I want three tickets", None),
    ],
)
def test_dates_and_times(text: str, expected: str | None) -> None:
    assert extract_datetime(text, NOW) == expected


def test_amounts_and_ordinals() -> None:
    assert extract_amount("五百元") == 500.0
    assert extract_amount("¥1,200.50") == 1200.5
    assert extract_amount("nothing here") is None
    assert extract_ordinal("the second one") == 2
    assert extract_ordinal("第三个") == 3
    assert extract_ordinal("最后一个") == -1
    assert extract_ordinal("hello") is None
    assert extract_ordinal("option one") == extract_ordinal("one") == 1


def test_one_after_a_describing_word_is_no_position() -> None:
    """newcomer11: "the 3 pm one" read as "the first" and booked 09:30."""
    assert extract_ordinal("the 3 pm one") is None
    assert extract_ordinal("the morning one") is None


SLOTS = [
    {"slot_id": f"S-{s}", "date": "2026-12-08", "start": s, "hall": "Hall A"}
    for s in ("09:30", "10:00", "10:30", "11:00")
]


@pytest.mark.parametrize(
    ("said", "start"),
    [
        ("the 3 pm one", None),  # no 15:00 offered: asked again, never the first slot
        ("3 pm", None),
        ("下午三点那个", None),
        ("the 10 o'clock one", "10:00"),
        ("10:30", "10:30"),
        ("上午十点半那个", "10:30"),
        ("the second one", "10:00"),
        ("第二个", "10:00"),
        ("the last one", "11:00"),
    ],
)
def test_a_slot_is_chosen_by_the_time_said_else_by_position(said: str, start: str | None) -> None:
    chosen = extract_slot_value(
        SlotDef("chosen_slot", "choice", choices_from="offered_slots"),
        said,
        {"offered_slots": SLOTS},
        NOW,
    )
    assert (chosen["start"] if chosen else None) == start


@pytest.mark.parametrize(
    "said",
    [
        "30 February",
        "February 30",
        "31 April",
        "32 May",
        "0 March",
        "99 January",
        "2026-02-30",
        "2月30日",
        "2月31号",
        "4月31日",
        "11月31日",
        "3月0日",
        "13月5日",
    ],
)
def test_an_impossible_date_is_no_date_not_an_error(said: str) -> None:
    """newcomer10: "30 February" at the booking's date question raised ValueError, and the
    turn's failure ended the visitor's session (internal-error). No such day reads as nothing
    (the question is asked again)."""
    now = datetime(2026, 12, 6, 10, 0, tzinfo=DEFAULT_TZ)
    assert extract_datetime(said, now) is None
    assert extract_datetime("2月28日", now) == "2027-02-28"  # real days still read
    assert extract_datetime("2028-02-29", now) == "2028-02-29"


@pytest.mark.parametrize(
    ("said", "today", "expected"),
    [
        ("29 February", date(2026, 12, 6), "2028-02-29"),  # 2027 has none
        ("February 29", date(2028, 3, 1), "2032-02-29"),  # just past one: four years on
        ("2月29日", date(2026, 3, 1), "2028-02-29"),
        ("29 February", date(2028, 2, 29), "2028-02-29"),  # said on the day itself
        ("29 February", date(2097, 1, 1), "2104-02-29"),  # 2100 is no leap year: 8 years gap
    ],
)
def test_29_february_is_the_next_leap_day_even_years_ahead(
    said: str, today: date, expected: str
) -> None:
    """The date reader looked only one year ahead, so "29 February" said in a non-leap year
    read as no date and the visitor was asked again as if the day did not exist."""
    now = datetime(today.year, today.month, today.day, 10, 0, tzinfo=DEFAULT_TZ)
    assert extract_datetime(said, now) == expected


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("March 3rd", "2027-03-03"),
        ("on Feb 28th at 3 pm", "2027-02-28T15:00"),
        ("Feb 29", "2028-02-29"),  # said in a non-leap year: the next leap day
        ("February the 29th", "2028-02-29"),
        ("Sept. 3", "2027-09-03"),
        ("dec 24 at 10 am", "2026-12-24T10:00"),
        ("3rd March at 3 pm", "2027-03-03T15:00"),  # read before too
        ("may 3 pm", "T15:00"),  # a time, not 3 May
        ("Feb 30th", None),
    ],
)
def test_a_month_first_date_with_an_ordinal_or_a_short_month(said: str, expected: str) -> None:
    """fixes13: "March 3rd", "Feb 29" and "on Feb 28th at 3 pm" read as no date (the last as
    the time alone): only a whole month name followed by a bare number was read month first."""
    now = datetime(2026, 12, 7, 10, 0, tzinfo=DEFAULT_TZ)
    assert extract_datetime(said, now) == expected
