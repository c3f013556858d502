"""What a live session does about what the camera sees. Sans-IO: a pure policy.

:func:`react` maps one perception event, and the little it needs to know about the session
(:class:`SessionView`), to at most one :class:`Reaction`; the live session's adapter
(:class:`engine.server.perception_stage.VisitorReactions`) carries it out.

==========================  =====================================================================
seen                        reaction
==========================  =====================================================================
visitor arrived             :class:`Greet` — the avatar greets first (nothing said yet, idle)
visitor left                :class:`Leave` — the session ends and its memory is wiped
``Open_Palm`` held          :class:`StopReply` while the avatar prepares or says a reply
                            (barge-in without speaking)
``Wave``                    :class:`Greet` when nothing was said yet and the avatar is idle; a
                            visitor already greeted gets a smile back (:class:`Express`), not
                            the whole greeting again
``Thumb_Up``/``Thumb_Down`` :class:`AnswerGesture` when the dialog takes it (a yes/no
and any other gesture       confirmation step); else nothing
the visitor's expression    :class:`Express` — the avatar's face answers it: concerned at a frown
                            or sadness (even mid-reply: never a smile at a frown), a smile back
                            while idle
==========================  =====================================================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from engine.events import EmotionChanged, Event, GestureDetected, PresenceChanged
from engine.perception.gestures import WAVE

#: Visitor emotion (engine.perception.emotion) → the avatar's expression (avatar.expressions).
AVATAR_EMOTION: dict[str, str] = {
    "angry": "concerned",
    "sad": "concerned",
    "happy": "happy",
    "surprised": "neutral",
    "neutral": "neutral",
}


@dataclass(frozen=True, slots=True)
class SessionView:
    """What the policy needs to know about the session.

    Attributes:
        busy: a reply is being prepared or said.
        greeted: the avatar or the visitor has already said something in this session.
    """

    busy: bool
    greeted: bool


@dataclass(frozen=True, slots=True)
class Greet:
    """Say the domain's greeting (state ``greeting``)."""


@dataclass(frozen=True, slots=True)
class Leave:
    """The visitor walked away: end the session (reason ``visitor-left``), wiping it."""


@dataclass(frozen=True, slots=True)
class StopReply:
    """Cut the reply in progress, as a spoken barge-in does."""


@dataclass(frozen=True, slots=True)
class AnswerGesture:
    """Give the gesture ``name`` to the dialog as the visitor's turn."""

    name: str


@dataclass(frozen=True, slots=True)
class Express:
    """Show ``emotion`` (an avatar expression) on the avatar's face from now."""

    emotion: str


Reaction = Greet | Leave | StopReply | AnswerGesture | Express


def react(
    event: Event, view: SessionView, accepts_gesture: Callable[[str], bool]
) -> Reaction | None:
    """The session's reaction to one perception event (None: nothing to do).

    Args:
        event: a :class:`PresenceChanged`, :class:`GestureDetected` or
            :class:`EmotionChanged` (anything else: None).
        view: the session now.
        accepts_gesture: whether the dialog takes a gesture as the visitor's answer now
            (``DialogSession.accepts_gesture``).
    """
    if isinstance(event, PresenceChanged):
        if not event.present:
            return Leave()
        return None if view.busy or view.greeted else Greet()
    if isinstance(event, GestureDetected):
        if event.name == "Open_Palm" and view.busy:
            return StopReply()
        if event.name == WAVE:
            # a waving visitor fires a Wave every 1-2 s: the 14 s greeting started over each
            # time (newcomer11); once greeted, the avatar smiles back instead
            if view.busy:
                return None
            return Express("happy") if view.greeted else Greet()
        return AnswerGesture(event.name) if accepts_gesture(event.name) else None
    if isinstance(event, EmotionChanged):
        emotion = AVATAR_EMOTION.get(event.emotion, "neutral")
        if view.busy and emotion != "concerned":
            return None  # a reply shows its own face; only a frown changes it
        return Express(emotion)
    return None
