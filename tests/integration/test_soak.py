"""60 seconds of ``benchmarks/soak.py`` (issue 16): two scripted visitors at once — spoken and
typed turns, barge-ins, abrupt disconnects — and the bank sandbox killed midway (the injected
faults). Zero errors besides those faults, the sandbox back (``/healthz`` ok) within 30 s, open
file descriptors flat after warm-up, no zombie children. RSS is printed, not asserted: one
minute is too short to tell growth from warm-up (the one-hour run reports it).

It runs on the default server that the realtime tests used before it, as its last user, so the
sandbox kill reaches no later test (see ``tests/integration/conftest.py``): a traceback or an
unretrieved task exception anywhere in that server's log counts as an error here."""

from __future__ import annotations

import pytest

from benchmarks.soak import soak
from benchmarks.soak_report import summary
from tests.support.server_process import ServerProcess

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

#: Descriptors the server may hold more at the end than after warm-up (sockets of sessions
#: still closing, the restarted sandbox's pipes).
FD_SLACK = 12


@pytest.fixture(scope="module")
def server(default_server) -> ServerProcess:
    default_server.idle()
    return default_server.process


async def test_a_minute_of_visitors_and_faults_leaves_no_errors_and_flat_fds(
    server: ServerProcess,
) -> None:
    report = await soak(
        server, 60.0, visitors=2, kill_at=0.4, sample_s=10.0, warmup=0.25, quiet=True
    )
    print(summary(report))
    assert report.errors == [], summary(report)
    assert report.completed >= 4, summary(report)
    assert report.injected["sandbox-kill"] == 1 and report.injected["abrupt"] >= 1
    assert report.sandbox_back_s is not None and report.sandbox_back_s <= 30
    assert report.fd_growth() <= FD_SLACK, summary(report)
    assert max(s.zombies for s in report.samples) == 0
