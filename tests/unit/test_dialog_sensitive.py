"""Masking full card, account, ID and phone numbers (``dialog.redact``): pure, no model."""

from __future__ import annotations

import pytest

from dialog import redact
from dialog.sensitive import classify


@pytest.mark.parametrize(
    ("text", "masked", "kinds"),
    [
        (
            "my card is 6228 4800 1234 5671, freeze it",
            "my card is •••• 5671, freeze it",
            ("card",),
        ),
        ("4111-1111-1111-1111", "•••• 1111", ("card",)),
        ("call 138 1234 5678", "call •••• 5678", ("phone",)),
        ("我的身份证号11010119900307123X", "我的身份证号•••• 123X", ("id",)),
        ("卡号幺三八一二三四五六七八九零", "卡号•••• 7890", ("account",)),
        (
            "it's one three eight one two three four five six seven eight",
            "it's •••• 5678",
            ("phone",),
        ),
        ("6217000010012345678 and 13912345678", "•••• 5678 and •••• 5678", ("account", "phone")),
        # newcomer14: a business's taxpayer ID (unified social credit code) was read unmasked
        ("my taxpayer ID is 91310000MA1FL8XQ30", "my taxpayer ID is •••• XQ30", ("taxpayer",)),
        ("纳税人识别号91110000600037341l", "纳税人识别号•••• 341L", ("taxpayer",)),
        # newcomer15: 20 digits (a card number with a digit too many) went into a complaint
        (
            "you charged my card 6222 0212 3456 7890 1234 twice",
            "you charged my card •••• 1234 twice",
            ("account",),
        ),
        ("6222-0212-3456-7890-1234", "•••• 1234", ("account",)),
        ("ref 62220212345678901234567", "ref •••• 4567", ("account",)),
        # newcomer #16: Whisper's comma grouping kept the first digits ("6,222,•••• 6780")
        ("My card number is 6,222,0212 3456 6780", "My card number is •••• 6780", ("account",)),
        ("My card number is 6,222,021 234 566 780", "My card number is •••• 6780", ("account",)),
        ("card 6,222,021,234,566,780.", "card •••• 6780.", ("account",)),
        # review17: the blocks joined by a comma and a space were not masked at all
        ("my card is 6222, 0212, 3456, 6780", "my card is •••• 6780", ("account",)),
        ("6222, 0212, 3456, 6780, 123 is it", "•••• 0123 is it", ("account",)),
    ],
)
def test_full_numbers_are_masked_to_their_last_four(text: str, masked: str, kinds: tuple) -> None:
    assert redact(text) == (masked, kinds)


@pytest.mark.parametrize(
    "text",
    [
        "my card ending 4417 is lost",  # the 4 digits a flow asks for
        "the code is 123456",
        "I paid 12,345.67 yuan on 2024-03-15 at 10:30",
        "book me for 2025-06-30 14:00",
        "我要转账5000元",
        "I paid 1,234,567,890.50 yuan, not 12,345",  # comma groups with a fraction: an amount
        "internationalization and ABCDEFGHJKLMNPQRTU",  # no area code's digits in it
    ],
)
def test_short_numbers_amounts_and_dates_are_left_alone(text: str) -> None:
    assert redact(text) == (text, ())


def test_classify_uses_the_luhn_check_and_id_shape() -> None:
    assert classify("4111111111111111") == "card"  # a Luhn-valid test card number
    assert classify("4111111111111112") == "account"
    assert classify("11010119900307123X") == "id"
    assert classify("8613812345678") == "phone"
    assert classify("123456") is None


@pytest.mark.parametrize(
    ("text", "masked"),
    [  # newcomer16 #8: a PIN or password said with its value is hidden whole
        ("my pin is 4831, is that safe?", "my pin is ••••, is that safe?"),
        ("my password for the app is hunter2", "my password for the app is ••••"),
        ("PIN: 1234", "PIN: ••••"),
        ("the pin for my card is 9999", "the pin for my card is ••••"),
        ("change my password to abc123", "change my password to ••••"),
        ("我的密码是832915", "我的密码是••••"),
        ("我的取款密码是一二三四五六", "我的取款密码是••••"),
        # newcomer #16: digits said apart in Chinese, digit words in English
        ("我的密码是8 3 2 9 1 5", "我的密码是••••"),
        ("my pin is four eight three one", "my pin is ••••"),
        ("My PIN is four, eight, three, one.", "My PIN is ••••."),
    ],
)
def test_a_pin_or_password_said_with_its_value_is_hidden(text: str, masked: str) -> None:
    assert redact(text) == (masked, ("secret",))


