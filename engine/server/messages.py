"""Server → client messages of the events WebSocket (``docs/architecture.md``, "Contracts"),
without I/O: the session's events, serialised (:func:`serialise`, one function per type in
:data:`SERVER_MESSAGES`): ``state``, ``transcript``, ``reply``, ``metrics``, ``error``,
``presence``, ``emotion``, ``gesture``. Nothing else builds them. What a client may send, and
the HTTP offer, are read by :mod:`engine.server.protocol`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from dialog.sensitive import mask_line
from engine.events import (
    EmotionChanged,
    Event,
    FinalTranscript,
    GestureDetected,
    PartialTranscript,
    PresenceChanged,
    Reply,
    SessionError,
    StageError,
    StateChanged,
    TurnMetrics,
)

# To send the page a new message type, add its event to engine/events.py, a function below
# that turns it into ``{"type": …, …}`` (JSON values only), and an entry in SERVER_MESSAGES.


def _state(e: StateChanged) -> dict[str, Any]:
    """``{"type": "state", "state"}`` plus ``reason`` (ended) or ``bargein_ms`` (barge-in)."""
    message: dict[str, Any] = {"type": "state", "state": e.state}
    if e.reason is not None:
        message["reason"] = e.reason
    if e.bargein_ms is not None:
        message["bargein_ms"] = e.bargein_ms
    return message


def _transcript(e: PartialTranscript | FinalTranscript) -> dict[str, Any]:
    """``{"type": "transcript", "role": "visitor", "text", "final", "language"}``; ``text``
    masked as the logs see it (:func:`dialog.sensitive.mask_line`: a full card, account, ID or
    phone number shows only its last 4 digits on the lobby screen's caption, a PIN nothing, and
    at the one-time code's question no number shows)."""
    return {
        "type": "transcript",
        "role": "visitor",
        "text": mask_line(e.text, code=e.code),
        "final": isinstance(e, FinalTranscript),
        "language": e.language,
    }


def _reply(e: Reply) -> dict[str, Any]:
    """``{"type": "reply", "reply_id", "text", "language", "emotion", "gesture", "card",
    "turn_id"}``."""
    return {
        "type": "reply",
        "reply_id": e.reply_id,
        "text": e.text,
        "language": e.language,
        "emotion": e.emotion,
        "gesture": e.gesture,
        "card": dict(e.card) if e.card is not None else None,
        "turn_id": e.turn_id,
    }


def _metrics(e: TurnMetrics) -> dict[str, Any]:
    """``{"type": "metrics", "turn_id", "timings_ms": {stage: ms or null, …}, "intent",
    "interrupted"}`` (``interrupted``: the turn was cut before its replies went out)."""
    return {
        "type": "metrics",
        "turn_id": e.turn_id,
        "timings_ms": e.as_dict(),
        "intent": e.intent,
        "interrupted": e.interrupted,
    }


def _stage_error(e: StageError) -> dict[str, Any]:
    """``{"type": "error", "code", "message", "stage", "turn_id"}``."""
    return {
        "type": "error",
        "code": e.code,
        "message": e.message,
        "stage": e.stage,
        "turn_id": e.turn_id,
    }


def _session_error(e: SessionError) -> dict[str, Any]:
    """``{"type": "error", "code", "message"}``."""
    return {"type": "error", "code": e.code, "message": e.message}


def _presence(e: PresenceChanged) -> dict[str, Any]:
    """``{"type": "presence", "present", "face_box"}`` (``[x, y, w, h]`` fractions of the
    camera frame, or null when the visitor left)."""
    box = list(e.face_box) if e.face_box is not None else None
    return {"type": "presence", "present": e.present, "face_box": box}


def _emotion(e: EmotionChanged) -> dict[str, Any]:
    """``{"type": "emotion", "emotion", "score"}``."""
    return {"type": "emotion", "emotion": e.emotion, "score": e.score}


def _gesture(e: GestureDetected) -> dict[str, Any]:
    """``{"type": "gesture", "name", "score", "hand"}``."""
    return {"type": "gesture", "name": e.name, "score": e.score, "hand": e.hand}


#: Event type → its server → client message. Events not listed stay inside the engine.
SERVER_MESSAGES: Mapping[type[Event], Callable[[Any], dict[str, Any]]] = MappingProxyType(
    {
        StateChanged: _state,
        PartialTranscript: _transcript,
        FinalTranscript: _transcript,
        Reply: _reply,
        TurnMetrics: _metrics,
        StageError: _stage_error,
        SessionError: _session_error,
        PresenceChanged: _presence,
        EmotionChanged: _emotion,
        GestureDetected: _gesture,
    }
)


def serialise(event: Event) -> dict[str, Any] | None:
    """The events-socket message of ``event`` (a JSON-ready dict), or None when the page does
    not receive that kind of event."""
    serialiser = SERVER_MESSAGES.get(type(event))
    return serialiser(event) if serialiser is not None else None
