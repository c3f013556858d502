"""The sandbox's in-memory text-message outbox (what the demo phone shows)."""

from __future__ import annotations

import datetime as dt

import pytest

from connectors.sandbox.outbox import Outbox, code_message


def test_outbox_keeps_the_newest_and_only_masked_numbers() -> None:
    outbox = Outbox(keep=2)
    t0 = dt.datetime(2025, 6, 2, 9, 30, tzinfo=dt.UTC)
    for n in range(3):
        outbox.send("*******1288", f"message {n}", t0 + dt.timedelta(seconds=n))
    assert [m["text"] for m in outbox.messages()] == ["message 1", "message 2"]
    assert outbox.messages()[0]["sent_at"] == "2025-06-02T09:30:01.000Z"
    with pytest.raises(ValueError, match="last 4"):
        outbox.send("13900001288", "full number", t0)
    with pytest.raises(ValueError, match="timezone"):
        outbox.send("*******1288", "naive time", dt.datetime(2025, 6, 2))


def test_code_message_names_the_sender_and_validity_in_both_languages() -> None:
    text = code_message("bank", "042917", 300)
    assert text.count("042917") == 2
    assert "海港银行" in text and "Harbour Bank" in text
    assert "5 分钟" in text and "5 minutes" in text
