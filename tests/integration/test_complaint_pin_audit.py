"""A PIN told in everyday word order inside a complaint never reaches the audit trail
(newcomer19 F-PIN): "… and my pin, 4831 was shown on the screen" was read back with the PIN,
and after "yes" the engine's audit (``engine.db`` ``connector_calls.args``, kept 90 days) and the
sandbox bank's complaints table held it in clear, while README says the audit trail shows at
most the last 4 digits of a number. Through the trained bank dialog, the real sandbox bank over
HTTP and the real audit table: the line is masked before the connector writes its arguments."""

from __future__ import annotations

import sqlite3

import pytest

from connectors.embedded import SandboxCluster
from connectors.router import Router
from dialog.sensitive import SECRET_WARNING
from tests.conftest import trained_dialog
from tests.support.dialog_visitor import said
from tests.support.sandbox import connector, inproc_logs, sandbox, sandbox_rows

__all__ = ["connector", "inproc_logs", "sandbox"]  # fixtures used by this module

WORDS = "my card 6222021234566780 was charged twice and my pin, 4831 was shown on the screen"


def audit_args(cluster: SandboxCluster, operation: str) -> list[str]:
    """The ``args`` of every audited ``operation`` call in the run's engine database."""
    db = sqlite3.connect(str(cluster.var_dir / "engine.db"), timeout=10)
    try:
        rows = db.execute(
            "SELECT args FROM connector_calls WHERE operation LIKE ?", (f"%{operation}%",)
        ).fetchall()
    finally:
        db.close()
    return [str(r[0]) for r in rows]


@pytest.mark.parametrize("words", [WORDS, "4831 is my pin and the screen showed it"])
async def test_a_pin_in_a_complaint_is_masked_before_the_audit(
    words: str, connector: Router, sandbox: SandboxCluster
) -> None:
    engine = trained_dialog("bank").with_connector(connector)
    session = engine.new_session(f"complaint-pin-{len(words)}")
    turn = await session.handle_text("I want to complain")
    assert turn.intent == "complaint"
    turn = await session.handle_text(words)
    assert "secret" in turn.redacted and SECRET_WARNING["en"] in said(turn)
    assert "4831" not in said(turn) and "4831" not in turn.text
    turn = await session.handle_text("yes")
    complaint_id = session.state.slots["complaint_id"]
    [(text,)] = sandbox_rows(
        sandbox, "bank", "SELECT text FROM complaints WHERE id = ?", complaint_id
    )
    assert "4831" not in text and "••••" in text
    args = [a for a in audit_args(sandbox, "complaint") if "screen" in a]
    assert args and all("4831" not in a and "6222" not in a for a in args)
    session.close()