@pytest.mark.parametrize(
    "text",
    [  # a problem with the PIN, not the PIN itself
        "I forgot my PIN",
        "my PIN is blocked",
        "I typed my PIN wrong 3 times",
        "密码输错三次了",
        "密码忘了怎么办",
        "I forgot my PIN for card four four one seven",  # the card's ending, asked for
        "I entered the wrong PIN three times",
        "我输错密码3次",
    ],
)
def test_talk_about_a_pin_without_its_value_is_left_alone(text: str) -> None:
    assert redact(text) == (text, ())


def test_a_hidden_pin_gets_its_own_warning_and_a_number_the_packs() -> None:
    from dialog.pack import DEFAULT_PACKS_DIR, load_pack
    from dialog.sensitive import SECRET_WARNING, warning_reply

    responses = load_pack(DEFAULT_PACKS_DIR / "bank").responses
    assert warning_reply(responses, "en", ("secret",)).text == SECRET_WARNING["en"]
    assert warning_reply(responses, "zh", ("secret",)).text == SECRET_WARNING["zh"]
    number = warning_reply(responses, "en", ("card", "secret")).text
    assert "full card" in number  # a number with it: the pack's number warning


def test_the_fallback_chinese_warning_names_the_numbers_as_the_packs_do() -> None:
    """A pack without ``utter_sensitive_number`` gets :data:`dialog.sensitive.WARNING`: its
    Chinese list of numbers is the bank pack's, the full names a listener hears right (身份证号
    or 手机号 in a list of short names: 号 heard 后 / 好, session 16)."""
    from dialog.pack import DEFAULT_PACKS_DIR, load_pack
    from dialog.sensitive import WARNING

    bank = load_pack(DEFAULT_PACKS_DIR / "bank").responses["utter_sensitive_number"].texts["zh"]
    assert WARNING["zh"].split("。")[0] == bank.split("。")[0]
    assert "身份证号码" in WARNING["zh"] and "手机号码" in WARNING["zh"]
    assert WARNING["zh"].endswith("我最多只需要后四位。")


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # newcomer18: Whisper wrote a card number said slowly digit by digit; the caption kept it
        (
            "My card number is 622 0 2 1 2 3 4 5 6 7 8 0 and my bill is 48 3 1",
            "My card number is •••• 6780 and my bill is 48 3 1",
        ),
        ("我的手机是 1 3 8 1 2 3 4 5 6 7 8", "我的手机是 •••• 5678"),
    ],
)
def test_a_number_read_digit_by_digit_is_masked(text: str, masked: str) -> None:
    assert redact(text)[0] == masked


@pytest.mark.parametrize(
    "text", ["the last four are 4 4 1 7", "the code is 1 2 3 4 5 6", "I have 2 cards, 1 2 3"]
)
def test_a_card_ending_or_code_read_digit_by_digit_stays(text: str) -> None:
    assert redact(text) == (text, ())


def test_a_pin_told_with_a_card_number_keeps_the_advice_to_change_it() -> None:
    """newcomer18: a card number and a PIN in one line got the number's warning only, without
    the advice to change the PIN."""
    from dialog.pack import DEFAULT_PACKS_DIR, load_pack
    from dialog.sensitive import SECRET_WARNING, warning_reply

    responses = load_pack(DEFAULT_PACKS_DIR / "bank").responses
    _, kinds = redact("my card is 6228 4800 1234 5671 and my pin is 4831")
    assert set(kinds) == {"card", "secret"}
    for language in ("en", "zh"):
        text = warning_reply(responses, language, kinds).text
        number = responses["utter_sensitive_number"].texts[language]
        assert text.startswith(number) and text.endswith(SECRET_WARNING[language])
    assert (
        warning_reply(responses, "en", ("card",)).text
        == (responses["utter_sensitive_number"].texts["en"])
    )
