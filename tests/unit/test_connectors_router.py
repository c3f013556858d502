"""The router with a hand-written Python connector registered through the same interface:
routing, typed errors only, the deadline, the filler signal and the audit row (real SQLite)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest

from connectors.audit import AuditTrail
from connectors.base import Connector, ConnectorTimeout, NotFound, Result
from connectors.router import Router


class QueueDisplay:
    """A Python connector for a system HTTP cannot describe (here: an in-process queue board)."""

    system = "queue"
    operations: ClassVar[dict[str, str]] = {
        "take_number": "Take a queue number",
        "wait": "Wait (for deadline tests)",
    }

    def secret_params(self, op: str) -> frozenset[str]:
        return frozenset({"pin"})

    def default_budget_s(self, op: str) -> float:
        return 2.0

    def __init__(self) -> None:
        self.next = 100

    async def call(self, op: str, params: Mapping[str, Any], **_: Any) -> Result:
        if op == "queue.wait":
            await asyncio.sleep(float(params["seconds"]))
        self.next += 1
        return Result(op, {"number": self.next})

    async def aclose(self) -> None:
        pass


@pytest.fixture
async def router(tmp_path: Path):
    r = Router(AuditTrail(f"sqlite:///{tmp_path / 'engine.db'}"), slow_threshold_ms=50)
    r.register(QueueDisplay())
    yield r
    await r.aclose()


async def test_python_connector_is_routed_and_audited(router: Router) -> None:
    assert isinstance(router, Connector)
    result = await router.call(
        "queue.take_number", {"phone": "13900001288", "pin": "9876"}, session_id="s-1"
    )
    assert result.data == {"number": 101} and result.operation == "queue.take_number"
    (row,) = router.audit.rows("s-1")
    assert (row["operation"], row["outcome"]) == ("queue.take_number", "ok")
    assert json.loads(row["args"]) == {"phone": "*******1288", "pin": "***"}
    assert row["latency_ms"] >= 0
    assert router.operations() == [
        ("queue.take_number", "Take a queue number"),
        ("queue.wait", "Wait (for deadline tests)"),
    ]


async def test_unknown_operation_is_typed(router: Router) -> None:
    with pytest.raises(NotFound):
        await router.call("queue.nope", {}, session_id="s-2")
    with pytest.raises(NotFound):
        await router.call("bank.get_balance", {}, session_id="s-2")
    assert [r["outcome"] for r in router.audit.rows("s-2")] == ["not_found", "not_found"]


async def test_deadline_and_filler(router: Router) -> None:
    fired: list[str] = []
    t0 = time.monotonic()
    with pytest.raises(ConnectorTimeout):
        await router.call(
            "queue.wait", {"seconds": 1}, deadline=time.monotonic() + 0.2, on_slow=fired.append
        )
    assert time.monotonic() - t0 < 0.5
    assert fired == ["queue.wait"]
