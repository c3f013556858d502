"""Sentence splitting for streamed TTS (engine/tts/sentences.py), on real reply texts."""

from __future__ import annotations

import pytest

from engine.tts.pacing import Pace
from engine.tts.sentences import SplitConfig, split_sentences, spoken_weight


def _words(text: str) -> list[str]:
    return text.split()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Your balance is 1,234.56 yuan. Is there anything else I can help you with?",
            ["Your balance is 1,234.56 yuan.", "Is there anything else I can help you with?"],
        ),
        (
            "Please go to counter No. 5. Mr. Li will help you there.",
            ["Please go to counter No. 5.", "Mr. Li will help you there."],
        ),
        (
            "Your appointment is at 3 p.m. on Monday. See you then!",
            ["Your appointment is at 3 p.m. on Monday.", "See you then!"],
        ),
        (
            "The U.S. dollar rate is 7.12 today... Anything else?",
            ["The U.S. dollar rate is 7.12 today...", "Anything else?"],
        ),
        (
            'He said "Your card is blocked." Then he left.',
            ['He said "Your card is blocked."', "Then he left."],
        ),
        ("1. Open the app. 2. Tap transfer.", ["1. Open the app.", "2. Tap transfer."]),
        ("Really?! Yes.", ["Really?!", "Yes."]),
        (
            "您好，请问有什么可以帮您？我可以帮您查询余额、办理挂失。",
            ["您好，请问有什么可以帮您？", "我可以帮您查询余额、办理挂失。"],
        ),
        (
            "您的账户余额为12,345.67元。还有什么可以帮您的吗？",
            ["您的账户余额为12,345.67元。", "还有什么可以帮您的吗？"],
        ),
        (
            "好的！Your card ending 4417 is now frozen.",
            ["好的！", "Your card ending 4417 is now frozen."],
        ),
        ("Line one\nLine two", ["Line one", "Line two"]),
    ],
)
def test_splits_real_replies(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "\n\n", "。", "..."])
def test_nothing_to_say_gives_no_sentences(text: str) -> None:
    assert split_sentences(text) == []


def test_long_first_sentence_is_cut_at_a_clause_for_fast_first_audio() -> None:
    text = (
        "Sure, I can help you with that, but to report a lost card I first need to verify "
        "your identity, so please tell me the last four digits of your card number."
    )
    pieces = split_sentences(text)
    assert pieces[0] == "Sure, I can help you with that,"
    assert spoken_weight(pieces[0]) <= SplitConfig().first_max_weight
    assert _words(" ".join(pieces)) == _words(text)


def test_long_chinese_first_sentence_is_cut_at_a_comma() -> None:
    text = (
        "我想问一下，个人所得税专项附加扣除的住房贷款利息，每个月可以扣除多少钱，需要准备哪些材料？"
    )
    pieces = split_sentences(text)
    assert pieces[0] == "我想问一下，"
    assert len(pieces) == 2
    assert "".join(pieces) == text


def test_later_long_sentences_use_the_larger_limit() -> None:
    text = "OK. " + "We can do that, and then we can do this, and after that we are done."
    assert split_sentences(text) == [
        "OK.",
        "We can do that, and then we can do this, and after that we are done.",
    ]
    tight = SplitConfig(first_max_weight=60, max_weight=20)
    assert split_sentences(text, tight)[1] == "We can do that,"


def test_commas_inside_numbers_are_not_clause_boundaries() -> None:
    text = "The transfer of 1,000,000 yuan to account 6222 0202 is done, thank you."
    pieces = split_sentences(text, SplitConfig(first_max_weight=30))
    assert pieces == ["The transfer of 1,000,000 yuan to account 6222 0202 is done,", "thank you."]


def test_a_time_is_not_cut_at_its_colon() -> None:
    text = "为您预约3月12日星期三 10:00（一号大厅），确认吗？"
    pieces = split_sentences(text, SplitConfig(first_max_weight=21, max_weight=150, growth=2.5))
    assert pieces == ["为您预约3月12日星期三 10:00（一号大厅），", "确认吗？"]


