"""Child processes watched and restarted: the embedded sandboxes stay up while the kiosk runs.

A :class:`Supervisor` gets each child once it is running. One thread per child blocks in
``wait()`` (which also reaps it: no zombie is left), and when the child exits without being
asked to, starts a replacement through the ``restart`` callable after a backoff
(:class:`RestartBackoff`), again and again until one starts or the supervisor stops. What the
replacement is (same port, database and settings) is the caller's business; the supervisor only
knows names, processes and time.

:meth:`Supervisor.status` says, per child, whether it runs, since when it is down, how often it
was restarted and how it last exited — the engine's ``/healthz`` shows it.
"""

from __future__ import annotations

import logging
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

log = logging.getLogger(__name__)

ChildState = Literal["running", "restarting", "stopped"]


@dataclass(slots=True)
class RestartBackoff:
    """Delays between restarts: exponential, capped, and reset once a child ran long enough
    (the usual supervisor rule, as systemd's ``RestartSec`` with ``RestartSteps``).

    Args:
        initial_s: the first delay.
        factor: each further failure multiplies the delay by this.
        max_s: the longest delay. With the defaults a child that keeps failing is tried after
            0.5, 1, 2, 4, 8, 8 … s: a replacement is running within 30 s unless five starts in
            a row fail.
        stable_after_s: a child that ran this long before exiting starts the series again.
    """

    initial_s: float = 0.5
    factor: float = 2.0
    max_s: float = 8.0
    stable_after_s: float = 30.0
    failures: int = field(default=0, init=False)

    def delay(self, ran_s: float) -> float:
        """The wait before the next start, after a child ran ``ran_s`` seconds (0 for a start
        that failed)."""
        if ran_s >= self.stable_after_s:
            self.failures = 0
        wait = min(self.max_s, self.initial_s * self.factor**self.failures)
        self.failures += 1
        return wait


@dataclass(frozen=True, slots=True)
class ChildStatus:
    """One supervised child.

    Attributes:
        state: ``running``; ``restarting`` (it exited, a replacement is being started);
            ``stopped`` (the supervisor stopped it).
        pid: the running process's id (None when not running).
        restarts: replacements started so far.
        down_since: ``time.monotonic()`` when it last went down (None while running).
        last_exit: the last exit status (negative: killed by that signal), or None.
    """

    state: ChildState
    pid: int | None
    restarts: int = 0
    down_since: float | None = None
    last_exit: int | None = None


#: Starts a replacement for the named child and returns it once it is ready; raises
#: :class:`OSError` or :class:`RuntimeError` when it did not start (and leaves nothing running).
Restart = Callable[[str], subprocess.Popen[bytes]]


class Supervisor:
    """Watches children and restarts those that exit (module docstring).

    Args:
        restart: starts a replacement (see :data:`Restart`).
        backoff: makes a child's backoff (one per child).
        on_change: called (from a watcher thread) with the child's name and new status.
    """

    def __init__(
        self,
        restart: Restart,
        backoff: Callable[[], RestartBackoff] = RestartBackoff,
        on_change: Callable[[str, ChildStatus], None] | None = None,
    ) -> None:
        self._restart = restart
        self._backoff = backoff
        self._on_change = on_change
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._status: dict[str, ChildStatus] = {}
        self._threads: list[threading.Thread] = []

    def watch(self, name: str, proc: subprocess.Popen[bytes]) -> None:
        """Start watching a running child."""
        with self._lock:
            self._procs[name] = proc
            self._status[name] = ChildStatus("running", proc.pid)
        thread = threading.Thread(target=self._run, args=(name,), name=f"watch-{name}", daemon=True)
        self._threads.append(thread)
        thread.start()

    def process(self, name: str) -> subprocess.Popen[bytes] | None:
        """The child's current process."""
        with self._lock:
            return self._procs.get(name)

    def status(self) -> dict[str, ChildStatus]:
        """Each child's status now."""
        with self._lock:
            return dict(self._status)

    def _set(self, name: str, status: ChildStatus) -> None:
        with self._lock:
            self._status[name] = status
        if self._on_change is not None:
            self._on_change(name, status)

    def _run(self, name: str) -> None:
        backoff = self._backoff()
        while True:
            proc = self.process(name)
            assert proc is not None
            started = time.monotonic()
            code = proc.wait()  # reaps the child
            # Its pipes go with it: the owner still holds the first Popen of each child, so a
            # restart would otherwise keep the dead child's stdin and stdout open (2 fds).
            close_pipes(proc)
            if self._stopping.is_set():
                return
            down = time.monotonic()
            log.warning("child %s (pid %d) exited with %s; restarting it", name, proc.pid, code)
            status = replace(self._status[name], state="restarting", pid=None)
            self._set(name, replace(status, down_since=down, last_exit=code))
            replacement = self._replace(name, backoff, down - started)
            if replacement is None:
                return
            with self._lock:
                self._procs[name] = replacement
            restarts = self._status[name].restarts + 1
            self._set(name, ChildStatus("running", replacement.pid, restarts, None, code))
            log.warning("child %s restarted (pid %d)", name, replacement.pid)

    def _replace(
        self, name: str, backoff: RestartBackoff, ran_s: float
    ) -> subprocess.Popen[bytes] | None:
        """Start a replacement after the backoff, retrying; None when stopping."""
        while not self._stopping.wait(backoff.delay(ran_s)):
            ran_s = 0.0
            try:
                proc = self._restart(name)
            except (OSError, RuntimeError) as exc:
                log.warning("child %s did not restart: %s", name, exc)
                continue
            if self._stopping.is_set():  # stop() ran while it started: it must not outlive us
                end_process(proc)
                return None
            return proc
        return None

    def stop(self) -> None:
        """Stop restarting (children are ended by their owner); idempotent. Call before ending
        the children, then :meth:`join`."""
        self._stopping.set()

    def join(self, timeout_s: float = 10.0) -> None:
        """Wait for the watcher threads (after :meth:`stop` and the children's end)."""
        for thread in self._threads:
            thread.join(timeout_s)
        with self._lock:
            for name, status in self._status.items():
                self._status[name] = replace(status, state="stopped", pid=None)


def close_pipes(proc: subprocess.Popen[bytes]) -> None:
    """Close the parent's ends of a child's stdin and stdout pipes. Idempotent."""
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None and not pipe.closed:
            pipe.close()


def end_process(proc: subprocess.Popen, grace_s: float = 3.0) -> None:
    """Terminate a child and reap it (SIGKILL after ``grace_s`` seconds); its stdin and stdout
    pipes are closed. Idempotent."""
    if proc.stdin is not None and not proc.stdin.closed:
        proc.stdin.close()  # first: a sandbox run with --exit-with-parent stops on its EOF
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    close_pipes(proc)
