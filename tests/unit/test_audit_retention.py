"""The engine's audit trail is kept ``privacy.audit_retention_days`` (issue 16): older sessions,
their events and connector calls are deleted, newer ones kept; the database is owner-only."""

from __future__ import annotations

import datetime as dt
import stat
from dataclasses import dataclass

from sqlalchemy import insert, select

from connectors.audit import AuditRow, AuditTrail, connector_calls
from engine.audit import SessionAudit, prune, session_events, sessions


@dataclass(frozen=True)
class Line:
    """An audit line as the dialog writes one."""

    kind: str
    detail: str
    flow: str | None = None


def test_prune_deletes_only_what_is_older_than_the_retention(tmp_path) -> None:
    path = tmp_path / "engine.db"
    trail = AuditTrail(f"sqlite:///{path}")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    audit = SessionAudit(trail.engine)
    now = dt.datetime.now(dt.UTC)
    for sid in ("old", "new"):
        audit.record(
            session_id=sid,
            domain="bank",
            channel="live",
            started=now,
            turns=1,
            end_reason="deleted",
            entries=[Line("intent", "faq")],
        )
    trail.write(AuditRow("new", "bank.start_verification", {}, "ok", None, 12.0))
    with trail.engine.begin() as conn:
        conn.execute(
            sessions.update()
            .where(sessions.c.session_id == "old")
            .values(ended=now - dt.timedelta(days=91))
        )
        conn.execute(
            insert(connector_calls).values(
                ts=now - dt.timedelta(days=100),
                session_id="old",
                operation="bank.start_verification",
                args="{}",
                outcome="ok",
                latency_ms=10.0,
            )
        )
    assert prune(trail.engine, 0).sessions == 0  # 0 keeps everything
    pruned = prune(trail.engine, 90)
    assert (pruned.sessions, pruned.session_events, pruned.connector_calls) == (1, 1, 1)
    with trail.engine.connect() as conn:
        assert [r.session_id for r in conn.execute(select(sessions))] == ["new"]
        assert [r.session_id for r in conn.execute(select(session_events))] == ["new"]
        assert [r.session_id for r in conn.execute(select(connector_calls))] == ["new"]
    trail.close()
