"""A line that only gives a full card, account, ID or phone number (masked before anything
reads it) gets the warning and "How can I help you today?", not an answer NLU guessed from the
words around the number: newcomer10 typed "my account is 6222021234564417" and was offered a
colleague; "4417 and my account is …" was told how to close an account. A line with a request
beside the number is still answered, and at a flow's question the question is asked again."""

from __future__ import annotations

import pytest

from dialog.sensitive import names_only_numbers, redact
from tests.conftest import trained_dialog

WARNING_EN = (
    "Please don't share full card, account, ID or phone numbers here: I've hidden the digits. "
    "I only ever need the last four digits of your card."
)
WARNING_ZH = (
    "为了您的安全，请不要在这里提供完整的银行卡号、账号、身份证号码或手机号码，我已经把号码隐藏了。"
    "我最多只需要卡号的后四位。"
)


@pytest.mark.parametrize(
    ("typed", "only"),
    [
        ("my account is 6222021234564417", True),
        ("my phone number is 13700001288", True),
        ("4417 and my account is 6222021234564417", True),
        ("我的卡号是6222021234564417", True),
        ("here is my ID 110101199003074258", True),
        ("my taxpayer ID is 91310000MA1FL8XQ30", True),
        ("纳税人识别号是91110000600037341L", True),
        ("I want to close my account 6222021234564417", False),
        ("my card is lost 6222021234564417", False),
        ("我想查一下6222021234564417的余额", False),
    ],
)
def test_a_line_of_numbers_and_the_words_naming_them_asks_for_nothing(
    typed: str, only: bool
) -> None:
    masked, kinds = redact(typed)
    assert kinds
    assert names_only_numbers(masked) is only, masked


@pytest.mark.parametrize(
    ("typed", "language", "help_line"),
    [
        ("my account is 6222021234564417", "en", "How can I help you today?"),
        ("4417 and my account is 6222021234564417", "en", "How can I help you today?"),
        ("my phone number is 13700001288", "en", "How can I help you today?"),
        # two numbers: the warning said "I've hidden it" (newcomer13); it names no count now
        (
            "my phone is 13812345678 and my ID is 110101199003071234",
            "en",
            "How can I help you today?",
        ),
        ("我的卡号是6222021234564417", "zh", "请问有什么可以帮您？"),
    ],
)
async def test_only_a_number_gets_the_warning_and_how_can_i_help(
    typed: str, language: str, help_line: str
) -> None:
    session = trained_dialog("bank").new_session("numbers-only", language="auto")
    turn = await session.handle_text(typed)
    texts = [r.text for r in turn.replies]
    assert len(texts) == 2 and texts[1] == help_line, texts
    assert turn.redacted and turn.intent is None and turn.language == language
    assert texts[0] == (WARNING_EN if language == "en" else WARNING_ZH)
    assert "6222021234564417" not in turn.text and "13700001288" not in turn.text
    assert session.audit[-1].detail == "sensitive_number"


async def test_a_request_beside_the_number_is_answered_and_a_question_asked_again() -> None:
    session = trained_dialog("bank").new_session("numbers-request", language="en")
    turn = await session.handle_text("I lost my card, my card is 6222021234564417")
    texts = [r.text for r in turn.replies]
    assert texts[0] == WARNING_EN and "freeze" in texts[1], texts
    turn = await session.handle_text("my account is 6222021234564417")
    texts = [r.text for r in turn.replies]
    assert texts[0] == WARNING_EN
    assert (
        texts[-1] == "For your security, please tell me or type the last four digits of your card."
    )


async def test_numbers_at_a_question_are_no_miss_so_no_handoff() -> None:
    """newcomer11: at the code prompt a full card number counted as a failed answer; the third
    miss handed the visitor to a person and ended the flow. Any number of such lines gets the
    warning and the question again; a real miss still counts."""
    session = trained_dialog("bank").new_session("numbers-no-miss", language="en")
    await session.handle_text("I lost my card")
    question = "For your security, please tell me or type the last four digits of your card."
    typed = (
        "my card number is 6222 0212 3456 4417",
        "6222021234564417",
        "我的卡号是6222021234564417",
    )
    for line in typed:
        turn = await session.handle_text(line)
        texts = [r.text for r in turn.replies]
        assert not turn.handoff and texts == [WARNING_EN, question], texts
        assert session.audit[-1].detail == "sensitive_number"
    assert session.state.stack[-1].attempts == 0
    turn = await session.handle_text("what's the weather like")  # a real miss still counts
    assert not turn.handoff and turn.replies[-1].text == question
    assert session.state.stack[-1].waiting == "collect" and session.state.stack[-1].attempts == 1


@pytest.mark.parametrize(
    ("typed", "language", "heading", "start"),
    [
        # newcomer14: the number turned "how to make a transfer" into "I can't help with that here"
        (
            "please send 2000 yuan to account 6217001234567890123 now",
            "en",
            "Making a transfer",
            "I can't move money from this screen, but a transfer takes a minute in the mobile app",
        ),
        ("please send 2000 yuan to account now", "en", "Making a transfer", "I can't move money"),
        ("帮我给朋友转两百块", "zh", "怎么转账", "我不能在这里替您转账"),
    ],
)
async def test_a_request_to_move_money_is_told_how_to_make_the_transfer(
    typed: str, language: str, heading: str, start: str
) -> None:
    session = trained_dialog("bank").new_session("numbers-transfer", language="auto")
    turn = await session.handle_text(typed)
    texts = [r.text for r in turn.replies]
    masked = "6217001234567890123" in typed  # a full account number: the warning comes first
    assert bool(turn.redacted) == masked, turn.redacted
    if masked:
        assert texts.pop(0) == WARNING_EN and "6217001234567890123" not in turn.text
    assert len(texts) == 1 and texts[0].startswith(start), texts
    assert turn.intent == "out_of_scope"  # the avatar moves no money: it says how
    assert turn.replies[-1].source == f"faq.{language}.md § {heading}"
