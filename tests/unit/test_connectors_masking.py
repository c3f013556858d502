"""Masking of personal numbers and secrets (connectors.masking): pure functions, real-looking
fictional values."""

from __future__ import annotations

import io
import json

import structlog

from connectors.logs import configure_logging
from connectors.masking import mask_digits, mask_mapping, mask_value


def test_digit_runs_keep_last_four() -> None:
    assert mask_digits("card 6217991000024417 ok") == "card ************4417 ok"
    assert mask_digits("card 6217 9910 0002 4417") == "card ************4417"
    assert mask_digits("call 139-0000-1288") == "call *******1288"
    assert mask_digits("ID 11010119900101202X") == "ID **************202X"


def test_opaque_ids_stay_intact_but_numbers_in_chinese_text_are_masked() -> None:
    text = "verification v_059b81211857e8f8 for visit tk_20240501123456 ok"
    assert mask_digits(text) == text
    assert mask_digits("卡号6217991000024417的余额") == "卡号************4417的余额"
    assert mask_digits("手机13900001288。") == "手机*******1288。"
    assert mask_digits("id=6217991000024417&x=1") == "id=************4417&x=1"


def test_dates_amounts_and_short_numbers_are_kept() -> None:
    text = "on 2025-03-15 paid 12345678.90 CNY, limit 50, year 2024, card_last4 4417"
    assert mask_digits(text) == text


def test_by_field_name() -> None:
    masked = mask_mapping(
        {
            "card_number": "6217991000024417",
            "phone": "13900001288",
            "taxpayer_id": "110101199001012024",
            "token": "t_abc",
            "code": "123456",
            "X-API-Key": "secret-key",
            "card_last4": "4417",
            "verification_id": "v_1a2b",
            "limit": 5,
            "nested": {"account_no": "6228480012345671"},
        }
    )
    assert masked == {
        "card_number": "************4417",
        "phone": "*******1288",
        "taxpayer_id": "**************2024",
        "token": "***",
        "code": "***",
        "X-API-Key": "***",
        "card_last4": "4417",
        "verification_id": "v_1a2b",
        "limit": 5,
        "nested": {"account_no": "************5671"},
    }
    assert mask_value("text", "my phone is 13900001288") == "my phone is *******1288"


def test_structlog_processor_masks_every_line() -> None:
    old = structlog.get_config()
    out = io.StringIO()
    configure_logging(stream=out)
    try:
        structlog.get_logger("t").info(
            "visitor said 6217991000024417", token="t_secret", args={"phone": "13900001288"}
        )
    finally:
        structlog.configure(**old)
    line = json.loads(out.getvalue())
    assert line["event"] == "visitor said ************4417"
    assert line["token"] == "***"
    assert line["args"] == {"phone": "*******1288"}


def test_a_logged_traceback_is_written_and_masked() -> None:
    old = structlog.get_config()
    out = io.StringIO()
    configure_logging(stream=out)
    try:
        try:
            raise KeyError("card 6217991000024417")
        except KeyError:
            structlog.get_logger("t").error("handler_failed", exc_info=True)
    finally:
        structlog.configure(**old)
    line = json.loads(out.getvalue())
    assert "exc_info" not in line
    assert line["exception"].startswith("Traceback (most recent call last):")
    assert "KeyError: 'card ************4417'" in line["exception"]
    assert "6217991000024417" not in out.getvalue()
