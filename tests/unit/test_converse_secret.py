"""The ``dhe converse --json`` row of a turn that answered the one-time code's question hides
its numbers whole (dialogfix18 #4: ``--text 123456`` was printed as typed in ``input``), in
every way a code is written; other rows keep the log masking (last 4 digits of full numbers)."""

from __future__ import annotations

import pytest

from dialog.lapse import code_awaited
from dialog.pack import DEFAULT_PACKS_DIR, load_pack
from dialog.sensitive import mask_code
from dialog.steps import DialogState, Frame
from engine.converse import _record
from engine.converse_inputs import TurnInput
from engine.events import TurnMetrics
from engine.turns import TurnOutcome


def outcome(transcript: str) -> TurnOutcome:
    metrics = TurnMetrics(session_id="s", turn_id="s-t1", timings_ms=(("asr", 1.0),))
    return TurnOutcome("s-t1", transcript, "en", None, "en", (), metrics)


@pytest.mark.parametrize(
    ("typed", "masked"),
    [
        ("123456", "••••"),
        ("12 34 56", "••••"),
        ("my code is 123456", "my code is ••••"),
        ("one two three four five six", "••••"),
        ("验证码是一二三四五六", "验证码是••••"),
    ],
)
def test_a_code_is_hidden_whole(typed: str, masked: str) -> None:
    row = _record(TurnInput("text", typed), outcome(typed), secret=True).as_json()
    assert row["input"] == row["transcript"] == masked
    assert mask_code(typed) == masked


def test_other_turns_keep_their_digits() -> None:
    row = _record(TurnInput("text", "4417"), outcome("4417")).as_json()
    assert row["input"] == "4417"


def test_a_line_right_after_a_failure_may_be_the_code() -> None:
    """review18: after a connector failure ended the request (the bank down at the code's
    check), the flow is gone, so the code typed again (which starts the request anew,
    dialogfix18 #1) was not at the code's question and its row printed it as typed."""
    pack = load_pack(DEFAULT_PACKS_DIR / "bank")
    assert code_awaited(pack, DialogState(stopped="check_balance"))
    assert not code_awaited(pack, DialogState())
    verify = pack.flows["verify_bank"].index_of("ask_code")
    stack = (
        Frame("check_balance", 0, waiting="call"),
        Frame("verify_bank", verify, waiting="collect"),
    )
    assert code_awaited(pack, DialogState(stack=stack))
