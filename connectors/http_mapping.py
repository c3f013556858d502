"""Sans-IO core of the HTTP connector: arguments → request, response → typed fields or error.

No sockets, no clocks: :func:`build_request` and :func:`parse_response` are pure functions of a
declaration and data, tested in ``tests/unit/test_connectors_mapping.py``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from connectors.base import (
    BadResponse,
    Conflict,
    ConnectorError,
    ConnectorUnavailable,
    InvalidInput,
    NotFound,
    Unauthorized,
)
from connectors.declaration import ArgDecl, FieldDecl, OperationDecl
from connectors.masking import mask_digits

#: Largest response body read, bytes (network inputs are size-limited).
MAX_RESPONSE_BYTES = 1024 * 1024
_PY_TYPES: dict[str, type] = {"str": str, "int": int, "float": float, "bool": bool, "date": dt.date}


@dataclass(frozen=True, slots=True)
class RequestSpec:
    """One HTTP request to send, relative to the system's base URL."""

    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    json_body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


def args_model(name: str, op: OperationDecl) -> type[BaseModel]:
    """A pydantic model validating an operation's arguments (unknown arguments rejected)."""
    fields: dict[str, Any] = {}
    for arg_name, arg in op.args.items():
        fields[arg_name] = (_annotation(arg), _field(arg))
    return create_model(  # type: ignore[call-overload,no-any-return]
        f"Args_{name.replace('.', '_')}",
        __config__=ConfigDict(extra="forbid", str_strip_whitespace=True),
        **fields,
    )


def _annotation(arg: ArgDecl) -> Any:
    base = _PY_TYPES[arg.type]
    return base if arg.required else base | None


def _field(arg: ArgDecl) -> Any:
    kwargs: dict[str, Any] = {"description": arg.description}
    if arg.type == "str":
        kwargs.update(pattern=arg.pattern, min_length=arg.min_length, max_length=arg.max_length)
    if arg.type in ("int", "float"):
        kwargs.update(ge=arg.ge, le=arg.le)
    default = ... if arg.required else arg.default
    return Field(default, **{k: v for k, v in kwargs.items() if v is not None})


def validate_args(
    op_name: str, op: OperationDecl, model: type[BaseModel], params: Mapping[str, Any]
) -> dict[str, Any]:
    """Validate call arguments.

    Returns:
        The typed arguments (``None`` for optional ones not given).

    Raises:
        InvalidInput: naming each bad field and why; never the given values.
    """
    try:
        values = model.model_validate(dict(params)).model_dump()
    except ValidationError as exc:
        problems = ", ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'args'}: {e['msg']}" for e in exc.errors()
        )
        raise InvalidInput(f"invalid arguments: {problems}", operation=op_name) from None
    for name, arg in op.args.items():
        if arg.choices is not None and values[name] is not None and values[name] not in arg.choices:
            raise InvalidInput(
                f"invalid arguments: {name}: must be one of {', '.join(arg.choices)}",
                operation=op_name,
            )
    return values


