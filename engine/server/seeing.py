"""What a live session does when the camera sees something: the ports of
:class:`~engine.server.perception_stage.VisitorReactions`, over the session's own operations.

Every reaction goes through the same paths as the visitor's words: a greeting or a gesture's
dialog turn is a reply under a :class:`~engine.reply.ReplyHandle`
(:meth:`~engine.server.session_turns.SessionTurns.start_reply`), an open palm cuts the reply the
way a spoken barge-in does (:meth:`~engine.server.session_turns.SessionTurns.interrupt`),
walking away ends the session the way "Finish" does (``Session.close``), and the avatar's face
and gaze are set on its timeline.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from dialog import DialogSession
from engine.perception.reactions import SessionView
from engine.server.lifecycle import SessionStateMachine, SessionTasks
from engine.server.media import SessionMedia
from engine.server.runtime import Runtime
from engine.server.session_turns import SessionTurns
from engine.turns import TurnRunner


class LiveSession(Protocol):
    """The parts of :class:`engine.server.session.Session` the reactions use."""

    turns: SessionTurns
    turns_taken: int
    dialog: DialogSession
    runner: TurnRunner
    media: SessionMedia
    runtime: Runtime
    tasks: SessionTasks
    loop: asyncio.AbstractEventLoop
    state: SessionStateMachine

    def next_turn_id(self) -> str:
        """A fresh turn id."""
        ...

    async def close(self, reason: str = "closed") -> None:
        """End the session."""
        ...


class SeeingSession:
    """:class:`~engine.server.perception_stage.SeeingPorts` for one live session.

    Args:
        session: the session the camera belongs to.
    """

    def __init__(self, session: LiveSession) -> None:
        self.session = session

    def view(self) -> SessionView:
        """Whether a reply is under way and whether anything was said yet."""
        s = self.session
        reply = s.turns.reply
        return SessionView(reply is not None and reply.busy, s.turns_taken > 0)

    def accepts_gesture(self, name: str) -> bool:
        """Whether the dialog takes gesture ``name`` as an answer now."""
        return self.session.state.value != "ended" and self.session.dialog.accepts_gesture(name)

    def greet(self) -> None:
        """The visitor arrived or waved: the avatar greets, in the session's language."""
        s = self.session
        s.runtime.metrics.turns.labels(kind="greeting").inc()
        s.turns.start_reply(
            s.next_turn_id(),
            lambda h: s.runner.seen_turn(h, lambda: s.dialog.greet(s.runner.mood())),
            "greeting",
        )

    def end(self, reason: str) -> None:
        """End the session (the visitor walked away), as the Finish button does."""
        self.session.tasks.spawn(self.session.close(reason), "close")

    def stop_reply(self) -> None:
        """An open palm held up while the avatar talks: barge-in without speaking (the
        ``interrupted`` state's ``bargein_ms`` counts from the gesture's detection)."""
        self.session.turns.interrupt(self.session.loop.time())

    def answer_gesture(self, name: str) -> None:
        """A gesture the dialog takes (a thumbs up at a confirmation) is the visitor's turn."""
        s = self.session
        s.runtime.metrics.turns.labels(kind="gesture").inc()
        s.turns.start_reply(
            s.next_turn_id(), lambda h: s.runner.seen_turn(h, lambda: s.dialog.handle_gesture(name))
        )

    def express(self, emotion: str) -> None:
        """The avatar's face answers the visitor's expression from now."""
        media = self.session.media
        media.timeline.set_emotion(emotion, media.now_sample())
