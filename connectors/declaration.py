"""The YAML declaration of an HTTP connector (``assets/connectors/<system>.yaml``), as models.

A declaration names a system, where it lives (``base_url`` or the environment variable holding
it), how the engine authenticates (API key header, OAuth2 client credentials, mutual TLS by
certificate paths), and its operations: method, path template, where each argument goes, which
response fields are picked out and their types, per-operation timeout and whether a retry is safe.
Secrets are only ever *names* of environment variables here. See ``assets/connectors/bank.yaml``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

ArgType = Literal["str", "int", "float", "bool", "date"]
FieldType = Literal["str", "int", "float", "bool", "decimal", "date", "list", "object", "any"]
Location = Literal["path", "query", "body", "header"]
_PATH_VAR = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)\}")


class DeclarationError(Exception):
    """A connector declaration is invalid or its environment is incomplete.

    Attributes:
        problems: one ``"<file>: <path>: <message>"`` line per problem (no secret values).
    """

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ArgDecl(_Strict):
    """One argument of an operation.

    Attributes:
        type: its type; strings from the command line are coerced (``"5"`` → 5).
        required: whether the caller must give it (else ``default``).
        location: ``path`` | ``query`` | ``body`` | ``header`` (YAML key ``in``); by default
            ``path`` when the path template names it, ``query`` for GET/DELETE, else ``body``.
        wire_name: the name on the wire (YAML ``as``; header name for ``header``).
        secret: never shown in logs or the audit (one-time codes, tokens).
        pattern, min_length, max_length, ge, le, choices: validation.
    """

    type: ArgType = "str"
    required: bool = True
    default: Any = None
    description: str = ""
    location: Location | None = Field(None, alias="in")
    wire_name: str | None = Field(None, alias="as")
    secret: bool = False
    pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = 1000
    ge: float | None = None
    le: float | None = None
    choices: list[str] | None = None


class FieldDecl(_Strict):
    """One response field picked out of the JSON body.

    Attributes:
        path: dot path in the body (``data.items.0.id``); the field's own name by default.
        type: ``decimal`` keeps a canonical decimal *string* (amounts); ``date`` an ISO date string.
        required: a missing/null required field is a :class:`~connectors.base.BadResponse`.
        fields: for ``list`` of objects or ``object``: the sub-fields to pick.
    """

    path: str | None = None
    type: FieldType = "str"
    required: bool = True
    fields: dict[str, FieldDecl] | None = None


class OperationDecl(_Strict):
    """One operation of a system.

    Attributes:
        description: one line, shown by ``dhe connectors list``.
        method, path: the HTTP request; ``{name}`` in ``path`` takes an argument.
        timeout_ms: per attempt, milliseconds (system default when ``None``).
        idempotent: safe to repeat as is (default: true for GET/PUT/DELETE).
        idempotency_header: the backend honours this request header as an idempotency key;
            the runtime always sends one (generated when the caller gives none), which makes
            retries safe.
    """

    description: str
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    path: str
    args: dict[str, ArgDecl] = Field(default_factory=dict)
    response: dict[str, FieldDecl] = Field(default_factory=dict)
    timeout_ms: int | None = Field(None, gt=0, le=120_000)
    idempotent: bool | None = None
    idempotency_header: str | None = None

    @model_validator(mode="after")
    def _path_args_declared(self) -> OperationDecl:
        for name in _PATH_VAR.findall(self.path):
            if name not in self.args:
                raise ValueError(f"path names {{{name}}} but args does not declare it")
        return self

    @property
    def retry_safe(self) -> bool:
        """Whether a failed attempt may be retried without a second side effect."""
        if self.idempotency_header:
            return True
        if self.idempotent is not None:
            return self.idempotent
        return self.method in ("GET", "PUT", "DELETE")

    def location_of(self, name: str) -> Location:
        """Where argument ``name`` goes on the wire."""
        arg = self.args[name]
        if arg.location:
            return arg.location
        if f"{{{name}}}" in self.path:
            return "path"
        return "query" if self.method in ("GET", "DELETE") else "body"


class ApiKeyAuth(_Strict):
    """An API key sent in a header; the key is read from environment variable ``key_env``."""

    type: Literal["api_key"]
    header: str = "X-API-Key"
    key_env: str


class OAuth2ClientCredentials(_Strict):
    """OAuth2 client-credentials grant (RFC 6749 §4.4); the token is sent as ``Bearer``.

    ``token_url`` may be relative to the base URL. Client id/secret come from the environment.
    """

    type: Literal["oauth2_client_credentials"]
    token_url: str
    client_id_env: str
    client_secret_env: str
    scope: str | None = None


AuthDecl = Annotated[ApiKeyAuth | OAuth2ClientCredentials, Field(discriminator="type")]


class TlsDecl(_Strict):
    """TLS settings; ``cert`` + ``key`` give mutual TLS. Each path is given directly or by the
    name of the environment variable holding it (``*_env``)."""

    ca: str | None = None
    ca_env: str | None = None
    cert: str | None = None
    cert_env: str | None = None
    key: str | None = None
    key_env: str | None = None


class CircuitDecl(_Strict):
    """Circuit breaker of one backend: opens after ``failure_threshold`` consecutive failures,
    lets a trial call through (half-open) after ``reset_after_s`` seconds."""

    failure_threshold: int = Field(5, ge=1)
    reset_after_s: float = Field(30.0, gt=0)


class RetryDecl(_Strict):
    """Retries of retry-safe operations: exponential backoff with jitter (tenacity)."""

    max_attempts: int = Field(3, ge=1, le=10)
    backoff_initial_ms: float = Field(50.0, ge=0)
    backoff_max_ms: float = Field(400.0, ge=0)
    jitter_ms: float = Field(50.0, ge=0)


class HealthDecl(_Strict):
    """How the engine probes the system's health (``/healthz`` of ``dhe serve`` shows it): a
    ``GET`` of ``path`` (with the system's auth and TLS) answering 2xx within ``timeout_ms``.
    Without it the engine only checks that the base URL answers HTTP at all."""

    path: str = Field("/healthz", pattern=r"^/")
    timeout_ms: int = Field(1000, gt=0, le=30_000)


class SystemDecl(_Strict):
    """One business system reached over HTTP."""

    system: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str = ""
    base_url: str | None = None
    base_url_env: str | None = None
    auth: AuthDecl | None = None
    tls: TlsDecl | None = None
    timeout_ms: int = Field(3000, gt=0, le=120_000)
    max_concurrency: int = Field(8, ge=1, le=1000)
    circuit: CircuitDecl = Field(default_factory=CircuitDecl)
    retry: RetryDecl = Field(default_factory=RetryDecl)
    health: HealthDecl | None = None
    operations: dict[str, OperationDecl]

    @model_validator(mode="after")
    def _has_base_url(self) -> SystemDecl:
        if not self.base_url and not self.base_url_env:
            raise ValueError("give base_url or base_url_env")
        return self

    def resolve_base_url(self, env: Mapping[str, str]) -> str:
        """The base URL: the environment variable when set, else ``base_url``.

        Raises:
            DeclarationError: neither is available.
        """
        url = (env.get(self.base_url_env) if self.base_url_env else None) or self.base_url
        if not url:
            raise DeclarationError(
                [f"{self.system}: environment variable {self.base_url_env} unset"]
            )
        return url.rstrip("/")

    def descriptions(self) -> dict[str, str]:
        """Operation name (without system) → its one-line description, as declared."""
        return {name: op.description for name, op in self.operations.items()}

    def secret_args(self, op: str) -> frozenset[str]:
        """Argument names of ``op`` (``<system>.<operation>`` or the bare operation) declared
        ``secret`` (masked fully in logs and the audit); empty for an unknown operation."""
        decl = self.operations.get(op.split(".", 1)[-1])
        return frozenset(n for n, a in decl.args.items() if a.secret) if decl else frozenset()


def load_declaration(path: Path) -> SystemDecl:
    """Read and validate one YAML declaration.

    Raises:
        DeclarationError: unreadable YAML or schema errors, one line each with its YAML path.
    """
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DeclarationError([f"{path}: cannot read: {exc}"]) from exc
    try:
        return SystemDecl.model_validate(raw)
    except ValidationError as exc:
        raise DeclarationError(
            [
                f"{path}: {'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
                for err in exc.errors()
            ]
        ) from exc


def load_declarations(directory: Path) -> list[SystemDecl]:
    """All ``*.yaml`` declarations in ``directory``, sorted by file name.

    Raises:
        DeclarationError: any file invalid, or two files declaring the same system.
    """
    decls = [load_declaration(p) for p in sorted(directory.glob("*.yaml"))]
    seen: set[str] = set()
    for d in decls:
        if d.system in seen:
            raise DeclarationError([f"{directory}: system {d.system!r} declared twice"])
        seen.add(d.system)
    return decls
