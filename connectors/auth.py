"""Client authentication of HTTP connectors: API key header, OAuth2 client credentials, mTLS.

Secrets are read from the environment variables a declaration names, once, when the connector is
built; they live only in these objects and the outgoing headers, and are never logged.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

from connectors.base import ConnectorUnavailable, Unauthorized
from connectors.declaration import (
    ApiKeyAuth,
    DeclarationError,
    OAuth2ClientCredentials,
    SystemDecl,
    TlsDecl,
)

#: Refresh an OAuth2 token this many seconds before it expires.
TOKEN_REFRESH_MARGIN_S = 30.0


def _require(env: Mapping[str, str], name: str, system: str) -> str:
    value = env.get(name)
    if not value:
        raise DeclarationError([f"{system}: environment variable {name} unset"])
    return value


class ClientAuth:
    """Headers that authenticate the engine to one backend."""

    async def headers(self, client: httpx.AsyncClient) -> dict[str, str]:
        """The auth headers for the next request (may fetch a token)."""
        return {}

    def invalidate(self) -> None:
        """Forget a cached token after the backend rejected it."""


class ApiKeyClientAuth(ClientAuth):
    """A fixed API key in one header."""

    def __init__(self, decl: ApiKeyAuth, env: Mapping[str, str], system: str) -> None:
        self._header = decl.header
        self._key = _require(env, decl.key_env, system)

    async def headers(self, client: httpx.AsyncClient) -> dict[str, str]:
        """``{header: key}``."""
        return {self._header: self._key}

    def __repr__(self) -> str:
        return f"ApiKeyClientAuth(header={self._header!r}, key=***)"


class OAuth2ClientAuth(ClientAuth):
    """OAuth2 client-credentials grant; the access token is cached until shortly before expiry."""

    def __init__(
        self, decl: OAuth2ClientCredentials, env: Mapping[str, str], system: str, base_url: str
    ) -> None:
        url = decl.token_url
        self._token_url = url if "://" in url else base_url + "/" + url.lstrip("/")
        self._client_id = _require(env, decl.client_id_env, system)
        self._secret = _require(env, decl.client_secret_env, system)
        self._scope = decl.scope
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()
        self._system = system

    async def headers(self, client: httpx.AsyncClient) -> dict[str, str]:
        """``{"Authorization": "Bearer <token>"}``, fetching a token when needed.

        Raises:
            Unauthorized: the token endpoint rejected the client credentials.
            ConnectorUnavailable: the token endpoint failed or is unreachable.
        """
        async with self._lock:
            if self._token is None or time.monotonic() >= self._expires_at:
                await self._fetch(client)
        return {"Authorization": f"Bearer {self._token}"}

    async def _fetch(self, client: httpx.AsyncClient) -> None:
        form = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._secret,
        }
        if self._scope:
            form["scope"] = self._scope
        try:
            resp = await client.post(self._token_url, data=form)
        except httpx.HTTPError as exc:
            raise ConnectorUnavailable(
                f"{self._system}: token endpoint unreachable ({type(exc).__name__})"
            ) from None
        if resp.status_code in (400, 401, 403):
            raise Unauthorized(
                f"{self._system}: client credentials rejected", reason="invalid_client"
            )
        if resp.status_code != 200:
            raise ConnectorUnavailable(f"{self._system}: token endpoint HTTP {resp.status_code}")
        try:
            data = resp.json()
            token = str(data["access_token"])
            ttl = float(data.get("expires_in", 300))
        except (ValueError, KeyError, TypeError):
            raise ConnectorUnavailable(f"{self._system}: token endpoint sent a bad body") from None
        self._token = token
        self._expires_at = time.monotonic() + max(ttl - TOKEN_REFRESH_MARGIN_S, 1.0)

    def invalidate(self) -> None:
        """Drop the cached token so the next request fetches a new one."""
        self._token = None

    def __repr__(self) -> str:
        return f"OAuth2ClientAuth(token_url={self._token_url!r}, secret=***)"


def _path(
    direct: str | None, env_name: str | None, env: Mapping[str, str], system: str
) -> str | None:
    if env_name:
        return _require(env, env_name, system)
    return direct


def ssl_context(tls: TlsDecl | None, env: Mapping[str, str], system: str) -> ssl.SSLContext | bool:
    """The TLS verification setting for httpx: a context (custom CA and/or client certificate for
    mutual TLS) or ``True`` for the system trust store.

    Raises:
        DeclarationError: a named environment variable is unset or a file does not exist.
    """
    if tls is None:
        return True
    ca = _path(tls.ca, tls.ca_env, env, system)
    cert = _path(tls.cert, tls.cert_env, env, system)
    key = _path(tls.key, tls.key_env, env, system)
    for p in (ca, cert, key):
        if p is not None and not Path(p).is_file():
            raise DeclarationError([f"{system}: TLS file not found: {p}"])
    if (cert is None) != (key is None):
        raise DeclarationError([f"{system}: mutual TLS needs both cert and key"])
    ctx = ssl.create_default_context(cafile=ca)
    if cert is not None and key is not None:
        ctx.load_cert_chain(certfile=cert, keyfile=key)
    return ctx


def client_auth(decl: SystemDecl, env: Mapping[str, str], base_url: str) -> ClientAuth:
    """The :class:`ClientAuth` a declaration asks for (no auth when it names none)."""
    if isinstance(decl.auth, ApiKeyAuth):
        return ApiKeyClientAuth(decl.auth, env, decl.system)
    if isinstance(decl.auth, OAuth2ClientCredentials):
        return OAuth2ClientAuth(decl.auth, env, decl.system, base_url)
    return ClientAuth()
