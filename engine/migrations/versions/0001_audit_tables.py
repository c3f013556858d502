"""The audit tables: connector_calls, sessions, session_events (created where missing).

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create each table and index that does not exist yet."""
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "connector_calls" not in existing:
        op.create_table(
            "connector_calls",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
            sa.Column("session_id", sa.String(64), nullable=True),
            sa.Column("operation", sa.String(128), nullable=False),
            sa.Column("args", sa.Text, nullable=False),
            sa.Column("outcome", sa.String(32), nullable=False),
            sa.Column("reason", sa.String(64), nullable=True),
            sa.Column("latency_ms", sa.Float, nullable=False),
        )
        op.create_index("ix_connector_calls_session_id", "connector_calls", ["session_id"])
    if "sessions" not in existing:
        op.create_table(
            "sessions",
            sa.Column("session_id", sa.String(64), primary_key=True),
            sa.Column("domain", sa.String(32), nullable=False),
            sa.Column("channel", sa.String(16), nullable=False),
            sa.Column("started", sa.DateTime(timezone=True), nullable=False),
            sa.Column("ended", sa.DateTime(timezone=True), nullable=False),
            sa.Column("turns", sa.Integer, nullable=False),
            sa.Column("end_reason", sa.String(64), nullable=False),
        )
    if "session_events" not in existing:
        op.create_table(
            "session_events",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("session_id", sa.String(64), nullable=False),
            sa.Column("seq", sa.Integer, nullable=False),
            sa.Column("kind", sa.String(16), nullable=False),
            sa.Column("detail", sa.Text, nullable=False),
            sa.Column("flow", sa.String(64), nullable=True),
        )
        op.create_index("ix_session_events_session_id", "session_events", ["session_id"])


def downgrade() -> None:
    """Drop the audit tables."""
    for table in ("session_events", "sessions", "connector_calls"):
        op.drop_table(table)
