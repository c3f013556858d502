"""A network namespace that holds only loopback, for the browser end-to-end tests: the server
and Debian's Chromium run inside it (``unshare -n``, or ``unshare -rn`` when not root, entered
with ``nsenter``), so ICE finds no interface but ``lo``."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path


class LoopbackNamespace:
    """A network namespace holding only ``lo``, kept alive by a ``sleep`` process.

    ``prefix`` runs a command inside it (``nsenter``); both the server and the browser use it.
    """

    def __init__(self) -> None:
        self.user_ns = os.geteuid() != 0
        unshare = ["unshare", "-rn"] if self.user_ns else ["unshare", "-n"]
        self.holder = subprocess.Popen(
            [*unshare, "sh", "-c", "ip link set lo up && echo up && exec sleep infinity"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        line = self.holder.stdout.readline().strip() if self.holder.stdout else ""
        if line != "up":
            err = self.holder.stderr.read() if self.holder.stderr else ""
            self.close()
            raise OSError(f"cannot set up a loopback-only network namespace: {err.strip()}")
        pid = self.holder.pid
        self.prefix = ["nsenter", f"--net=/proc/{pid}/ns/net"]
        if self.user_ns:
            self.prefix[1:1] = [f"--user=/proc/{pid}/ns/user", "--preserve-credentials"]
        probe = subprocess.run(
            [
                *self.prefix,
                sys.executable,
                "-c",
                "import socket; socket.create_server(('127.0.0.1', 0))",
            ],
            capture_output=True,
            text=True,
            timeout=20,
        )
        if probe.returncode != 0:
            self.close()
            raise OSError(f"cannot enter the namespace: {probe.stderr.strip()[-300:]}")

    def wrapper(self, executable: Path, folder: Path) -> Path:
        """A script that runs ``executable`` inside the namespace (Playwright talks to the
        browser over pipes, which cross the namespace boundary)."""
        path = folder / f"{executable.name}-in-netns"
        quoted = " ".join(f"'{p}'" for p in [*self.prefix, str(executable)])
        path.write_text(f'#!/bin/sh\nexec {quoted} "$@"\n')
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        return path

    def close(self) -> None:
        """End the process holding the namespace open (the namespace goes with it)."""
        if self.holder.poll() is None:
            self.holder.kill()
        self.holder.wait(timeout=10)
        for pipe in (self.holder.stdout, self.holder.stderr):
            if pipe:
                pipe.close()
