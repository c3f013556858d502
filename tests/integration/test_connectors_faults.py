"""Faults injected on purpose into the running sandboxes (latency, 500s, malformed bodies) or the
network (a closed port) come back as the typed errors; retries, the circuit breaker, the deadline,
the concurrency limit and the "still working" signal behave as specified."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Callable

import pytest

from connectors.audit import AuditTrail
from connectors.base import BadResponse, ConnectorTimeout, ConnectorUnavailable, NotFound
from connectors.config import DEFAULT_DECLARATIONS_DIR
from connectors.declaration import CircuitDecl, RetryDecl, load_declaration
from connectors.http_connector import HttpConnector
from connectors.router import Router
from tests.support.sandbox import inproc_logs, sandbox

__all__ = ["inproc_logs", "sandbox"]  # fixtures used by this module

Build = Callable[..., Router]


@pytest.fixture
async def build(sandbox, inproc_logs) -> AsyncIterator[Build]:
    """Routers over the shared sandboxes with tuned declarations; faults reset afterwards."""
    routers: list[Router] = []

    def make(
        system: str = "tax",
        *,
        env: dict[str, str] | None = None,
        slow_threshold_ms: float = 700,
        **updates: object,
    ) -> Router:
        decl = load_declaration(DEFAULT_DECLARATIONS_DIR / f"{system}.yaml")
        decl = decl.model_copy(update=updates)
        audit = AuditTrail(f"sqlite:///{sandbox.var_dir / 'engine.db'}")
        router = Router(audit, slow_threshold_ms=slow_threshold_ms)
        router.register(HttpConnector(decl, env or sandbox.env()))
        routers.append(router)
        return router

    yield make
    for router in routers:
        await router.aclose()
    sandbox.set_faults("bank", None)
    sandbox.set_faults("tax", None)


ONE_ATTEMPT = RetryDecl(max_attempts=1)


async def test_slow_backend_times_out(build: Build, sandbox) -> None:
    router = build(timeout_ms=200, retry=ONE_ATTEMPT)
    sandbox.set_faults("tax", {"latency_ms": 800})
    t0 = time.monotonic()
    with pytest.raises(ConnectorTimeout):
        await router.call("tax.list_slots", {}, session_id="faults-timeout")
    assert time.monotonic() - t0 < 0.6
    rows = router.audit.rows("faults-timeout")
    assert [(r["operation"], r["outcome"]) for r in rows] == [("tax.list_slots", "timeout")]


async def test_caller_deadline_is_a_hard_stop(build: Build, sandbox) -> None:
    router = build()
    sandbox.set_faults("tax", {"latency_ms": 1500})
    t0 = time.monotonic()
    with pytest.raises(ConnectorTimeout):
        await router.call("tax.list_slots", {}, deadline=time.monotonic() + 0.3)
    assert time.monotonic() - t0 < 0.6


async def test_an_answer_that_came_while_the_engine_stalled_is_read(build: Build, sandbox) -> None:
    """newcomer9, two visitors on a loaded 2-core machine: the bank answered verify_otp in
    784 ms, but the engine's own event loop was stalled past the call's deadline and the answer
    was thrown away as a timeout (the code was used up, the visitor started over). Here the
    loop is blocked on purpose across the deadline while the sandbox answers: the answer is
    read. A system that really does not answer still times out (the test above)."""
    router = build()
    sandbox.set_faults("tax", {"latency_ms": 200})  # the answer comes during the stall
    loop = asyncio.get_running_loop()
    loop.call_later(0.1, time.sleep, 0.9)  # the engine's loop stalls past the 0.6 s deadline
    result = await router.call("tax.list_slots", {"limit": 1}, deadline=time.monotonic() + 0.6)
    assert len(result.data["slots"]) == 1


async def test_server_errors_are_retried_then_succeed(build: Build, sandbox) -> None:
    router = build()
    sandbox.set_faults("tax", {"fail_next": 2})  # two 500s, then normal service
    result = await router.call("tax.list_slots", {"limit": 1})
    assert len(result.data["slots"]) == 1


async def test_persistent_500_is_unavailable(build: Build, sandbox) -> None:
    router = build()
    sandbox.set_faults("tax", {"error_rate": 1.0})
    with pytest.raises(ConnectorUnavailable) as info:
        await router.call("tax.list_slots", {})
    assert info.value.reason == "injected_error"


async def test_non_idempotent_operation_is_not_retried(build: Build, sandbox) -> None:
    router = build("bank")
    sandbox.set_faults("bank", {"fail_next": 1})
    with pytest.raises(ConnectorUnavailable):
        await router.call("bank.start_verification", {"card_last4": "4417"})
    # The single injected failure was used up by that one attempt: the next call goes through.
    ok = await router.call("bank.start_verification", {"card_last4": "4417"})
    assert ok.data["phone_masked"].endswith("1288")


async def test_connection_refused_is_unavailable(build: Build, sandbox) -> None:
    with socket.socket() as s:  # a port that was free a moment ago and has no listener
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = sandbox.env() | {"DHE_TAX_BASE_URL": f"http://127.0.0.1:{port}"}
    router = build(env=env, retry=ONE_ATTEMPT)
    with pytest.raises(ConnectorUnavailable) as info:
        await router.call("tax.list_slots", {})
    assert "unreachable" in info.value.message


async def test_malformed_json_is_bad_response(build: Build, sandbox) -> None:
    router = build()
    sandbox.set_faults("tax", {"malformed_rate": 1.0})
    with pytest.raises(BadResponse):
        await router.call("tax.list_slots", {})


async def test_circuit_opens_after_failures_and_half_opens_later(build: Build, sandbox) -> None:
    router = build(circuit=CircuitDecl(failure_threshold=3, reset_after_s=0.5), retry=ONE_ATTEMPT)
    tax = router.system("tax")
    sandbox.set_faults("tax", {"fail_next": 3})
    for _ in range(3):
        with pytest.raises(ConnectorUnavailable) as info:
            await router.call("tax.list_slots", {})
        assert info.value.reason == "injected_error"
    assert await tax.circuit_state() == "opened"
    # The sandbox would answer now (its 3 failures are used up), but the circuit stops the call.
    with pytest.raises(ConnectorUnavailable) as info:
        await router.call("tax.list_slots", {})
    assert info.value.reason == "circuit_open"  # refused before any request was sent
    await asyncio.sleep(0.6)
    result = await router.call("tax.list_slots", {"limit": 1})  # the half-open trial call
    assert len(result.data["slots"]) == 1
    assert await tax.circuit_state() == "closed"


async def test_visitor_errors_do_not_open_the_circuit(build: Build) -> None:
    router = build("bank", circuit=CircuitDecl(failure_threshold=2, reset_after_s=30))
    for _ in range(4):
        with pytest.raises(NotFound):
            await router.call("bank.start_verification", {"card_last4": "0000"})
    assert await router.system("bank").circuit_state() == "closed"


async def test_filler_signal_fires_once_for_a_slow_call(build: Build, sandbox) -> None:
    router = build(slow_threshold_ms=100)
    sandbox.set_faults("tax", {"latency_ms": 350})
    fired: list[tuple[str, float]] = []
    t0 = time.monotonic()

    async def on_slow(op: str) -> None:
        fired.append((op, time.monotonic() - t0))

    result = await router.call("tax.list_slots", {"limit": 2}, on_slow=on_slow)
    assert len(result.data["slots"]) == 2
    assert len(fired) == 1 and fired[0][0] == "tax.list_slots"
    assert 0.09 <= fired[0][1] < 0.3
    assert result.latency_ms >= 350


async def test_filler_signal_silent_for_a_fast_call(build: Build) -> None:
    router = build(slow_threshold_ms=500)
    fired: list[str] = []
    await router.call("tax.list_slots", {"limit": 1}, on_slow=fired.append)
    assert fired == []


async def test_concurrency_limit_per_backend(build: Build, sandbox) -> None:
    router = build(max_concurrency=2)
    sandbox.set_faults("tax", {"latency_ms": 250})
    t0 = time.monotonic()
    results = await asyncio.gather(*(router.call("tax.list_slots", {"limit": 1}) for _ in range(4)))
    elapsed = time.monotonic() - t0
    assert all(len(r.data["slots"]) == 1 for r in results)
    assert elapsed >= 0.5  # 4 calls, 2 at a time, 250 ms each
