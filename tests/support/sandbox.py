"""Test support: one sandbox cluster per test run, and helpers that read the sandboxes' SQLite.

Import the fixtures into a test module (``from tests.support.sandbox import sandbox, connector``).
However many modules import them, the run starts the sandboxes once (:func:`shared_cluster`);
they stop when the process exits (and, as embedded children, when its stdin closes).

At the end of the run the ``sandbox`` fixture scans everything the run wrote — the sandboxes'
logs, the in-process connector logs and the audit database — for personal numbers and secrets
(:func:`find_leaks`) and fails if it finds any.
"""

from __future__ import annotations

import atexit
import shutil
import sqlite3
import tempfile
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

import pytest
import structlog

from connectors.embedded import SandboxCluster
from connectors.logs import configure_logging
from connectors.router import Router

_CLUSTER: list[SandboxCluster] = []  # the run's one cluster (test support only)


def shared_cluster() -> SandboxCluster:
    """The test run's sandbox cluster, started on first use and stopped at exit."""
    if not _CLUSTER:
        var_dir = Path(tempfile.mkdtemp(prefix="dhe-connectors-"))
        cluster = SandboxCluster.start(var_dir)
        _CLUSTER.append(cluster)

        def _stop() -> None:
            cluster.stop()
            shutil.rmtree(var_dir, ignore_errors=True)

        atexit.register(_stop)
    return _CLUSTER[0]


def inproc_log_path(cluster: SandboxCluster) -> Path:
    """Where the test run's in-process connector logs are written."""
    return cluster.var_dir / "logs" / "inproc.log"


def demo_balance(var: Path) -> str:
    """The demo bank customer's (card ending 4417) total balance as the avatar says it
    (``1,234.56``), read from ``sandbox-bank.db`` in the state folder ``var``."""
    db = sqlite3.connect(str(var / "sandbox-bank.db"))
    try:
        (cents,) = db.execute(
            "SELECT SUM(a.balance_cents) FROM accounts a JOIN cards c "
            "ON a.customer_id = c.customer_id WHERE c.last4 = '4417'"
        ).fetchone()
    finally:
        db.close()
    return f"{cents / 100:,.2f}"


#: The demo bank customer's card tail (the sandbox's seeded customer).
DEMO_LAST4 = "4417"


def demo_card_balance(cluster: SandboxCluster) -> Decimal:
    """The demo bank customer's (card ending :data:`DEMO_LAST4`) total balance in yuan, as
    stored in ``cluster``'s bank sandbox database."""
    rows = sandbox_rows(
        cluster,
        "bank",
        "SELECT SUM(a.balance_cents) FROM accounts a JOIN cards k ON k.customer_id = a.customer_id"
        " WHERE k.last4 = ?",
        DEMO_LAST4,
    )
    return Decimal(rows[0][0]) / 100


def sandbox_rows(cluster: SandboxCluster, system: str, sql: str, *args: Any) -> list[sqlite3.Row]:
    """Run a read query on a sandbox's SQLite file (real data, read beside the server)."""
    db = sqlite3.connect(str(cluster.var_dir / f"sandbox-{system}.db"), timeout=10)
    db.row_factory = sqlite3.Row
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def sandbox_write(cluster: SandboxCluster, system: str, sql: str, *args: Any) -> None:
    """Change a sandbox's SQLite directly (test set-up only, e.g. unfreezing cards)."""
    db = sqlite3.connect(str(cluster.var_dir / f"sandbox-{system}.db"), timeout=10)
    try:
        db.execute(sql, args)
        db.commit()
    finally:
        db.close()


def personal_values(cluster: SandboxCluster) -> set[str]:
    """Every full card, account, phone and taxpayer ID number seeded in the sandboxes."""
    values: set[str] = set()
    for sql in (
        "SELECT number FROM cards",
        "SELECT number FROM accounts",
        "SELECT phone FROM customers",
    ):
        values |= {r[0] for r in sandbox_rows(cluster, "bank", sql)}
    for sql in ("SELECT id FROM taxpayers", "SELECT phone FROM taxpayers"):
        values |= {r[0] for r in sandbox_rows(cluster, "tax", sql)}
    return values


