"""Wire formats a client sends ``dhe serve`` (``docs/architecture.md``, "Contracts"), without I/O.

* ``POST /api/sessions`` body: ``{"sdp", "type": "offer", "domain"?, "language"?,
  "ui_language"?, "video"?}``.
* Events WebSocket, client → server: ``{"type": "text", "text"}``, ``{"type": "keypad",
  "digits"}``, ``{"type": "language", "language"}``, ``{"type": "handoff"}``,
  ``{"type": "video", "shown_height"}``,
  ``{"type": "camera", "consent": true|false}``.
* Server → client messages are the session's events, serialised by
  :mod:`engine.server.messages`.
* Errors: ``{"error": {"code", "message"}}`` with a 4xx/503 status (:class:`ApiError`).
"""

from __future__ import annotations

import json
import math
import re
import sys
import unicodedata
from dataclasses import dataclass
from typing import Any, get_args

from engine.events import SessionState

STATES: tuple[SessionState, ...] = get_args(SessionState)
LANGUAGES = ("en", "zh")
_DOMAIN_RE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_DIGITS_RE = re.compile(r"^[0-9*#]{1,32}$")


class ApiError(Exception):
    """A request the server refuses: HTTP ``status`` with a stable ``code`` and a reason, and
    for a refusal that passes (429, 503) the seconds after which to try again (``Retry-After``,
    RFC 9110 §10.2.3; whole seconds, at least 1)."""

    def __init__(
        self, status: int, code: str, message: str, *, retry_after_s: float | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after_s = retry_after_s

    def _retry_after_whole_s(self) -> int | None:
        return None if self.retry_after_s is None else max(1, math.ceil(self.retry_after_s))

    def headers(self) -> dict[str, str]:
        """The response headers the refusal adds (``Retry-After`` when known)."""
        seconds = self._retry_after_whole_s()
        return {} if seconds is None else {"Retry-After": str(seconds)}

    def body(self) -> dict[str, Any]:
        """The JSON error body ``{"error": {"code", "message"}}``, plus ``retry_after_s`` (the
        ``Retry-After`` header's whole seconds) for a refusal that passes."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        seconds = self._retry_after_whole_s()
        if seconds is not None:
            error["retry_after_s"] = seconds
        return {"error": error}


def load_json(text: str | bytes) -> Any:
    """``json.loads`` for text from a client, with every way it fails as a ``ValueError`` whose
    message says what is wrong and holds no traceback-only detail.

    Besides malformed text (``json.JSONDecodeError``), the standard library refuses an integer
    of more than ``sys.get_int_max_str_digits()`` digits (4300 by default, CVE-2020-10735) with a
    bare ``ValueError``, and text nested thousands deep with ``RecursionError``.

    Raises:
        ValueError: the text is not JSON (``UnicodeDecodeError`` for bytes that are not UTF-8),
            holds an integer too long to read, or is nested too deeply.
    """
    try:
        return json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise
    except RecursionError as exc:  # arrays or objects nested thousands deep
        raise ValueError("nested too deeply") from exc
    except ValueError as exc:  # an integer literal over the interpreter's digit limit
        limit = sys.get_int_max_str_digits()
        raise ValueError(f"it holds an integer of more than {limit} digits") from exc


@dataclass(frozen=True, slots=True)
class OfferRequest:
    """A validated session offer.

    Attributes:
        sdp: the SDP offer text (≤ the configured size, starts with ``v=0``, has media).
        domain: the domain pack, or None for the configured default.
        language: ``auto``, ``en`` or ``zh``, or None for the configured default.
        video: (width, height) in pixels the page asks the avatar video to have (the framing
            its layout needs: 9:16 on a portrait kiosk), or None for the configured size.
        ui_language: ``en`` or ``zh``, the language the page shows: the AI mark in the video
            starts in it while ``language`` is ``auto``; None: English.
    """

    sdp: str
    domain: str | None
    language: str | None
    video: tuple[int, int] | None = None
    ui_language: str | None = None
    #: The height (CSS px) the page shows the video picture at (``video.shown_height``): the
    #: AI mark is drawn large enough to be legible there (:func:`avatar.label.legible_scale`).
    shown_height: int | None = None


def parse_offer(body: bytes, *, max_sdp_bytes: int) -> OfferRequest:
    """Validate a ``POST /api/sessions`` body.

    Args:
        body: the raw request body (UTF-8 JSON).
        max_sdp_bytes: largest SDP accepted (config ``server.max_sdp_bytes``, 64 KiB default).

    Raises:
        ApiError: 413 ``body-too-large`` (the whole body) or ``sdp-too-large``; 400
            ``bad-json``, ``bad-offer``, ``bad-sdp``, ``bad-domain``, ``bad-language``,
            ``bad-video``.
    """
    if len(body) > max_sdp_bytes + 4096:
        # the body, not the SDP: a small SDP beside a big field was blamed on the SDP
        raise ApiError(413, "body-too-large", f"request body over {max_sdp_bytes + 4096} bytes")
    if not body.strip():
        raise ApiError(
            400, "bad-json", 'body is empty; a JSON offer {"sdp", "type": "offer"} is expected'
        )
    try:
        doc = load_json(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ApiError(400, "bad-json", f"body is not UTF-8: {exc}") from exc
    except ValueError as exc:
        raise ApiError(400, "bad-json", f"body is not valid JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise ApiError(400, "bad-offer", "body must be a JSON object")
    if doc.get("type") != "offer":
        raise ApiError(400, "bad-offer", 'field "type" must be "offer"')
    sdp = doc.get("sdp")
    if not isinstance(sdp, str) or not sdp:
        raise ApiError(400, "bad-offer", 'field "sdp" must be a non-empty string')
    bad = _unreadable(sdp, allowed="\r\n\t")
    if bad:
        raise ApiError(400, "bad-sdp", f"SDP holds {bad}; it must be plain text")
    if len(sdp.encode("utf-8")) > max_sdp_bytes:
        raise ApiError(413, "sdp-too-large", f"SDP over {max_sdp_bytes} bytes")
    check_sdp(sdp)
    domain = doc.get("domain")
    if domain is not None and (not isinstance(domain, str) or not _DOMAIN_RE.match(domain)):
        raise ApiError(400, "bad-domain", 'field "domain" must be a pack name like "bank"')
    language = doc.get("language")
    if language is not None and language not in ("auto", *LANGUAGES):
        raise ApiError(400, "bad-language", 'field "language" must be "auto", "en" or "zh"')
    ui_language = doc.get("ui_language")
    if ui_language is not None and ui_language not in LANGUAGES:
        raise ApiError(400, "bad-language", 'field "ui_language" must be "en" or "zh"')
    return OfferRequest(
        sdp=sdp,
        domain=domain,
        language=language,
        video=_video_size(doc),
        ui_language=ui_language,
        shown_height=_shown_height(doc),
    )


#: Bounds of an offer's video size: each side, and the pixels of a frame (1080p at most).
VIDEO_SIDE_RANGE = (128, 1920)
VIDEO_MAX_PIXELS = 1920 * 1080


def _video_size(doc: dict) -> tuple[int, int] | None:
    """The offer's optional ``"video": {"width", "height"}``: even integers within
    :data:`VIDEO_SIDE_RANGE`, at most :data:`VIDEO_MAX_PIXELS` (video codecs take even sizes).

    Raises:
        ApiError: 400 ``bad-video`` naming the problem.
    """
    video = doc.get("video")
    if video is None:
        return None
    lo, hi = VIDEO_SIDE_RANGE
    if not isinstance(video, dict) or not {"width", "height"} <= set(video) <= _VIDEO_KEYS:
        raise ApiError(
            400, "bad-video", 'field "video" must be {"width": W, "height": H, "shown_height"?: S}'
        )
    size = (video["width"], video["height"])
    if not all(type(v) is int and lo <= v <= hi and v % 2 == 0 for v in size):
        raise ApiError(400, "bad-video", f"video width and height must be even, {lo}–{hi}")
    if size[0] * size[1] > VIDEO_MAX_PIXELS:
        raise ApiError(400, "bad-video", f"video over {VIDEO_MAX_PIXELS} pixels")
    return size


_VIDEO_KEYS = {"width", "height", "shown_height"}
#: Bounds of ``video.shown_height`` (CSS px).
SHOWN_HEIGHT_RANGE = (16, 4320)


def _shown_height(doc: dict) -> int | None:
    """The offer's optional ``video.shown_height``: an integer within :data:`SHOWN_HEIGHT_RANGE`
    (CSS px; a fraction is rounded), or None.

    Raises:
        ApiError: 400 ``bad-video`` naming the problem.
    """
    video = doc.get("video")
    value = video.get("shown_height") if isinstance(video, dict) else None
    if value is None:
        return None
    lo, hi = SHOWN_HEIGHT_RANGE
    if type(value) not in (int, float) or not lo <= value <= hi:
        raise ApiError(400, "bad-video", f"video shown_height must be a number, {lo}–{hi}")
    return round(value)


def _blank(text: str) -> bool:
    """Whether ``text`` shows nothing: whitespace and invisible format characters only
    (zero-width space, joiners, BOM: Unicode category Cf). A line of zero-width spaces was a
    turn ("Sorry, I didn't get that.") counting towards the misses that hand off to a person."""
    return all(ch.isspace() or unicodedata.category(ch) == "Cf" for ch in text)


def _unreadable(text: str, *, allowed: str = "") -> str | None:
    """What makes ``text`` unusable as text, or None: a lone UTF-16 surrogate (JSON's
    ``"\\ud800"`` decodes to one; it cannot be encoded as UTF-8) or a control character other
    than those in ``allowed`` (Unicode category Cc)."""
    for ch in text:
        code = ord(ch)
        if 0xD800 <= code <= 0xDFFF:
            return f"a lone surrogate (U+{code:04X})"
        if (code < 0x20 or 0x7F <= code < 0xA0) and ch not in allowed:
            return f"a control character (U+{code:04X})"
    return None


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


@dataclass(frozen=True, slots=True)
class CameraMessage:
    """The visitor's answer to the camera notice: analysis may run (``True``) or must stop."""

    consent: bool


@dataclass(frozen=True, slots=True)
class VideoMessage:
    """The height (CSS px) the page now shows the video picture at: the AI mark is redrawn to be
    legible there (a phone's video box shrinks once the notices and captions take their room)."""

    shown_height: int


ClientMessage = (
    TextMessage | KeypadMessage | LanguageMessage | HandoffMessage | CameraMessage | VideoMessage
)


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
        MessageError: ``message-too-large``, ``bad-json`` (also nested too deeply),
            ``bad-message`` (also a text with a lone surrogate or a control character, or a
            camera message whose ``consent`` is not a JSON boolean), ``text-too-long``.
    """
    size = len(raw) if isinstance(raw, bytes) else len(raw.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise MessageError("message-too-large", f"message over {max_bytes} bytes")
    try:
        doc = load_json(raw)
    except ValueError as exc:  # UnicodeDecodeError included
        raise MessageError("bad-json", f"message is not valid JSON: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("type"), str):
        raise MessageError("bad-message", 'message must be an object with a "type"')
    kind = doc["type"]
    if kind == "text":
        text = doc.get("text")
        if not isinstance(text, str) or _blank(text):
            raise MessageError("bad-message", 'text message needs a non-empty "text"')
        if len(text) > max_text_chars:
            raise MessageError("text-too-long", f"text over {max_text_chars} characters")
        bad = _unreadable(text, allowed="\n\t")
        if bad:
            raise MessageError("bad-message", f"text holds {bad}")
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
    if kind == "camera":
        consent = doc.get("consent")
        if not isinstance(consent, bool):
            raise MessageError("bad-message", 'camera message needs "consent": true or false')
        return CameraMessage(consent)
    if kind == "video":
        shown = doc.get("shown_height")
        lo, hi = SHOWN_HEIGHT_RANGE
        if type(shown) not in (int, float) or not lo <= shown <= hi:
            raise MessageError("bad-message", f'video message needs "shown_height", {lo}–{hi}')
        return VideoMessage(round(shown))
    raise MessageError("bad-message", f"unknown message type {kind[:40]!r}")
