"""The engine database on a real PostgreSQL server (``connectors.audit_db_url``): the engine
creates the schema with its Alembic migrations, and a verified balance conversation
(``dhe chat --demo``, embedded sandboxes) leaves its connector calls there, masked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from engine.paths import models_dir
from tests.support.postgresd import postgres_server
from tests.support.sandbox import demo_balance

pytestmark = pytest.mark.slow


def test_verified_balance_is_audited_in_postgres(tmp_path: Path) -> None:
    with postgres_server() as url:
        env = {
            **os.environ,
            "DHE_VAR_DIR": str(tmp_path / "var"),
            "DHE_MODELS_DIR": str(models_dir()),
            "DHE_CONNECTORS__AUDIT_DB_URL": url,
        }
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "engine.cli",
                "chat",
                "--domain",
                "bank",
                "--lang",
                "en",
                "--demo",
            ],
            input="what's my balance\n4417\n123456\n",
            capture_output=True,
            text=True,
            timeout=180,
            env=env,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert demo_balance(tmp_path / "var") in proc.stdout, proc.stdout
        assert not (tmp_path / "var" / "engine.db").exists()  # nothing went to SQLite
        engine = create_engine(url)
        with engine.connect() as conn:
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
            calls = conn.execute(
                text("SELECT session_id, operation, args, outcome FROM connector_calls ORDER BY id")
            ).all()
            tables = set(
                conn.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                ).scalars()
            )
        engine.dispose()
    assert version == "0001"
    ok = {op for _, op, _, outcome in calls if outcome == "ok"}
    assert any(op.startswith("bank.") and "balance" in op for op in ok), calls
    assert len({sid for sid, *_ in calls}) == 1
    assert {"connector_calls", "sessions", "session_events"} <= tables
    for _, _, args, _ in calls:
        assert "123456" not in args  # the one-time code never lands in the audit
