"""Asking the filing status of a year with no record says which years the visitor has records
for, and asks the year again (dialogfix18 #2: "this year" got "I found no filing record for
2026." and the flow ended, the visitor left guessing). Real dialog, the sandbox tax bureau over
HTTP; the years expected are read from the sandbox's SQLite, never hard-coded."""

from __future__ import annotations

from datetime import date

import pytest

from connectors.embedded import SandboxCluster
from connectors.router import Router
from dialog import DialogEngine
from tests.conftest import trained_dialog
from tests.support.dialog_visitor import said
from tests.support.sandbox import connector, inproc_logs, sandbox, sandbox_rows

__all__ = ["connector", "inproc_logs", "sandbox"]  # fixtures used by this module

DEMO_ID_LAST4 = "2024"


@pytest.fixture
def engine(connector: Router) -> DialogEngine:
    return trained_dialog("tax").with_connector(connector)


def years_on_record(cluster: SandboxCluster) -> list[int]:
    rows = sandbox_rows(
        cluster,
        "tax",
        "SELECT f.year FROM filings f JOIN taxpayers t ON t.id = f.taxpayer_id"
        " WHERE t.last4 = ? ORDER BY f.year DESC",
        DEMO_ID_LAST4,
    )
    return [int(r[0]) for r in rows]


@pytest.mark.parametrize(
    ("opening", "language"),
    [
        ("What's my tax filing status for this year?", "en"),
        ("我想查一下今年的个税申报状态", "zh"),
    ],
)
async def test_a_year_without_a_record_names_the_years_on_record(
    engine: DialogEngine, sandbox: SandboxCluster, opening: str, language: str
) -> None:
    this_year = date.today().year
    years = years_on_record(sandbox)
    assert years and this_year not in years
    session = engine.new_session(f"tax-years-{language}")
    await session.handle_text(opening)
    await session.handle_text(DEMO_ID_LAST4)
    code = sandbox.read_otp("tax", session.state.slots["verification_id"])
    turn = await session.handle_text(code)
    if language == "en":
        assert f"I found no filing record for {this_year}." in said(turn), said(turn)
        assert f"You have records for {', '.join(map(str, years))}." in said(turn)
        assert "Which tax year" in said(turn)
    else:
        assert f"没有找到您{this_year}年度的申报记录" in said(turn), said(turn)
        assert f"您有记录的年度是：{'、'.join(f'{y}年' for y in years)}。" in said(turn)
        assert "哪一年" in said(turn)
    assert session.state.stack  # still in the flow, at the year's question
    # one of the years named: its status, with no second verification
    turn = await session.handle_text(str(years[1]))
    status = sandbox_rows(
        sandbox,
        "tax",
        "SELECT f.status FROM filings f JOIN taxpayers t ON t.id = f.taxpayer_id"
        " WHERE t.last4 = ? AND f.year = ?",
        DEMO_ID_LAST4,
        years[1],
    )[0][0]
    assert str(years[1]) in said(turn) and "no filing record" not in said(turn)
    assert status == "processing" and ("being processed" in said(turn) or "审核中" in said(turn))
    assert [e.detail for e in session.audit if e.kind == "call"].count("tax.verify_otp -> ok") == 1
