"""The call audit: one row per connector call in the engine's SQLite (``var/engine.db``).

Table ``connector_calls``: ``id``, ``ts`` (UTC), ``session_id``, ``operation``, ``args`` (masked
JSON), ``outcome`` (``ok`` or the error code), ``reason`` (backend's finer code or NULL),
``latency_ms``. Arguments are masked before they get here (:mod:`connectors.masking`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    insert,
    select,
)
from sqlalchemy.engine import Engine

from connectors.files import private_file

metadata = MetaData()

connector_calls = Table(
    "connector_calls",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ts", DateTime(timezone=True), nullable=False),
    Column("session_id", String(64), nullable=True, index=True),
    Column("operation", String(128), nullable=False),
    Column("args", Text, nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("reason", String(64), nullable=True),
    Column("latency_ms", Float, nullable=False),
)


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One audited call (already masked)."""

    session_id: str | None
    operation: str
    args: Mapping[str, Any]
    outcome: str
    reason: str | None
    latency_ms: float


class AuditTrail:
    """Writes :class:`AuditRow` s to ``connector_calls`` (SQLAlchemy; SQLite or PostgreSQL by URL).

    Args:
        url: SQLAlchemy database URL, e.g. ``sqlite:///var/engine.db``; the parent folder of a
            SQLite file is created, and the file is made readable by its owner only (0600).
        create_table: create ``connector_calls`` when missing (False: the caller migrates the
            schema, as the engine does with Alembic).
    """

    def __init__(self, url: str, *, create_table: bool = True) -> None:
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            path = Path(url.removeprefix("sqlite:///"))
            path.parent.mkdir(parents=True, exist_ok=True)
            private_file(path)  # personal data (masked, still): owner only
        connect_args = {"timeout": 10} if url.startswith("sqlite") else {}
        self.engine: Engine = create_engine(url, connect_args=connect_args)
        if create_table:
            metadata.create_all(self.engine, tables=[connector_calls])
        self._lock = asyncio.Lock()

    def write(self, row: AuditRow) -> None:
        """Insert one row (blocking; a few milliseconds on SQLite)."""
        with self.engine.begin() as conn:
            conn.execute(
                insert(connector_calls).values(
                    ts=dt.datetime.now(dt.UTC),
                    session_id=row.session_id,
                    operation=row.operation,
                    args=json.dumps(dict(row.args), ensure_ascii=False, default=str),
                    outcome=row.outcome,
                    reason=row.reason,
                    latency_ms=round(row.latency_ms, 1),
                )
            )

    async def record(self, row: AuditRow) -> None:
        """Insert one row off the event loop (rows are written one at a time, in order)."""
        async with self._lock:
            await asyncio.to_thread(self.write, row)

    def rows(self, session_id: str | None = None) -> list[dict[str, Any]]:
        """All rows (or one session's), oldest first, as dicts."""
        query = select(connector_calls).order_by(connector_calls.c.id)
        if session_id is not None:
            query = query.where(connector_calls.c.session_id == session_id)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()
