"""The engine's session audit trail in the engine database (``var/engine.db`` by default).

Banks and tax bureaus must be able to say why the avatar said what it said. When a session ends,
its dialog audit (intents, flow steps, connector outcomes, hand-offs — never slot values) is
written here beside the connector call audit (``connector_calls``), then the session's memory is
wiped. Details pass through :func:`connectors.masking.mask_digits` once more, so no card,
account, ID or phone number can land here in full.

Tables:
    ``sessions``: session_id, domain, channel (``converse``/``webrtc``), started/ended (UTC),
    turns, end reason.
    ``session_events``: session_id, seq, kind (``intent``/``flow``/``call``/``handoff``/
    ``llm``), detail, flow.

Retention: :func:`prune` deletes sessions that ended, and connector calls made, more than
``privacy.audit_retention_days`` days ago (0 keeps everything); every command prunes when it
opens the engine database, and ``dhe serve`` again once a day.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
)
from sqlalchemy.engine import Engine

from connectors.audit import connector_calls
from connectors.masking import mask_digits

metadata = MetaData()

sessions = Table(
    "sessions",
    metadata,
    Column("session_id", String(64), primary_key=True),
    Column("domain", String(32), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("started", DateTime(timezone=True), nullable=False),
    Column("ended", DateTime(timezone=True), nullable=False),
    Column("turns", Integer, nullable=False),
    Column("end_reason", String(64), nullable=False),
)

session_events = Table(
    "session_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("session_id", String(64), nullable=False, index=True),
    Column("seq", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("detail", Text, nullable=False),
    Column("flow", String(64), nullable=True),
)


class AuditLine(Protocol):
    """What the dialog room's ``AuditEntry`` provides."""

    kind: str
    detail: str
    flow: str | None


class SessionAudit:
    """Writes finished sessions to the engine database (thread-safe; one per process).

    The database is the one the connector-call audit writes to (``connectors.audit_db_url``,
    default ``var/engine.db``): both tables live on one SQLAlchemy engine, owned by
    :class:`connectors.audit.AuditTrail` (see :func:`engine.systems.open_systems`).

    Args:
        engine: the engine database (its tables are created on first use).
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        metadata.create_all(self._engine)
        self._lock = threading.Lock()

    def record(
        self,
        *,
        session_id: str,
        domain: str,
        channel: str,
        started: dt.datetime,
        turns: int,
        end_reason: str,
        entries: Iterable[AuditLine],
    ) -> None:
        """Store one finished session and its audit lines (masked again on the way in).

        Args:
            session_id: the session; domain: its pack (``bank``/``tax``).
            channel: ``converse`` or ``webrtc``.
            started: when it began (timezone-aware UTC); its end is stamped now.
            turns: how many visitor turns it had.
            end_reason: why it ended (cut to 64 characters).
            entries: its dialog audit in order (kind cut to 16 characters, digits in the
                detail masked by :func:`~connectors.masking.mask_digits`).

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the database refused the write (e.g. a
                ``session_id`` stored before).
        """
        rows = [
            {
                "session_id": session_id,
                "seq": i,
                "kind": e.kind[:16],
                "detail": mask_digits(e.detail),
                "flow": e.flow,
            }
            for i, e in enumerate(entries)
        ]
        with self._lock, self._engine.begin() as conn:
            conn.execute(
                insert(sessions).values(
                    session_id=session_id,
                    domain=domain,
                    channel=channel,
                    started=started,
                    ended=dt.datetime.now(dt.UTC),
                    turns=turns,
                    end_reason=end_reason[:64],
                )
            )
            if rows:
                conn.execute(insert(session_events), rows)


def record_dialog(
    audit: SessionAudit | None,
    dialog: object,
    *,
    channel: str,
    started: dt.datetime,
    turns: int,
    end_reason: str,
) -> None:
    """Write a dialog session's audit (before it is closed and wiped); no-op without ``audit``.

    Args:
        dialog: a :class:`dialog.DialogSession` (``session_id``, ``engine.pack.name``, ``audit``).
    """
    if audit is None:
        return
    audit.record(
        session_id=dialog.session_id,  # type: ignore[attr-defined]
        domain=dialog.engine.pack.name,  # type: ignore[attr-defined]
        channel=channel,
        started=started,
        turns=turns,
        end_reason=end_reason,
        entries=dialog.audit,  # type: ignore[attr-defined]
    )


@dataclass(frozen=True, slots=True)
class Pruned:
    """What :func:`prune` deleted (row counts)."""

    sessions: int
    session_events: int
    connector_calls: int


def prune(engine: Engine, retention_days: int, now: dt.datetime | None = None) -> Pruned:
    """Delete the audit older than ``retention_days`` (module docstring); 0 deletes nothing.

    Args:
        engine: the engine database (tables created if missing).
        retention_days: ``privacy.audit_retention_days``.
        now: the current time (UTC-aware; default now).

    Raises:
        sqlalchemy.exc.SQLAlchemyError: the database cannot be written.
    """
    if retention_days <= 0:
        return Pruned(0, 0, 0)
    metadata.create_all(engine)
    connector_calls.create(engine, checkfirst=True)
    cutoff = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=retention_days)
    old = select(sessions.c.session_id).where(sessions.c.ended < cutoff)
    with engine.begin() as conn:
        events = conn.execute(delete(session_events).where(session_events.c.session_id.in_(old)))
        gone = conn.execute(delete(sessions).where(sessions.c.ended < cutoff))
        calls = conn.execute(delete(connector_calls).where(connector_calls.c.ts < cutoff))
    return Pruned(gone.rowcount, events.rowcount, calls.rowcount)
