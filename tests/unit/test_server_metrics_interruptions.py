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
