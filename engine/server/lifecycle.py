"""Small parts of a session's lifetime: its state as events, its timers, its tasks.

* :class:`SessionStateMachine` — the session's state (``idle → listening → thinking → speaking``,
  ``interrupted``, ``ended``); every change is a :class:`~engine.events.StateChanged` on the bus.
* :class:`Deadline` — a re-armable one-shot timer on the event loop (idle and connect
  timeouts): armed and disarmed by state changes, never a loop that sleeps and looks.
* :class:`SessionTasks` — the session's background tasks; an unexpected failure in one is
  reported once and ends the session, never the server.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from engine.events import SessionState, StateChanged
from engine.observers import EventBus

log = logging.getLogger(__name__)


class SessionStateMachine:
    """A session's state, published on its bus.

    Args:
        session_id: for events.
        bus: where :class:`StateChanged` goes.
        on_change: called with each new state after it is published (timers follow it).
    """

    def __init__(
        self, session_id: str, bus: EventBus, on_change: Callable[[SessionState], None]
    ) -> None:
        self.session_id = session_id
        self.bus = bus
        self.on_change = on_change
        self.value: SessionState = "idle"

    def enter(
        self, state: SessionState, *, reason: str | None = None, bargein_ms: float | None = None
    ) -> None:
        """Enter ``state`` (an unchanged state without details is not published again)."""
        if state == self.value and reason is None and bargein_ms is None:
            return
        self.value = state
        self.announce(reason=reason, bargein_ms=bargein_ms)

    def announce(self, *, reason: str | None = None, bargein_ms: float | None = None) -> None:
        """Publish the current state (also when unchanged: the first message of a session)."""
        self.bus.publish(
            StateChanged(
                session_id=self.session_id, state=self.value, reason=reason, bargein_ms=bargein_ms
            )
        )
        self.on_change(self.value)


class Deadline:
    """A one-shot timer: ``on_expire`` runs ``seconds`` after the last :meth:`arm`.

    Args:
        seconds: the delay.
        on_expire: what to do then (on the event loop; must not block).
    """

    def __init__(self, seconds: float, on_expire: Callable[[], None]) -> None:
        self.seconds = seconds
        self._on_expire = on_expire
        self._handle: asyncio.TimerHandle | None = None

    @property
    def armed(self) -> bool:
        """Whether the timer is running."""
        return self._handle is not None

    def arm(self, seconds: float | None = None) -> None:
        """(Re)start the timer from now, to fire after ``seconds`` (default :attr:`seconds`;
        a negative value fires on the loop's next pass)."""
        self.disarm()
        delay = self.seconds if seconds is None else max(0.0, seconds)
        self._handle = asyncio.get_running_loop().call_later(delay, self._fire)

    def disarm(self) -> None:
        """Stop the timer (idempotent)."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def touch(self) -> None:
        """Activity: restart the timer if it runs."""
        if self._handle is not None:
            self.arm()

    def _fire(self) -> None:
        self._handle = None
        self._on_expire()


class SessionTasks:
    """One session's background tasks.

    Args:
        name: the session id (task names, log lines).
        on_failure: called with the task's name and the exception when a task fails
            unexpectedly (the session reports it and ends).
    """

    def __init__(self, name: str, on_failure: Callable[[str, Exception], None]) -> None:
        self.name = name
        self._on_failure = on_failure
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run ``coro`` as one of the session's tasks."""
        task = asyncio.create_task(self._guard(coro, name), name=f"{self.name}-{name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _guard(self, coro: Coroutine[Any, Any, Any], name: str) -> None:
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the session boundary: report, log, end this session
            log.exception("session %s: %s failed", self.name, name)
            self._on_failure(name, exc)

    def cancel_all(self) -> None:
        """Cancel every task but the one running this call."""
        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()
