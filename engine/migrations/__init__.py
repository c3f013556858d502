"""Schema migrations of the engine database (Alembic), run by the engine when it opens the
database (:func:`upgrade`): the connector-call audit (``connector_calls``) and the session audit
(``sessions``, ``session_events``), on SQLite (the default) or PostgreSQL
(``connectors.audit_db_url``). Revisions live in ``versions/``; the first one adopts a database
whose tables an earlier version made without Alembic (it creates only what is missing).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Engine

SCRIPTS = Path(__file__).resolve().parent
#: PostgreSQL advisory lock key held while migrating, so replicas starting together migrate
#: one after the other (any constant shared by every engine process).
MIGRATION_LOCK = 0x44484531


def upgrade(engine: Engine) -> None:
    """Bring the engine database to the newest schema (blocking; idempotent; on PostgreSQL
    under an advisory lock, so several replicas may start at once).

    Raises:
        sqlalchemy.exc.SQLAlchemyError: the database cannot be read or written.
    """
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
