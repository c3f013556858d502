"""Wire formats of ``dhe serve`` (DESIGN.md "Contracts"), validated without I/O.

* ``POST /api/sessions`` body: ``{"sdp", "type": "offer", "domain"?, "language"?}``.
* Events WebSocket, client → server: ``{"type": "text", "text"}``, ``{"type": "keypad",
  "digits"}``, ``{"type": "language", "language"}``, ``{"type": "handoff"}``.
* Server → client messages are built by the ``*_message`` helpers so their shapes live in one
  place: ``state``, ``transcript``, ``reply``, ``metrics``, ``error``.
* Errors: ``{"error": {"code", "message"}}`` with a 4xx/503 status (:class:`ApiError`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

STATES = ("idle", "greeting", "listening", "thinking", "speaking", "interrupted", "ended")
State = Literal["idle", "greeting", "listening", "thinking", "speaking", "interrupted", "ended"]
LANGUAGES = ("en", "zh")
_DOMAIN_RE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_DIGITS_RE = re.compile(r"^[0-9*#]{1,32}$")


class ApiError(Exception):
    """A request the server refuses: HTTP ``status`` with a stable ``code`` and a reason."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        """The JSON error body ``{"error": {"code", "message"}}``."""
        return {"error": {"code": self.code, "message": self.message}}


@dataclass(frozen=True, slots=True)
class OfferRequest:
    """A validated session offer.

    Attributes:
        sdp: the SDP offer text (≤ the configured size, starts with ``v=0``, has media).
        domain: the domain pack, or None for the configured default.
        language: ``auto``, ``en`` or ``zh``, or None for the configured default.
    """

    sdp: str
    domain: str | None
    language: str | None


def parse_offer(body: bytes, *, max_sdp_bytes: int) -> OfferRequest:
    """Validate a ``POST /api/sessions`` body.

    Args:
        body: the raw request body (UTF-8 JSON).
        max_sdp_bytes: largest SDP accepted (config ``server.max_sdp_bytes``, 64 KiB default).

    Raises:
        ApiError: 413 ``sdp-too-large``; 400 ``bad-json``, ``bad-offer``, ``bad-sdp``,
            ``bad-domain``, ``bad-language``.
    """
    if len(body) > max_sdp_bytes + 4096:
        raise ApiError(413, "sdp-too-large", f"request body over {max_sdp_bytes + 4096} bytes")
    try:
        doc = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, "bad-json", f"body is not valid JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise ApiError(400, "bad-offer", "body must be a JSON object")
    if doc.get("type") != "offer":
        raise ApiError(400, "bad-offer", 'field "type" must be "offer"')
    sdp = doc.get("sdp")
    if not isinstance(sdp, str) or not sdp:
        raise ApiError(400, "bad-offer", 'field "sdp" must be a non-empty string')
    if len(sdp.encode("utf-8")) > max_sdp_bytes:
        raise ApiError(413, "sdp-too-large", f"SDP over {max_sdp_bytes} bytes")
    check_sdp(sdp)
    domain = doc.get("domain")
    if domain is not None and (not isinstance(domain, str) or not _DOMAIN_RE.match(domain)):
        raise ApiError(400, "bad-domain", 'field "domain" must be a pack name like "bank"')
    language = doc.get("language")
    if language is not None and language not in ("auto", *LANGUAGES):
        raise ApiError(400, "bad-language", 'field "language" must be "auto", "en" or "zh"')
    return OfferRequest(sdp=sdp, domain=domain, language=language)


def check_sdp(sdp: str) -> None:
    """Cheap structural checks before aiortc parses the SDP (RFC 8866 §5).

    Raises:
        ApiError: 400 ``bad-sdp`` naming what is wrong.
    """
    lines = [line.rstrip("\r") for line in sdp.split("\n") if line.strip()]
    if not lines or lines[0] != "v=0":
        raise ApiError(400, "bad-sdp", 'SDP must start with "v=0"')
    for n, line in enumerate(lines, 1):
        if len(line) < 2 or line[1] != "=" or not line[0].isalpha():
            raise ApiError(400, "bad-sdp", f"SDP line {n} is not <type>=<value>")
    media = [line.split()[0][2:] for line in lines if line.startswith("m=")]
    if "audio" not in media:
        raise ApiError(400, "bad-sdp", "SDP offers no audio section")
    if not any(line.startswith("a=ice-ufrag:") for line in lines):
        raise ApiError(400, "bad-sdp", "SDP has no ICE credentials (a=ice-ufrag)")


@dataclass(frozen=True, slots=True)
class TextMessage:
    """A typed visitor turn."""

    text: str


@dataclass(frozen=True, slots=True)
class KeypadMessage:
    """Digits from the on-screen keypad (0-9, ``*``, ``#``)."""

    digits: str


@dataclass(frozen=True, slots=True)
class LanguageMessage:
    """The visitor switched the language."""

    language: str


@dataclass(frozen=True, slots=True)
class HandoffMessage:
    """The visitor asked for a human."""


ClientMessage = TextMessage | KeypadMessage | LanguageMessage | HandoffMessage


class MessageError(ValueError):
    """A client WebSocket message was refused; ``code`` is stable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def parse_client_message(raw: str | bytes, *, max_bytes: int, max_text_chars: int) -> ClientMessage:
    """Validate one client → server WebSocket message.

    Args:
        raw: the frame's text (or bytes).
        max_bytes: largest message (config ``server.max_ws_message_bytes``, 16 KiB default).
        max_text_chars: longest text turn (config ``server.max_text_chars``, 500 default).

    Raises:
        MessageError: ``message-too-large``, ``bad-json``, ``bad-message``, ``text-too-long``.
    """
    size = len(raw) if isinstance(raw, bytes) else len(raw.encode("utf-8"))
    if size > max_bytes:
        raise MessageError("message-too-large", f"message over {max_bytes} bytes")
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MessageError("bad-json", f"message is not valid JSON: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("type"), str):
        raise MessageError("bad-message", 'message must be an object with a "type"')
    kind = doc["type"]
    if kind == "text":
        text = doc.get("text")
        if not isinstance(text, str) or not text.strip():
            raise MessageError("bad-message", 'text message needs a non-empty "text"')
        if len(text) > max_text_chars:
            raise MessageError("text-too-long", f"text over {max_text_chars} characters")
        return TextMessage(text.strip())
    if kind == "keypad":
        digits = doc.get("digits")
        if not isinstance(digits, str) or not _DIGITS_RE.match(digits):
            raise MessageError("bad-message", 'keypad message needs "digits" (0-9 * #, ≤ 32)')
        return KeypadMessage(digits)
    if kind == "language":
        language = doc.get("language")
        if language not in LANGUAGES:
            raise MessageError("bad-message", 'language must be "en" or "zh"')
        return LanguageMessage(language)
    if kind == "handoff":
        return HandoffMessage()
    raise MessageError("bad-message", f"unknown message type {kind!r}")


def state_message(state: State) -> dict[str, Any]:
    """``{"type": "state", "state": …}``."""
    return {"type": "state", "state": state}


def transcript_message(text: str, *, final: bool, language: str) -> dict[str, Any]:
    """``{"type": "transcript", "role": "visitor", "text", "final", "language"}``."""
    return {
        "type": "transcript",
        "role": "visitor",
        "text": text,
        "final": final,
        "language": language,
    }


def reply_message(
    reply_id: str,
    text: str,
    language: str,
    emotion: str,
    gesture: str | None,
    card: dict[str, Any] | None,
    turn_id: str | None = None,
) -> dict[str, Any]:
    """``{"type": "reply", "reply_id", "text", "language", "emotion", "gesture", "card"}``
    (plus ``turn_id``)."""
    return {
        "type": "reply",
        "reply_id": reply_id,
        "text": text,
        "language": language,
        "emotion": emotion,
        "gesture": gesture,
        "card": card,
        "turn_id": turn_id,
    }


def metrics_message(turn_id: str, timings_ms: dict[str, float | None]) -> dict[str, Any]:
    """``{"type": "metrics", "turn_id", "timings_ms": {stage: ms or null, …}}``."""
    return {"type": "metrics", "turn_id": turn_id, "timings_ms": timings_ms}


def error_message(code: str, message: str) -> dict[str, Any]:
    """``{"type": "error", "code", "message"}``."""
    return {"type": "error", "code": code, "message": message}