def _wire(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def build_request(
    op: OperationDecl, args: Mapping[str, Any], idempotency_key: str | None
) -> RequestSpec:
    """Place validated arguments into path, query, body and headers.

    Args:
        op: the operation's declaration.
        args: output of :func:`validate_args`; ``None`` values are left out.
        idempotency_key: sent in ``op.idempotency_header`` when the operation declares one.

    Returns:
        The request; path segments are percent-encoded.
    """
    path = op.path
    query: dict[str, str] = {}
    body: dict[str, Any] = {}
    headers: dict[str, str] = {}
    for name, arg in op.args.items():
        value = args.get(name)
        if value is None:
            continue
        wire_name = arg.wire_name or name
        where = op.location_of(name)
        if where == "path":
            path = path.replace(f"{{{name}}}", quote(str(_wire(value)), safe=""))
        elif where == "query":
            query[wire_name] = (
                str(_wire(value)).lower() if isinstance(value, bool) else str(_wire(value))
            )
        elif where == "header":
            headers[wire_name] = str(_wire(value))
        else:
            body[wire_name] = _wire(value)
    if op.idempotency_header and idempotency_key:
        headers[op.idempotency_header] = idempotency_key
    has_body = op.method in ("POST", "PUT", "PATCH")
    return RequestSpec(op.method, path, query, body if has_body else None, headers)


def _backend_error(body: bytes) -> tuple[str | None, str]:
    """``(code, message)`` from a ``{"error": {"code", "message"}}`` body, masked and bounded."""
    try:
        data = json.loads(body[:MAX_RESPONSE_BYTES])
    except ValueError:
        return None, ""
    err = data.get("error") if isinstance(data, dict) else None
    if not isinstance(err, dict):
        return None, ""
    code = err.get("code")
    message = err.get("message")
    return (
        str(code)[:64] if isinstance(code, str) else None,
        mask_digits(str(message))[:200] if isinstance(message, str) else "",
    )


def error_for_status(op_name: str, status: int, body: bytes) -> ConnectorError | None:
    """The typed error for an HTTP status, or ``None`` for 2xx.

    400/413/422 → InvalidInput, 401/403 → Unauthorized, 404 → NotFound, 409 → Conflict,
    408/429/5xx → ConnectorUnavailable, any other → BadResponse.
    """
    if 200 <= status < 300:
        return None
    reason, message = _backend_error(body)
    text = f"HTTP {status}" + (f" {reason}" if reason else "") + (f": {message}" if message else "")
    cls: type[ConnectorError]
    if status in (400, 413, 422):
        cls = InvalidInput
    elif status in (401, 403):
        cls = Unauthorized
    elif status == 404:
        cls = NotFound
    elif status == 409:
        cls = Conflict
    elif status in (408, 429) or status >= 500:
        cls = ConnectorUnavailable
    else:
        cls = BadResponse
    return cls(text, operation=op_name, reason=reason)


def _get_path(data: Any, path: str) -> Any:
    cur = data
    for part in path.split("."):
        if isinstance(cur, dict):
            cur = cur.get(part)
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            return None
    return cur


def _typed(where: str, spec: FieldDecl, value: Any) -> Any:
    if value is None:
        if spec.required:
            raise ValueError(f"{where}: missing")
        return None
    t = spec.type
    if t == "any":
        return value
    if t == "str" and isinstance(value, str):
        return value
    if t == "int" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if t == "float" and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if t == "bool" and isinstance(value, bool):
        return value
    if t == "decimal" and isinstance(value, str | int | float) and not isinstance(value, bool):
        try:
            d = Decimal(str(value))
        except InvalidOperation:
            raise ValueError(f"{where}: not a decimal") from None
        if not d.is_finite():
            raise ValueError(f"{where}: not a finite decimal")
        return str(d)
    if t == "date" and isinstance(value, str):
        try:
            dt.date.fromisoformat(value[:10])
        except ValueError:
            raise ValueError(f"{where}: not an ISO date") from None
        return value
    if t == "list" and isinstance(value, list):
        if spec.fields is None:
            return value
        return [_pick(f"{where}[{i}]", spec.fields, item) for i, item in enumerate(value)]
    if t == "object" and isinstance(value, dict):
        return value if spec.fields is None else _pick(where, spec.fields, value)
    raise ValueError(f"{where}: expected {t}, got {type(value).__name__}")


def _pick(where: str, fields: Mapping[str, FieldDecl], data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValueError(f"{where}: expected an object")
    return {
        name: _typed(f"{where}.{name}", spec, _get_path(data, spec.path or name))
        for name, spec in fields.items()
    }


def parse_response(op_name: str, op: OperationDecl, status: int, body: bytes) -> dict[str, Any]:
    """Turn an HTTP answer into the operation's typed fields, or raise its typed error.

    Args:
        op_name: ``<system>.<operation>``, for error messages.
        op: the declaration (``response`` lists the fields to pick).
        status: HTTP status code.
        body: raw body bytes (at most :data:`MAX_RESPONSE_BYTES` are considered).

    Returns:
        Field name → typed value (``decimal`` as a string, ``date`` as an ISO string).

    Raises:
        ConnectorError: the subclass for the status; BadResponse for a body that is not JSON,
            too large, or lacks a declared field.
    """
    error = error_for_status(op_name, status, body)
    if error is not None:
        raise error
    if len(body) > MAX_RESPONSE_BYTES:
        raise BadResponse("response body too large", operation=op_name)
    try:
        data = json.loads(body) if body else {}
    except ValueError:
        raise BadResponse("response is not valid JSON", operation=op_name) from None
    try:
        return _pick("response", op.response, data)
    except ValueError as exc:
        raise BadResponse(f"unexpected response shape: {exc}", operation=op_name) from None
