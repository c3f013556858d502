"""Servers shared by the integration modules whose tests need the same ``dhe serve`` settings.

Each ``dhe serve`` start loads and warms the ASR, voices, turn model, dialog pack and renderer
(~17-20 s on a 2-core machine), so modules with the same settings share one process:

* ``default_server``: the default settings (English and Mandarin, every voice), for
  ``test_server_realtime.py`` and ``test_soak.py``;
* ``english_server``: :data:`~tests.support.server_process.ENGLISH_ONLY` with presence ending after
  :data:`ABSENT_AFTER_S` without a face, for ``test_perception_live.py`` and
  ``test_server_video_size.py``.

A shared server starts with the first test that asks for it and stops after the last one (not
at the end of the run). Each module takes it through :meth:`SharedServer.idle`, which waits
until the module before it has no session left. A module whose tests change the server's
limits, ICE servers or business systems keeps its own ``ServerProcess``.
"""

from __future__ import annotations

import re
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.server_process import ENGLISH_ONLY, ServerProcess

#: Presence ends after this long without a face on ``english_server`` (default 5 s), so the
#: perception tests see a visitor leave quickly; the video-size visitors have no camera.
ABSENT_AFTER_S = 2

#: Shared server fixture → node id of the last collected test that uses it.
_LAST_USER: dict[str, str] = {}
#: Shared server fixture → its running server.
_RUNNING: dict[str, SharedServer] = {}


@dataclass(frozen=True, slots=True)
class SharedServer:
    """A running shared server: its base URL, state folder (``engine.db`` …) and process."""

    url: str
    var_dir: Path
    process: ServerProcess

    def live_sessions(self) -> int:
        """Sessions live or connecting now (``dhe_sessions_active`` + ``dhe_sessions_connecting``
        of ``/metrics``)."""
        with urllib.request.urlopen(f"{self.url}/metrics", timeout=10) as resp:
            text = resp.read().decode()
        found = re.findall(r"^dhe_sessions_(?:active|connecting) (\S+)$", text, re.M)
        assert len(found) == 2, "no session gauges in /metrics"
        return round(sum(float(v) for v in found))

    def idle(self, timeout_s: float = 60.0) -> str:
        """Wait until no session is live or connecting (the module before this one closed its
        visitors; a session that ends runs its cleanup first); returns the base URL.

        Raises:
            AssertionError: sessions still live after ``timeout_s``: a module left one behind,
                and the next would measure beside it.
        """
        deadline = time.monotonic() + timeout_s
        while (live := self.live_sessions()) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert live == 0, f"{live} sessions still live on the shared server after {timeout_s} s"
        return self.url


def _shared(
    name: str, tmp_path_factory: pytest.TempPathFactory, **kwargs: Any
) -> Iterator[SharedServer]:
    """Start ``ServerProcess(**kwargs)`` with its state in a temporary folder, yield it, stop it
    (unless :func:`pytest_runtest_teardown` stopped it after its last user)."""
    var = tmp_path_factory.mktemp(f"{name}-var")
    kwargs["env"] = {**kwargs.get("env", {}), "DHE_VAR_DIR": str(var)}
    proc = ServerProcess(**kwargs)
    server = SharedServer(proc.start(), var, proc)
    _RUNNING[name] = server
    try:
        yield server
    finally:
        _RUNNING.pop(name, None)
        proc.stop()
        print("\n".join(line for line in proc.log if "engine." in line))


@pytest.fixture(scope="session")
def default_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedServer]:
    """``dhe serve`` with the default settings."""
    yield from _shared("default_server", tmp_path_factory)


@pytest.fixture(scope="session")
def english_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedServer]:
    """``dhe serve`` with English speech only; presence ends after :data:`ABSENT_AFTER_S`."""
    yield from _shared(
        "english_server",
        tmp_path_factory,
        env={"DHE_PERCEPTION__ABSENT_AFTER_S": str(ABSENT_AFTER_S)},
        settings=ENGLISH_ONLY,
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Note the last test of the run that uses each shared server."""
    for item in items:
        for name in ("default_server", "english_server"):
            if name in getattr(item, "fixturenames", ()):
                _LAST_USER[name] = item.nodeid


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    """Stop a shared server once its last test is done (its memory and sandboxes are not kept
    through the rest of the run); the fixture's own teardown then finds it stopped."""
    for name, last in _LAST_USER.items():
        if item.nodeid == last and name in _RUNNING:
            _RUNNING[name].process.stop()
