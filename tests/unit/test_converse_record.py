"""The ``dhe converse --json`` row of a turn: what the visitor typed or said is masked like a
log line (full numbers keep their last 4 digits); the audio turn's input (a path) is kept."""

from __future__ import annotations

from engine.converse import _record
from engine.converse_inputs import TurnInput
from engine.events import TurnMetrics
from engine.turns import TurnOutcome


def outcome(transcript: str) -> TurnOutcome:
    metrics = TurnMetrics(session_id="s", turn_id="s-t1", timings_ms=(("asr", 1.0),))
    return TurnOutcome("s-t1", transcript, "en", None, "en", (), metrics)


def test_a_full_number_is_masked_in_the_json_row() -> None:
    typed = "my phone is 138 1234 5678"
    row = _record(TurnInput("text", typed), outcome(typed)).as_json()
    assert row["input"] == row["transcript"] == "my phone is •••• 5678"
    said = "card six two two two zero two one two three four five six seven eight nine zero"
    row = _record(TurnInput("audio", "clips/20261205103000123.wav"), outcome(said)).as_json()
    assert row["input"] == "clips/20261205103000123.wav"  # a file name, not what was said
    assert row["transcript"] == "card •••• 7890" and row["timings_ms"] == {"asr": 1.0}


def test_the_readable_lines_leave_out_an_intent_nlu_did_not_choose() -> None:
    """``dhe demo`` printed ``intent: None`` for the keypad answers (4417, 123456)."""
    from engine.converse_inputs import describe

    row = _record(TurnInput("text", "4417"), outcome("4417")).as_json()
    assert row["intent"] is None  # --json keeps its null
    assert describe(2, row) == "turn 3: [en] '4417'\n  reply: \n  timings (ms): asr 1"
    row["intent"] = "check_balance"
    assert "\n  intent: check_balance\n" in describe(2, row)


def test_chinese_replies_are_joined_without_a_space() -> None:
    """newcomer9: ``…验证码。 请说出…`` (an ASCII space after 。) in the ``--json`` reply."""
    from dialog.types import join_replies

    zh = ["谢谢。我已经向您尾号1288的手机发送了六位验证码。", "请说出或输入这六位验证码。"]
    assert join_replies(zh) == "".join(zh)
    assert join_replies(["Thank you.", "Please say the code."]) == "Thank you. Please say the code."
    assert join_replies(["好的。", "", "Next."]) == "好的。Next."
