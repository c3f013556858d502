"""A closed session leaves no native threads behind (fixes18 soak): the server's threads grew
by ~6 per session (29 → 62 after 7) and levelled off only when the cyclic GC happened to reach
the closed sessions. Each session held three FFmpeg worker pools (one thread per CPU each):
the listener's audio resampler and the Opus encoder's frame converter (PyAV filter graphs)
and the video track's swscale context; closing the session now lets go of them. The Python
threads (``threading.enumerate()``) were flat throughout: the runtime's pools (renderers, the
VAD and turn executors) are sized once.

One real ``dhe serve`` and real aiortc visitors, one after another, each asking a question and
leaving; the server's thread count read from ``/proc`` (Linux)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.support.server_process import ENGLISH_ONLY, ServerProcess
from tests.support.visitor import VisitorClient

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def server():
    with ServerProcess(settings=ENGLISH_ONLY) as proc:
        yield proc


def threads_of(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/task").iterdir()))


async def one_visit(server: ServerProcess) -> None:
    visitor = VisitorClient(server.base_url, decode_video=False)
    await visitor.connect()
    try:
        await visitor.wait_event(lambda m: m.get("state") == "idle", timeout=60)
        await visitor.send_event({"type": "text", "text": "when do you open?"})
        await visitor.wait_event(lambda m: m.get("type") == "reply", timeout=60)
        await asyncio.sleep(2.0)  # its reply's audio and video under way
    finally:
        await visitor.close()
    await asyncio.sleep(3.0)  # the session's close and its pools' threads end


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
async def test_closed_sessions_leave_no_threads(server) -> None:
    pid = server.proc.pid
    await one_visit(server)  # the first session starts the runtime's pools
    after_first = threads_of(pid)
    for _ in range(3):
        await one_visit(server)
    # before: +6 a session (+18 here) until a full GC ran
    assert threads_of(pid) <= after_first + 2, (after_first, threads_of(pid))
    assert server.problems == []
