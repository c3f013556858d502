"""Build the engine's connector from configuration: YAML declarations → one :class:`Router`.

Example (a real deployment; env holds ``DHE_BANK_BASE_URL``, ``DHE_BANK_API_KEY`` …)::

    async with load_connectors(ConnectorsConfig(embedded=False)) as connector:
        result = await connector.call("tax.list_slots", {"date": "2025-06-02"})

Python connectors for systems HTTP cannot describe are added with ``router.register(obj)``
(see :class:`~connectors.router.SystemConnector`) or through ``extra``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

import httpx

from connectors.audit import AuditTrail
from connectors.config import ConnectorsConfig
from connectors.declaration import DeclarationError, load_declarations
from connectors.http_connector import HttpConnector
from connectors.router import Router, SystemConnector
from connectors.unavailable import UnavailableSystem


def load_connectors(
    config: ConnectorsConfig,
    *,
    env: Mapping[str, str] | None = None,
    extra: Iterable[SystemConnector] = (),
    audit: AuditTrail | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    strict: bool = True,
) -> Router:
    """Create the router holding one HTTP connector per declaration, plus ``extra`` ones.

    Args:
        config: the connectors settings (declarations folder, slow threshold, audit URL).
        env: where declared environment variables are looked up (default ``os.environ``).
        extra: hand-written connectors to register too.
        audit: an audit trail to use instead of opening ``config.audit_db_url``.
        transport: httpx transport for every HTTP connector (fault-injection tests only).
        strict: raise when a declaration names an unset environment variable; with ``False``
            that system is registered as an :class:`~connectors.unavailable.UnavailableSystem`
            (its calls answer ``unavailable``) and the others work.

    Returns:
        The router; close it with ``await router.aclose()`` (or ``async with``).

    Raises:
        DeclarationError: a declaration is invalid, or (``strict``) names an unset environment
            variable.
    """
    environment = os.environ if env is None else env
    router = Router(
        audit if audit is not None else AuditTrail(config.audit_url()),
        slow_threshold_ms=config.slow_threshold_ms,
    )
    for decl in load_declarations(config.declarations_dir):
        try:
            router.register(HttpConnector(decl, environment, transport=transport))
        except DeclarationError as exc:
            if strict:
                raise
            router.register(UnavailableSystem(decl, "; ".join(exc.problems)))
    for connector in extra:
        router.register(connector)
    return router


def unavailable_router(config: ConnectorsConfig, reason: str, audit: AuditTrail | None) -> Router:
    """A router whose declared systems all answer ``unavailable`` with ``reason`` (the embedded
    sandboxes did not start); calls are still audited.

    Raises:
        DeclarationError: a declaration is invalid.
    """
    router = Router(audit, slow_threshold_ms=config.slow_threshold_ms)
    for decl in load_declarations(config.declarations_dir):
        router.register(UnavailableSystem(decl, reason))
    return router