def test_sentence_without_any_boundary_stays_whole() -> None:
    text = "Please bring your identity card to the counter on the second floor."
    assert split_sentences(text, SplitConfig(first_max_weight=20)) == [text]


def test_long_first_sentence_without_punctuation_is_cut_before_a_conjunction() -> None:
    text = "Please bring your identity card and your bank card to the counter on the second floor."
    pieces = split_sentences(text, SplitConfig(first_max_weight=30))
    assert pieces == [
        "Please bring your identity card",
        "and your bank card to the counter on the second floor.",
    ]
    # Only the first piece is cut that way: later sentences keep their length.
    later = "Thanks. " + text
    assert split_sentences(later, SplitConfig(first_max_weight=30))[1] == text


def test_spoken_weight_counts_han_characters_three_times() -> None:
    assert spoken_weight("abc def") == 6
    assert spoken_weight("您好") == 6
    assert spoken_weight("ATM机") == 6


def test_growing_pieces_for_a_slower_voice() -> None:
    """With ``growth``, each piece may be longer than the one before (a voice at RTF ~0.3
    synthesizes the next piece while the current one plays)."""
    text = (
        "您好，欢迎来到海港区税务服务厅！我是自助服务助手，可以帮您查询个税申报状态、"
        "预约办税时间、受理投诉建议，也可以解答个税年度汇算、发票和社保缴费等问题。"
    )
    config = SplitConfig(first_max_weight=21, max_weight=150, growth=2.5)
    assert [config.limit(i) for i in range(4)] == [21, 52, 131, 150]
    pieces = split_sentences(text, config)
    assert pieces[0] == "您好，"
    assert "".join(pieces) == text
    for i, piece in enumerate(pieces):
        assert spoken_weight(piece) <= config.limit(i) or not any(
            mark in piece[:-1] for mark in "，、"
        ), piece
    assert split_sentences(text) != pieces  # without growth the second piece may be longer


def test_paced_pieces_are_made_before_the_audio_ahead_runs_out() -> None:
    """With a slow voice's pace, a short opening clause joins what follows (alone it plays
    for less than the next clause takes to make), later pieces take what can be made in time,
    and no clause is cut inside."""
    pace = Pace(ratio=0.6, overhead=20.0, heard_extra=3.0)
    text = "抱歉，这个问题我暂时无法办理。需要我为您呼叫工作人员吗？"
    pieces = split_sentences(text, SplitConfig(pace=pace))
    assert pieces == ["抱歉，这个问题我暂时无法办理。", "需要我为您呼叫工作人员吗？"]
    ahead = pace.heard(spoken_weight(pieces[0]))
    for piece in pieces[1:]:
        assert pace.cost(spoken_weight(piece)) <= ahead + pace.slack
        ahead = max(0.0, ahead - pace.cost(spoken_weight(piece))) + pace.heard(spoken_weight(piece))
    # a faster voice opens on the clause alone
    assert split_sentences(text, SplitConfig(pace=Pace(ratio=0.2, overhead=5.0)))[0] == "抱歉，"


def test_paced_pieces_after_the_first_stay_inside_their_sentence() -> None:
    text = "很抱歉，系统出现问题，暂时无法办理。请稍后再试，或者转人工办理。"
    slow = Pace(ratio=0.6, overhead=20.0, heard_extra=3.0)
    pieces = split_sentences(text, SplitConfig(pace=slow))
    assert pieces[0] == "很抱歉，系统出现问题，"  # the next clause is made while it plays
    assert "暂时无法办理。" in pieces and "".join(pieces) == text
    across = Pace(ratio=0.6, overhead=20.0, heard_extra=3.0, across_sentences=True)
    assert any("。请" in p for p in split_sentences(text, SplitConfig(pace=across)))


def test_paced_pieces_keep_every_word_and_join_sentences_as_written() -> None:
    text = "Thanks. Your card is blocked, and a new one is on its way. 谢谢。已发送验证码。"
    pieces = split_sentences(text, SplitConfig(pace=Pace(ratio=0.6, overhead=20.0)))
    assert " ".join(pieces).replace("。 ", "。") == text
    assert split_sentences("   ", SplitConfig(pace=Pace(ratio=0.6, overhead=20.0))) == []
