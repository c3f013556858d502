"""A PIN the dialog reads as one is hidden everywhere a visitor's line is recorded or shown
(fixes19 #1): under a misheard cue word ("my pill is 4831", "bin", "pen", 密马), right after a
full card number, and, at the one-time code's question, every number. One masking path
(:func:`dialog.sensitive.mask_line`) serves the ``engine.transcript`` log, the page's caption
(the events socket's ``transcript`` message) and the ``dhe converse --json`` row."""

from __future__ import annotations

import logging

import pytest

from dialog.sensitive import mask_line, redact
from engine.converse import _record
from engine.converse_inputs import TurnInput
from engine.events import FinalTranscript, PartialTranscript, TurnMetrics
from engine.server.messages import serialise
from engine.transcript_log import log_transcript
from engine.turns import TurnOutcome

#: A card number that passes the Luhn check (a test number, no one's).
CARD = "6222 0212 3456 7894"

HIDDEN = [
    ("my pill is 4831", "my pill is ••••"),
    ("My bin is 4831.", "My bin is ••••."),
    ("my pen is 4 8 3 1", "my pen is ••••"),
    ("my pen number is four eight three one", "my pen number is ••••"),
    ("我的密马是483192", "我的密马是••••"),
    ("我的蜜码是 4 8 3 1", "我的蜜码是 ••••"),
    (f"{CARD} 4831", "•••• 7894 ••••"),  # one run of five blocks: its last four were the PIN
    (f"my card is {CARD.replace(' ', '')} and 4831", "my card is •••• 7894 and ••••"),
    (f"卡号{CARD.replace(' ', '')}，483192", "卡号•••• 7894，••••"),
]
KEPT = [
    "my card ending 4417",  # a card's last four: what the bank asks for
    "the bin is 4831",  # no "my": not read as a PIN
    "my bill is 120",
    "my pill is 5 mg",
    "6222 0212 3456 7890 1234",  # 20 digits, no card before the last block: an account
]


@pytest.mark.parametrize(("line", "masked"), HIDDEN)
def test_a_misheard_pin_is_hidden_whole(line: str, masked: str) -> None:
    text, kinds = redact(line)
    assert text == masked and "secret" in kinds
    assert mask_line(line) == masked


@pytest.mark.parametrize("line", KEPT)
def test_lines_without_a_pin_keep_their_digits(line: str) -> None:
    assert "secret" not in redact(line)[1]


def test_the_log_line_hides_it(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="engine.transcript"):
        log_transcript("s", "s-t1", "my pill is 4831", "en", final=True)
        log_transcript("s", "s-t2", "it's 123456", "en", final=True, code=True)
    assert "heard (en): my pill is ••••" in caplog.text
    assert "4831" not in caplog.text and "123456" not in caplog.text


def test_the_caption_hides_it() -> None:
    final = serialise(FinalTranscript(session_id="s", text="my pill is 4831", language="en"))
    assert final is not None and final["text"] == "my pill is ••••"
    code = serialise(
        PartialTranscript(session_id="s", text="1 2 3 4 5 6", language="en", code=True)
    )
    assert code is not None and code["text"] == "••••"


def test_the_converse_row_hides_it() -> None:
    metrics = TurnMetrics(session_id="s", turn_id="s-t1", timings_ms=(("asr", 1.0),))
    heard = "My pill is 4831."
    row = _record(
        TurnInput("text", heard), TurnOutcome("s-t1", heard, "en", None, "en", (), metrics)
    ).as_json()
    assert row["input"] == row["transcript"] == "My pill is ••••."


@pytest.mark.parametrize(
    ("line", "masked"),
    [
        # a year, an amount or a count right after a full number is no PIN (review19 F2): it was
        # hidden, taken from NLU and answered "Please never tell anyone your PIN…"
        (
            "我的身份证号110101199003071234，2023年的个税怎么办",
            "我的身份证号•••• 1234，2023年的个税怎么办",
        ),
        ("my ID is 110101199003071234, 2023 tax return", "my ID is •••• 1234, 2023 tax return"),
        (f"卡号{CARD.replace(' ', '')} 和 2000块", "卡号•••• 7894 和 2000块"),
        (f"my card {CARD.replace(' ', '')} 1000 yuan please", "my card •••• 7894 1000 yuan please"),
    ],
)
def test_a_counted_number_after_a_full_one_stays(line: str, masked: str) -> None:
    text, kinds = redact(line)
    assert text == masked and "secret" not in kinds


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        # at the code's question a lone digit word is a word (review19: "No •••• texted me")
        ("No one texted me", "No one texted me"),
        ("just one second please", "just one second please"),
        ("我还没收到一条短信", "我还没收到一条短信"),
        # a code, or part of one, is hidden whole however it is said
        ("it's 4 8 3 1 9 2", "it's ••••"),
        ("one two three, four five six", "••••"),
        ("验证码是四八三一九二", "验证码是••••"),
        ("the code is 7", "the code is ••••"),
    ],
)
def test_at_the_code_question_only_numbers_are_hidden(line: str, shown: str) -> None:
    assert mask_line(line, code=True) == shown
