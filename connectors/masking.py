"""Masking of personal data and secrets for logs and the call audit (``docs/architecture.md``,
"Data, privacy, configuration").

Card, account, ID and phone numbers show at most their last 4 digits; secrets (one-time codes,
tokens, API keys, passwords) show nothing. Two rules, applied together:

* **by field name** — a key naming a secret (``token``, ``code``, ``otp``, ``api_key`` …) is
  replaced by ``"***"``; a key naming a number (``card``, ``account``, ``phone``, ``id_number`` …)
  keeps its last 4 characters;
* **by pattern** — in any text, a run of 7 or more digits (single spaces or dashes between digits
  allowed, a trailing ``X`` check character of Chinese ID numbers included) keeps its last 4 digits.
  ISO dates (``2024-05-01``) and decimal amounts (``1234567.89``) are left alone, and so are
  digits inside an opaque identifier (``v_059b81211857e8f8``: ASCII letters or ``_`` touch the
  run), so audit rows keep matching the business system's ids.

Pure functions, no I/O; :func:`masking_processor` adapts them to structlog.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping
from typing import Any

#: The most characters of a personal number that may be shown (``docs/architecture.md``).
VISIBLE_DIGITS = 4
#: Digit runs at least this long are treated as personal numbers (phone numbers have 7+).
MIN_RUN_DIGITS = 7
MASK = "***"

_SECRET_PARTS = frozenset(
    {"token", "code", "otp", "secret", "password", "passwd", "pin", "cvv", "authorization"}
    | {"cookie", "apikey", "credentials"}
)
_KEY_OWNERS = frozenset({"api", "test", "x", "private", "client", "access"})
_NUMBER_PARTS = frozenset({"card", "account", "phone", "mobile", "iban", "ssn", "msisdn"})
_ID_OWNERS = frozenset({"taxpayer", "national", "citizen", "resident", "passport"})
# Keys whose parts look secret but whose values are not.
_NOT_SECRET = frozenset(
    {"status_code", "error_code", "outcome_code", "code_length", "country_code"}
)

_ISO_DATE = r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?"
_DIGIT_RUN = r"\d(?:[ \-]?\d){" + str(MIN_RUN_DIGITS - 1) + r",}[Xx]?"
# ASCII only: CJK characters are ``\w`` too, and "卡号6217000012344417" must still be masked.
_PATTERN = re.compile(
    rf"(?P<date>{_ISO_DATE})|(?<![0-9A-Za-z_.])(?P<run>(?>{_DIGIT_RUN}))(?!\.\d|[0-9A-Za-z_])"
)


def _mask_run(run: str) -> str:
    """Replace every digit but the last :data:`VISIBLE_DIGITS` with ``*`` (separators dropped)."""
    chars = [c for c in run if c.isdigit() or c in "Xx"]
    return "*" * (len(chars) - VISIBLE_DIGITS) + "".join(chars[-VISIBLE_DIGITS:])


def mask_digits(text: str) -> str:
    """Mask every long digit run in ``text`` to its last 4 digits.

    Args:
        text: any text (log message, free-text ticket body, error message).

    Returns:
        ``text`` with each run of >= 7 digits (spaces/dashes between them allowed) replaced by
        ``*`` for all but the last 4 digits, e.g. ``"card 6217 0000 1234 4417"`` →
        ``"card ************4417"``. Dates and decimal amounts are kept.
    """

    def repl(m: re.Match[str]) -> str:
        if m.group("date") is not None:
            return m.group("date")
        return _mask_run(m.group("run"))

    return _PATTERN.sub(repl, text)


def _key_kind(key: str) -> str | None:
    k = key.lower()
    if k in _NOT_SECRET or k.endswith("_masked") or k.endswith("_last4"):
        return None
    parts = [p for p in re.split(r"[_\-\s.]+", k) if p]
    if any(p in _SECRET_PARTS for p in parts):
        return "secret"
    if len(parts) >= 2 and parts[-1] == "key" and parts[-2] in _KEY_OWNERS:
        return "secret"
    if any(p in _NUMBER_PARTS for p in parts) or "id_number" in k:
        return "number"
    if len(parts) >= 2 and parts[-1] in ("id", "no", "number") and parts[-2] in _ID_OWNERS:
        return "number"
    return None


def mask_value(key: str, value: Any) -> Any:
    """Mask one value according to its field name, then by digit pattern.

    Args:
        key: the field name (``card_number``, ``token`` …), case-insensitive.
        value: any JSON-like value; mappings and lists are masked recursively.

    Returns:
        A masked copy: ``"***"`` for secrets, the last 4 characters (prefixed ``*``) for number
        fields, :func:`mask_digits` applied to other strings.
    """
    if isinstance(value, Mapping):
        return mask_mapping(value)
    if isinstance(value, list | tuple):
        return [mask_value(key, v) for v in value]
    kind = _key_kind(key)
    if kind == "secret" and value is not None:
        return MASK
    if kind == "number" and value is not None:
        s = str(value)
        digits = [c for c in s if c.isalnum()]
        if len(digits) <= VISIBLE_DIGITS:
            return s
        return "*" * (len(digits) - VISIBLE_DIGITS) + "".join(digits[-VISIBLE_DIGITS:])
    if isinstance(value, str):
        return mask_digits(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**6:
        return mask_digits(str(value))
    return value


def mask_mapping(data: Mapping[str, Any]) -> dict[str, Any]:
    """Mask a mapping of named values (call arguments, log fields).

    Args:
        data: field name → value.

    Returns:
        A new dict with each value passed through :func:`mask_value`.
    """
    return {str(k): mask_value(str(k), v) for k, v in data.items()}


def masking_processor(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: masks every field and the event text; put it before the renderer.

    Example:
        ``structlog.configure(processors=[..., masking_processor, JSONRenderer()])``
    """
    for key in list(event_dict.keys()):
        value = event_dict[key]
        if key == "event" and isinstance(value, str):
            event_dict[key] = mask_digits(value)
        elif key == "exc_info" or key == "exception":
            continue
        else:
            event_dict[key] = mask_value(key, value)
    if isinstance(event_dict.get("exception"), str):
        event_dict["exception"] = mask_digits(event_dict["exception"])
    return event_dict
