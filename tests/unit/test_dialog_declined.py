"""A plain no at a flow's question that is no yes/no question (newcomer16 #17), and a visitor
who cannot say the last four digits asked for (#4), through a real session (the pack's
trained classifier, the interpreter, the reply plans).

"no" at "please tell me or type the last four digits of your card" got "Sorry, I didn't get
that." and the same question; it now stops the flow, as "cancel" would, and says so (decided:
stop, not offer to stop; a visitor who meant to go on asks again). "I dont remember my card
number" there got the forgotten-PIN answer; it now says where the digits are and asks again.
The first lines of each list are the newcomer's, the others paraphrases written for this
test."""

from __future__ import annotations

import pytest

from dialog.commands import declines
from tests.support.dialog_sessions import session_at
from tests.support.dialog_visitor import said

STOPPED = {"en": "I'll stop there", "zh": "那就先不办了"}


EN_NO = ["no", "No.", "nope", "no thanks", "No, thank you", "I'd rather not say", "not now"]
ZH_NO = ["不要", "不", "不想说", "不方便", "不了"]


@pytest.mark.parametrize("line", [*EN_NO, *ZH_NO])
def test_a_plain_no_declines(line: str) -> None:
    assert declines(line)


@pytest.mark.parametrize(
    "line",
    ["no 4417", "I don't know", "no I want to check my balance", "know", "不知道", "不对", "4417"],
)
def test_a_no_with_more_in_it_is_no_plain_no(line: str) -> None:
    assert not declines(line)


@pytest.mark.parametrize(
    ("domain", "opening", "line", "language"),
    [
        ("bank", "my card is lost", "no", "en"),
        ("bank", "我的卡丢了", "不要", "zh"),
        ("bank", "I want to check my balance", "I'd rather not say", "en"),
        ("bank", "我想查余额", "不想说", "zh"),
        ("tax", "I want to book an appointment", "nope", "en"),
        ("tax", "我想查一下退税进度", "不方便", "zh"),
    ],
)
async def test_a_plain_no_at_a_question_stops_the_flow(
    domain: str, opening: str, line: str, language: str
) -> None:
    name, awaits = f"declined-{domain}", ("digits", "date")
    async with session_at(domain, opening, name=name, language=language, awaits=awaits) as session:
        turn = await session.handle_text(line)
        assert STOPPED[language] in said(turn), said(turn)
        assert "didn't get" not in said(turn) and "没有听懂" not in said(turn), said(turn)
        assert turn.intent == "cancel" and not session.state.stack


async def test_a_no_at_a_yes_no_question_is_its_answer() -> None:
    async with session_at(
        "bank", "I need a queue number", name="declined-yes-no", awaits=None
    ) as session:
        turn = await session.handle_text("cards")
        assert "queue number for card services" in said(turn), said(turn)
        turn = await session.handle_text("no")
        assert STOPPED["en"] not in said(turn), said(turn)


async def test_with_another_request_waiting_a_no_starts_it() -> None:
    opening = "I lost my card and what is my balance"
    async with session_at("bank", opening, name="declined-queued", awaits=None) as session:
        turn = await session.handle_text("no")
        assert 'Now for your other request: "what is my balance".' in said(turn), said(turn)
        assert session.state.stack[0].flow_id == "check_balance"


CARD_HELP = {"en": "long number on the front of your card", "zh": "银行卡正面那串长号码"}
TAX_HELP = {"en": "number on your resident ID card", "zh": "就是居民身份证号码"}


@pytest.mark.parametrize(
    ("domain", "opening", "line", "language", "help_words", "question"),
    [
        ("bank", "my card is lost", "I dont remember my card number", "en", CARD_HELP, "last four"),
        ("bank", "my card is lost", "I don't have my card with me", "en", CARD_HELP, "last four"),
        (
            "bank",
            "I want to check my balance",
            "where do I find the last four",
            "en",
            CARD_HELP,
            "last four",
        ),
        ("bank", "我的卡丢了", "我不记得卡号了", "zh", CARD_HELP, "后四位"),
        ("bank", "我想查余额", "卡不在身上", "zh", CARD_HELP, "后四位"),
        (
            "tax",
            "I want to check my filing status",
            "I don't know my taxpayer ID",
            "en",
            TAX_HELP,
            "last four",
        ),
        ("tax", "我想查一下退税进度", "我记不住纳税人识别号", "zh", TAX_HELP, "后四位"),
    ],
)
async def test_where_the_last_four_digits_are_then_the_question(
    domain: str, opening: str, line: str, language: str, help_words: dict, question: str
) -> None:
    async with session_at(domain, opening, name=f"help-{domain}", language=language) as session:
        turn = await session.handle_text(line)
        assert help_words[language] in turn.replies[0].text, said(turn)
        assert question in turn.replies[-1].text, said(turn)
        assert not [r.source for r in turn.replies if r.source], said(turn)  # no FAQ answer
        assert session.awaited_answer() == "digits" and session.state.stack


async def test_a_forgotten_pin_at_the_card_question_is_still_the_pin_answer() -> None:
    async with session_at("bank", "my card is lost", name="help-pin", awaits=None) as session:
        turn = await session.handle_text("I forgot my PIN")
        sources = [r.source for r in turn.replies]
        assert "faq.en.md § Forgotten or blocked PIN" in sources, said(turn)


@pytest.mark.parametrize(
    ("line", "language", "section"),
    [
        ("I don't know, what time do you close?", "en", "Opening hours"),
        ("我不知道你们几点关门", "zh", "营业时间"),
        ("can I withdraw money without a card?", "en", None),
    ],
)
async def test_a_clear_question_with_a_lacking_word_is_answered(
    line: str, language: str, section: str | None
) -> None:
    """Review17: the help words that only say the visitor lacks something ("don't know",
    "without", 不知道) took clear FAQ questions at the card question for a request for help."""
    opening = "my card is lost" if language == "en" else "我的卡丢了"
    async with session_at("bank", opening, name="help-faq", language=language) as session:
        turn = await session.handle_text(line)
        sources = [r.source for r in turn.replies if r.source]
        assert sources, said(turn)  # a FAQ answer, not the card-number help
        if section:
            assert any(section in s for s in sources), sources
        assert CARD_HELP[language] not in said(turn), said(turn)
        assert session.awaited_answer() == "digits"
