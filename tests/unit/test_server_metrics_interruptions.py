"""``dhe_barge_ins`` counts only replies the visitor spoke over; every cut reply is counted by
its reason in ``dhe_replies_interrupted`` (newcomer9: after typed and keypad turns only, the
server reported 14 barge-ins)."""

from __future__ import annotations

from prometheus_client import generate_latest

from engine.events import Interrupted
from engine.server.metrics import ServerMetrics


def test_typing_over_a_reply_is_no_barge_in() -> None:
    metrics = ServerMetrics()
    for reason in ("new-turn", "new-turn", "barge-in", "session-ended"):
        metrics.observe(
            Interrupted(session_id="s", reply_id="r", played_samples=480, reason=reason)
        )
    text = generate_latest(metrics.registry).decode()
    assert "dhe_barge_ins_total 1.0" in text
    assert 'dhe_replies_interrupted_total{reason="new-turn"} 2.0' in text
    assert 'dhe_replies_interrupted_total{reason="barge-in"} 1.0' in text
    assert 'dhe_replies_interrupted_total{reason="session-ended"} 1.0' in text


def test_stage_timings_are_seconds_under_stage_names_without_ms() -> None:
    """newcomer15: ``dhe_stage_seconds{stage="tts_first_audio_ms"}`` held seconds under a
    milliseconds name. The label drops the ``_ms``; end of speech to first audio keeps its own
    histogram."""
    metrics = ServerMetrics()
    metrics.observe_turn(
        {"nlu_ms": 12.0, "tts_first_audio_ms": 850.0, "reply_first_audio_ms": 900.0}
    )
    text = generate_latest(metrics.registry).decode()
    assert 'dhe_stage_seconds_sum{stage="tts_first_audio"} 0.85' in text
    assert 'dhe_stage_seconds_sum{stage="nlu"} 0.012' in text
    assert "_ms" not in "".join(line for line in text.splitlines() if not line.startswith("#"))
    assert "dhe_reply_first_audio_seconds_sum 0.9" in text
