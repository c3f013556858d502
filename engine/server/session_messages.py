"""What one live session does with the page's events-socket messages: a typed line, keypad
digits, the language chosen, the handoff button, the camera's consent.

Split out of :mod:`engine.server.session` along the seam between the session's media and
lifetime (signaling, timers, closing) and the events socket's messages (fixes18: session.py
had grown to 403 lines). :meth:`engine.server.session.Session.handle_message` drops a message
that races the session's close and counts every other one as the visitor's activity before it
hands it here.
"""

from __future__ import annotations

from functools import partial
from types import MappingProxyType
from typing import Protocol

from avatar.label import legible_scale
from dialog import DialogSession
from dialog.types import DialogTurn
from engine.server import protocol
from engine.server.media import SessionMedia
from engine.server.perception_stage import PerceptionStage
from engine.server.session_turns import SessionTurns
from engine.server.transcribing import SessionDecoder
from engine.turns import TurnRunner

#: The handoff button's words, per session language.
HANDOFF_TEXT = MappingProxyType({"zh": "转人工", "en": "I want to talk to a human"})


class MessageSession(Protocol):
    """The parts of :class:`engine.server.session.Session` its messages use (a protocol, so
    this module does not import the session's: the engine's modules import without a cycle)."""

    language: str
    dialog: DialogSession
    decoder: SessionDecoder
    media: SessionMedia
    perception: PerceptionStage
    runner: TurnRunner
    turns: SessionTurns

    def next_turn_id(self) -> str:
        """A fresh turn id."""
        ...


class SessionMessages:
    """The events socket's client → server messages of one session.

    Args:
        session: the live session (its dialog, decoder, media, perception and turns); the
            caller makes sure it is not closing.
    """

    def __init__(self, session: MessageSession) -> None:
        self.session = session

    async def handle(self, message: protocol.ClientMessage) -> None:
        """Act on ``message``: the camera's consent, the language (the waiting question asked
        again in it), or a typed line, keypad digits or the handoff button as a typed turn.

        Raises:
            dialog.SessionClosedError: the dialog session was closed meanwhile (the caller
                drops messages once the session closes, so only a defect gets here).
        """
        s = self.session
        if isinstance(message, protocol.CameraMessage):
            s.perception.set_consent(message.consent)
            return
        if isinstance(message, protocol.LanguageMessage):
            self._choose_language(message.language)
            return
        if isinstance(message, protocol.VideoMessage):
            s.media.label.set_scale(legible_scale(message.shown_height))
            return
        if isinstance(message, protocol.TextMessage):
            text = message.text
        elif isinstance(message, protocol.KeypadMessage):
            text = message.digits
        else:
            # with "auto" the language the avatar last answered in, not English (newcomer17)
            said_in = s.language if s.language in HANDOFF_TEXT else s.dialog.language
            text = HANDOFF_TEXT["zh" if said_in == "zh" else "en"]
        s.turns.typed_turn(text)

    def _choose_language(self, language: str) -> None:
        s = self.session
        s.language = language
        s.decoder.set_language(language)
        s.media.set_language(language)  # the AI mark and badge in the video
        if s.dialog.awaited_answer() is not None and language != "auto":
            # the flow's question is asked again in the language chosen (it waited,
            # unanswered, in the old one)
            s.turns.start_reply(
                s.next_turn_id(),
                lambda h: s.runner.seen_turn(h, partial(self._asked_again, language)),
            )

    async def _asked_again(self, language: str) -> DialogTurn:
        """The waiting question in ``language`` (:meth:`DialogSession.switch_language`)."""
        turn = await self.session.dialog.switch_language(language)
        if turn is None:  # the question was answered meanwhile (a typed turn ahead of this)
            return DialogTurn("", None, language, [], {"dialog": 0.0, "connector": None})
        return turn
