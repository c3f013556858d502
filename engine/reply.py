"""One visitor turn's reply as a handle: a cancel scope with futures the session reacts to.

A :class:`ReplyHandle` runs the turn's work (final decode, dialog, TTS, queueing the audio) in
one task, LiveKit's ``SpeechHandle`` pattern. Whoever owns the session does not ask the handle
how it is doing; it adds callbacks to its futures:

* :attr:`ReplyHandle.first_audio` — the loop time (seconds) the reply's first sample went out
  (the avatar is *speaking*); cancelled when the reply had no audio or was interrupted;
* :attr:`ReplyHandle.played` — all of the reply's audio has played (the avatar is *idle*
  again); resolved when the work ends without audio, cancelled when interrupted;
* :attr:`ReplyHandle.interrupted` — resolved by :meth:`ReplyHandle.interrupt` (barge-in, a new
  typed turn, the session ending) with what cut it.

:meth:`ReplyHandle.interrupt` cancels the one task, so everything the turn awaits — the final
ASR decode, a connector call, a TTS generator — stops at the await it has reached.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

#: The turn's work: a coroutine function given the handle it runs under.
ReplyWork = Callable[["ReplyHandle"], Coroutine[Any, Any, Any]]


@dataclass(frozen=True, slots=True)
class Interruption:
    """What cut a reply.

    Attributes:
        onset_s: loop time (seconds) the visitor's speech began for a barge-in; ``None`` when a
            typed turn or the session's end cut it.
        reason: ``barge-in``, ``new-turn`` or ``session-ended``.
    """

    onset_s: float | None
    reason: str


class ReplyHandle:
    """One turn's reply work and its lifecycle futures (see the module docstring).

    Create it with :meth:`start` inside a running event loop.

    Args:
        turn_id: the visitor turn this answers.
    """

    def __init__(self, turn_id: str) -> None:
        loop = asyncio.get_running_loop()
        self.turn_id = turn_id
        #: Replies already announced (their audio may be queued), in order.
        self.reply_ids: list[str] = []
        self.first_audio: asyncio.Future[float] = loop.create_future()
        self.played: asyncio.Future[None] = loop.create_future()
        self.interrupted: asyncio.Future[Interruption] = loop.create_future()
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def start(cls, turn_id: str, work: ReplyWork) -> ReplyHandle:
        """Run ``work(handle)`` in a new task and return the handle.

        When the work returns or fails without an interruption, :attr:`played` is resolved (if
        the work did not) and :attr:`first_audio` is cancelled if no audio went out.
        """
        handle = cls(turn_id)
        handle._task = asyncio.create_task(handle._run(work), name=f"reply-{turn_id}")
        return handle

    async def _run(self, work: ReplyWork) -> None:
        try:
            await work(self)
        finally:
            if not self.interrupted.done():
                self.audio_done()

    @property
    def active(self) -> bool:
        """True while the work runs (not finished, failed or cancelled)."""
        return self._task is not None and not self._task.done()

    @property
    def busy(self) -> bool:
        """True until the reply has played out or was interrupted: the avatar is preparing or
        saying it (barge-in is possible)."""
        return not (self.played.done() or self.interrupted.done())

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The task running the work (None before :meth:`start`)."""
        return self._task

    def audio_started(self, t_s: float) -> None:
        """The reply's first sample went out at loop time ``t_s`` (once; later calls ignored)."""
        if not self.first_audio.done():
            self.first_audio.set_result(t_s)

    def audio_done(self) -> None:
        """All of the reply's audio has played (or there was none)."""
        if not self.first_audio.done():
            self.first_audio.cancel()
        if not self.played.done():
            self.played.set_result(None)

    def interrupt(self, onset_s: float | None = None, reason: str = "new-turn") -> bool:
        """Cut the reply: resolve :attr:`interrupted`, cancel the other futures and the task.

        Returns:
            True when this call interrupted it; False when it had already played out or been
            interrupted (idempotent).
        """
        if not self.busy:
            if self._task is not None:
                self._task.cancel()
            return False
        self.interrupted.set_result(Interruption(onset_s, reason))
        for future in (self.first_audio, self.played):
            if not future.done():
                future.cancel()
        if self._task is not None:
            self._task.cancel()
        return True

    async def wait(self) -> None:
        """Wait until the work has ended (returns also when it was cancelled or failed)."""
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