def secret_values(cluster: SandboxCluster, issued: dict[str, list[str]]) -> set[str]:
    """API keys, the test and code keys, and every customer token in ``issued``."""
    return set(cluster.api_keys.values()) | {cluster.test_key, cluster.code_key, *issued["tokens"]}


def find_leaks(
    cluster: SandboxCluster, texts: dict[str, str], issued: dict[str, list[str]] | None = None
) -> list[str]:
    """Personal numbers, secrets or one-time codes found in ``texts`` (name → content).

    Args:
        cluster: the sandboxes (running, unless ``issued`` is given).
        texts: name → content.
        issued: the codes and tokens the sandboxes issued (:meth:`SandboxCluster.issued`; their
            databases keep only hashes), read while they ran; default: read now.

    Returns:
        ``"<name>: <kind> ending <last 4>"`` per leak (the value itself is not repeated).
    """
    issued = issued if issued is not None else cluster.issued()
    leaks: list[str] = []
    for name, text in texts.items():
        for value in personal_values(cluster):
            if value in text:
                leaks.append(f"{name}: personal number ending {value[-4:]}")
        for value in secret_values(cluster, issued):
            if value in text:
                leaks.append(f"{name}: secret ending {value[-4:]}")
        for code in issued["codes"]:
            if f'"{code}"' in text or f"'{code}'" in text or f"={code}" in text:
                leaks.append(f"{name}: one-time code")
    return leaks


#: The argument each system's ``start_verification`` takes the last four digits in.
_VERIFY_BY = {"bank": "card_last4", "tax": "taxpayer_id_last4"}


async def verified_token(
    connector: Router, cluster: SandboxCluster, system: str, last4: str
) -> str:
    """A session token of ``system`` (``bank``: a card; ``tax``: a taxpayer id) ending in
    ``last4``, verified as a visitor would be: ``start_verification``, the code the sandbox
    texted (read from its store), ``verify_otp``.

    Raises:
        KeyError: ``system`` is neither ``bank`` nor ``tax``.
        connectors.base.ConnectorError: a call failed (e.g. ``NotFound`` for an unknown card).
    """
    start = await connector.call(f"{system}.start_verification", {_VERIFY_BY[system]: last4})
    vid = start.data["verification_id"]
    code = cluster.read_otp(system, vid)
    verified = await connector.call(f"{system}.verify_otp", {"verification_id": vid, "code": code})
    return verified.data["token"]


def run_artifacts(cluster: SandboxCluster) -> dict[str, str]:
    """Everything a run wrote: sandbox logs, in-process logs, the audit table as text."""
    texts = {p.name: p.read_text(errors="replace") for p in (cluster.var_dir / "logs").glob("*")}
    audit_db = cluster.var_dir / "engine.db"
    if audit_db.exists():
        db = sqlite3.connect(str(audit_db))
        try:
            rows = db.execute("SELECT * FROM connector_calls").fetchall()
        finally:
            db.close()
        texts["engine.db:connector_calls"] = "\n".join(repr(r) for r in rows)
    return texts


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxCluster]:
    """The running sandboxes; at the end of the run, fails on any leaked personal data."""
    cluster = shared_cluster()
    yield cluster
    leaks = find_leaks(cluster, run_artifacts(cluster))
    assert not leaks, f"personal data or secrets leaked: {leaks}"


@pytest.fixture(autouse=False)
def inproc_logs(sandbox: SandboxCluster) -> Iterator[Path]:
    """Route structlog into the run's in-process log file for one test, then restore."""
    path = inproc_log_path(sandbox)
    old = structlog.get_config()
    stream: TextIO = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed below
    configure_logging(stream=stream)
    try:
        yield path
    finally:
        structlog.configure(**old)
        stream.close()


@pytest.fixture
async def connector(sandbox: SandboxCluster, inproc_logs: Path) -> AsyncIterator[Router]:
    """A fresh router (HTTP connectors + audit into the run's engine.db) for one test's loop."""
    router = sandbox.connectors()
    try:
        yield router
    finally:
        await router.aclose()
        sandbox.set_faults("bank", None)
        sandbox.set_faults("tax", None)
