"""The idle timeout and the question before it: "Are you still there?".

A visitor who went silent in the middle of a flow was timed out without a word
(``server.idle_timeout_s``, 300 s by default: the session ended, its memory wiped). Now,
``server.idle_warning_s`` before the end, the avatar asks once, in the session's language,
whether the visitor is still there and says what happens otherwise (the pack's
``utter_still_there``); speech, a typed line or a tap (any events-socket message) starts the
wait anew. The question's own reply does not: the end comes ``idle_warning_s`` after it was
asked, whether or not the visitor heard it to its end. Once it was asked, a gesture or the
visitor seen by the camera (with their consent) answers it too: someone is there.

A verified visitor who walks away left their account open to the next person for the whole
timeout (newcomer #15). So a third timer, ``server.verified_idle_s`` (60 s by default, 0: off),
fires on a shorter silence: the session then forgets the account details the visitor gave
(:mod:`dialog.lapse`) and says so in the visitor's language; the session itself runs on to its
own timeout. Only the visitor's own input (speech, a typed line, a tap, a gesture) starts that
count anew; being seen does not (the next person is seen too). The lapse's own reply, like the
question's, does not put the end off: the silence counted before it runs on, so a silent
session ends ``idle_timeout_s`` after it fell silent, not the lapse and its reply later
(fixes18).

:class:`IdleWatch` is the two timers; :class:`engine.server.session.Session` arms it while
nothing is said or prepared, and says the question when it asks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from engine.server.lifecycle import Deadline


def warning_lead(timeout_s: float, warning_s: float) -> float:
    """Seconds before the end the question is asked: ``warning_s``, at most half the timeout
    (a 10 s timeout, as the server's tests set, asks after 5 s and ends 5 s later); 0 when
    ``warning_s`` is 0 (never asked).

    Args:
        timeout_s: ``server.idle_timeout_s``, seconds (> 0).
        warning_s: ``server.idle_warning_s``, seconds (>= 0).
    """
    if warning_s <= 0:
        return 0.0
    return min(warning_s, timeout_s / 2)


class IdleWatch:
    """The idle timeout, with "are you still there?" before it.

    Args:
        timeout_s: seconds of no activity before ``on_expire`` (``server.idle_timeout_s``).
        warning_s: seconds before that to call ``on_warn`` (``server.idle_warning_s``; capped
            by :func:`warning_lead`; 0: never, the timeout alone).
        on_warn: called once per silence with the seconds left (the session asks whether the
            visitor is still there); on the event loop, must not block.
        on_expire: called when the time is up (the session ends); on the event loop.
        lapse_s: seconds of no activity before ``on_lapse`` (``server.verified_idle_s``; 0, or
            not shorter than ``timeout_s``: never).
        on_lapse: called once per silence of ``lapse_s`` (the session forgets the account
            details the visitor gave, if any); on the event loop, must not block.
    """

    def __init__(
        self,
        timeout_s: float,
        warning_s: float,
        on_warn: Callable[[float], None],
        on_expire: Callable[[], None],
        lapse_s: float = 0.0,
        on_lapse: Callable[[], None] | None = None,
    ) -> None:
        self.seconds = timeout_s
        self.lead = warning_lead(timeout_s, warning_s)
        self._on_warn = on_warn
        self._quiet = Deadline(timeout_s - self.lead, self._warn if self.lead else on_expire)
        self._last = Deadline(self.lead, on_expire) if self.lead else None
        self.warned = False  # asked, and nothing from the visitor since
        self._idle = False
        self._on_lapse = on_lapse
        self._lapse = (
            Deadline(lapse_s, self._lapsed)
            if on_lapse is not None and 0 < lapse_s < timeout_s
            else None
        )
        self.lapsed = False  # the lapse came, and nothing from the visitor since
        self._quiet_from = 0.0  # loop time the silence counted by ``_quiet`` began

    @property
    def armed(self) -> bool:
        """Whether an end is on its way (the silence is counted, or the question was asked)."""
        return self._quiet.armed or (self._last is not None and self._last.armed)

    def idle(self) -> None:
        """Nothing is said or prepared: count the silence from now (unless the question was
        asked: the end already runs)."""
        self._idle = True
        if not self.warned:
            if self.lapsed:  # after the lapse's reply: the silence before it runs on
                elapsed = asyncio.get_running_loop().time() - self._quiet_from
                self._quiet.arm(self._quiet.seconds - elapsed)
            else:
                self._count_quiet()
        if self._lapse is not None and not self.lapsed:
            self._lapse.arm()

    def busy(self) -> None:
        """A turn or a reply is under way (the question's or the lapse's own included): the
        silence is not counted meanwhile; an end already on its way after the question keeps
        running, and after the lapse :meth:`idle` counts on from where the silence began."""
        self._idle = False
        self._quiet.disarm()
        if self._lapse is not None:
            self._lapse.disarm()

    def activity(self) -> None:
        """The visitor spoke, typed, tapped or made a gesture: the question is forgotten and
        the silence (and the lapse's) counted anew when nothing is under way."""
        self.lapsed = False
        self._still_here()
        if self._idle and self._lapse is not None:
            self._lapse.arm()

    def seen(self) -> None:
        """The camera sees the visitor (with their consent): after the question this answers
        it, as speech would; before it, nothing changes (a visitor standing silently in view
        still gets the question). The lapse is never put off by it (the next person is seen
        too): with ``lapse_s`` past the question's time, being seen at each question kept a
        verified account open for good (review17)."""
        if self.warned:
            self._still_here()

    def _still_here(self) -> None:
        """The question is answered: forgotten, and the silence counted anew, from now: at once
        when idle, else from :meth:`idle` after the lapse too (answered by being seen while the
        question was said, the silence's old start re-armed a spent wait after the lapse, and
        the question came again at once, review18)."""
        self.warned = False
        if self._last is not None:
            self._last.disarm()
        if self._idle:
            self._count_quiet()
        else:
            self._quiet_from = asyncio.get_running_loop().time()

    def _count_quiet(self) -> None:
        """Count the silence from now."""
        self._quiet_from = asyncio.get_running_loop().time()
        self._quiet.arm()

    def stop(self) -> None:
        """The session ends: no more timers (idempotent)."""
        self._idle = False
        self._quiet.disarm()
        if self._last is not None:
            self._last.disarm()
        if self._lapse is not None:
            self._lapse.disarm()

    def _lapsed(self) -> None:
        self.lapsed = True
        assert self._on_lapse is not None
        self._on_lapse()

    def _warn(self) -> None:
        self.warned = True
        assert self._last is not None
        self._last.arm()
        self._on_warn(self.lead)
