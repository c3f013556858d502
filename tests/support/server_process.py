"""``dhe serve`` as a child process for tests and benchmarks (:class:`ServerProcess`): its own
state folder, config sections written for it, its log kept with every unhandled failure, its
children (the embedded sandboxes) found through ``/proc``. The visitor that talks to it is
:mod:`tests.support.visitor`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from connectors.supervision import end_process

#: Test and benchmark visitors all come from 127.0.0.1: one address stands for many visitors, so
#: its per-address limits (``server.limits``) are raised unless a test sets them (issue 16's
#: tests do).
LOOPBACK_VISITORS = {
    "DHE_SERVER__LIMITS__CONNECTING_PER_ADDRESS": "64",
    "DHE_SERVER__LIMITS__CONNECTING_TOTAL": "64",
    "DHE_SERVER__LIMITS__SESSIONS_PER_ADDRESS": "64",
    "DHE_SERVER__LIMITS__OFFERS_PER_MINUTE": "6000",
}


#: Config sections for a server whose tests never hear or speak Mandarin: English ASR and voice
#: only, so it neither loads nor warms whisper-base, language detection and the Kokoro voice
#: (about 6.5 s of CPU per start on a 2-core machine). ``ServerProcess(settings=ENGLISH_ONLY)``.
ENGLISH_ONLY: dict[str, dict[str, Any]] = {
    "asr": {"models": {"en": "whisper-tiny.en"}},
    "tts": {"voices": {"en": {"provider": "piper", "voice": "piper-en_US-joe-medium"}}},
    "dialog": {"language": "en"},
}


#: Log lines of an unhandled failure: a traceback, an asyncio task whose exception nobody read.
PROBLEM_RE = re.compile(r"Traceback|Task exception was never retrieved|Exception in callback")
#: The start of a new log line (the server's log format begins with the date).
_LOG_LINE_RE = re.compile(r"\d{4}-\d\d-\d\d |dhe serve: ")


class ServerProcess:
    """``dhe serve --port 0`` as a child process (tests, benchmarks): start, wait until
    ``/healthz`` is 200, stop.

    Args:
        env: extra environment (e.g. ``{"DHE_SERVER__MAX_SESSIONS": "2"}``), over
            :data:`LOOPBACK_VISITORS`.
        ready_timeout_s: how long to wait for ``/healthz``.
        args: extra ``dhe serve`` arguments (e.g. ``["--config", path]``).
        settings: config sections written to a YAML file in the server's state folder and
            passed with ``--config`` (e.g. :data:`ENGLISH_ONLY`); not together with a
            ``--config`` in ``args``.
    """

    def __init__(
        self,
        env: dict[str, str] | None = None,
        ready_timeout_s: float = 300.0,
        args: list[str] | None = None,
        settings: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.env = env or {}
        self.args = args or []
        if settings and "--config" in self.args:
            raise ValueError("settings and a --config argument exclude each other")
        self.settings = settings
        self.ready_timeout_s = ready_timeout_s
        self.proc: Any = None
        self.base_url = ""
        self.log: list[str] = []
        #: Every log line that shows an unhandled failure, with its traceback (kept whatever
        #: the log's length).
        self.problems: list[str] = []
        self._found = threading.Event()  # set once the log said where it listens

    def start(self) -> str:
        """Start the server; returns its base URL once healthy.

        Raises:
            RuntimeError: it exited or did not become ready (its log tail in the message).
        """
        from engine.paths import models_dir

        # Its own state folder (sandbox SQLite files, engine.db) unless the caller gives one,
        # so test and benchmark servers never share files with a developer's var/.
        env = {
            **os.environ,
            "DHE_VAR_DIR": tempfile.mkdtemp(prefix="dhe-serve-"),
            "DHE_MODELS_DIR": str(models_dir()),
            **LOOPBACK_VISITORS,
            **self.env,
        }
        args = list(self.args)
        if self.settings:
            config = Path(env["DHE_VAR_DIR"]) / "test-server.yaml"
            config.write_text(json.dumps(self.settings))  # JSON is YAML
            args += ["--config", str(config)]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "engine.cli", "serve", "--port", "0", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self._found = threading.Event()
        threading.Thread(target=self._read_log, daemon=True).start()
        return self._wait_ready()

    def _read_log(self) -> None:
        """Keep the server's stderr (its last 200 lines, and every problem with its traceback)
        and note the URL it listens on; runs on a daemon thread until the stream ends."""
        in_problem = False
        for line in self.proc.stderr:
            self.log.append(line.rstrip())
            del self.log[:-200]
            if PROBLEM_RE.search(line) and not (in_problem and line.startswith("Traceback")):
                self.problems.append(line.rstrip())
                in_problem = True
            elif in_problem and not _LOG_LINE_RE.match(line):  # the traceback goes with it
                self.problems[-1] += "\n" + line.rstrip()
            else:
                in_problem = False
            m = re.search(r"listening on (http://\S+?)/?$", line.strip())
            if m:
                self.base_url = m.group(1).rstrip("/")
                self._found.set()

    def _wait_ready(self) -> str:
        """Poll ``/healthz`` every 0.25 s until it is 200; returns the base URL.

        Raises:
            RuntimeError: the server exited or the ready timeout passed (it is stopped).
        """
        deadline = time.monotonic() + self.ready_timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            if self._found.is_set():
                try:
                    with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=2) as r:
                        if r.status == 200:
                            return self.base_url
                except OSError:
                    pass
            time.sleep(0.25)
        self.stop()
        raise RuntimeError("dhe serve did not become ready:\n" + "\n".join(self.log[-30:]))

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 s)."""
        if self.proc is not None:
            end_process(self.proc, grace_s=10)

    def children(self) -> dict[int, list[bytes]]:
        """The server's child processes (Linux ``/proc``): pid → argv."""
        found: dict[int, list[bytes]] = {}
        for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
            try:
                children = (task / "children").read_text().split()
            except FileNotFoundError:  # the thread ended meanwhile
                continue
            for child in children:
                try:
                    argv = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
                except FileNotFoundError:  # gone meanwhile
                    continue
                found[int(child)] = argv
        return found

    def sandbox_pid(self, system: str) -> int:
        """The pid of the embedded sandbox child for ``system`` (``bank`` or ``tax``).

        Raises:
            LookupError: no such child now (e.g. it is being restarted).
        """
        for pid, argv in self.children().items():
            if b"connectors.sandbox" in argv and system.encode() in argv:
                return pid
        raise LookupError(f"no {system} sandbox under {self.proc.pid}")
