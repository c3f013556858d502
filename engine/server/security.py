"""Who may use ``dhe serve`` from a browser: page headers, ``Origin`` checks, the kiosk token.

* Every response carries a Content-Security-Policy that lets the visitor page load only its own
  scripts, styles and media (``'self'``; no inline script, no other site), may not be framed
  (``frame-ancestors 'none'`` and ``X-Frame-Options: DENY`` for older browsers), and is not
  sniffed into another type (``X-Content-Type-Options: nosniff``); no referrer leaves the page.
* :func:`check_origin` — a browser sends ``Origin`` with every cross-site request and with every
  WebSocket handshake. An offer, a ``DELETE`` or an events socket whose ``Origin`` is neither
  this server (the ``Host`` the request was sent to) nor one of ``server.allowed_origins`` is
  refused (403 ``bad-origin``): another web site a visitor opens cannot drive the kiosk. A
  request without ``Origin`` (a native client, ``curl``) is allowed.
* :func:`check_kiosk_token` — with ``server.kiosk_token_env`` naming an environment variable, an
  offer must carry that variable's value in ``X-Kiosk-Token`` (401 ``bad-kiosk-token``); the
  page sends what its ``?token=`` URL switch gave it. The session id, random and known only to
  the visitor who made the offer, then guards that session's socket and ``DELETE``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urlsplit

from aiohttp import web

from engine.server.protocol import ApiError

#: The page's Content-Security-Policy (W3C CSP Level 3).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob: mediastream:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
#: Headers set on every response.
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(self), microphone=(self), geolocation=()",
}
#: The header an offer carries the kiosk token in.
KIOSK_TOKEN_HEADER = "X-Kiosk-Token"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Add :data:`SECURITY_HEADERS` to every response (errors included)."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        exc.headers.update(SECURITY_HEADERS)
        raise
    if not response.prepared:  # a WebSocket has sent its headers already
        response.headers.update(SECURITY_HEADERS)
    return response


def _origin_key(url: str) -> tuple[str, str] | None:
    """(scheme, host[:port]) of an origin URL, lower-case; None when it is not one."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return parts.scheme, parts.netloc.lower()


def check_origin(request: web.Request, allowed: Iterable[str]) -> None:
    """Refuse a browser request from another site (module docstring).

    Args:
        request: the offer, ``DELETE`` or WebSocket handshake.
        allowed: ``server.allowed_origins`` (``https://kiosk.example.org`` …).

    Raises:
        ApiError: 403 ``bad-origin``.
    """
    origin = request.headers.get("Origin")
    if origin is None:
        return
    key = _origin_key(origin)
    if key is not None and request.host and key[1] == request.host.lower():
        return
    if key is not None and key in {_origin_key(a) for a in allowed}:
        return
    shown = origin[:80].encode("ascii", "backslashreplace").decode()
    raise ApiError(403, "bad-origin", f"requests from {shown} are not accepted here")


def kiosk_token(variable: str) -> str | None:
    """The kiosk token from the environment variable ``server.kiosk_token_env`` names (None when
    it names none: no token is asked for).

    Raises:
        ValueError: the variable is named but unset or empty (the server must not start open
            when its operator asked for a token).
    """
    if not variable:
        return None
    value = os.environ.get(variable, "")
    if not value:
        raise ValueError(f"server.kiosk_token_env names {variable}, which is not set")
    return value


def check_kiosk_token(request: web.Request, token: str | None) -> None:
    """Refuse an offer without the kiosk token (when one is configured).

    Raises:
        ApiError: 401 ``bad-kiosk-token``.
    """
    if token is None:
        return
    given = request.headers.get(KIOSK_TOKEN_HEADER, "")
    if not secrets.compare_digest(given.encode("utf-8", "surrogatepass"), token.encode()):
        raise ApiError(401, "bad-kiosk-token", "this server only serves its own kiosks")
