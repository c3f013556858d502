"""Configuration of the connectors room (composed by the engine into its own config).

All settings have defaults; secrets are never here — only the names of environment variables,
in the YAML declarations under ``declarations_dir``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from connectors.paths import default_var_dir
from connectors.sandbox.faults import FaultConfig

#: The declarations shipped with the project (``assets/connectors``), independent of the cwd.
DEFAULT_DECLARATIONS_DIR = Path(__file__).resolve().parents[1] / "assets" / "connectors"


class SandboxConfig(BaseModel):
    """The embedded sandbox services.

    Attributes:
        demo_otp: the demo customers' one-time code is the documented fixed ``123456``.
        faults: fault injection applied to both sandboxes at start (tests, demos).
        start_timeout_s: how long to wait for both sandboxes to be healthy, seconds (30: a
            busy kiosk starting its models at the same time takes more than 10).
    """

    model_config = ConfigDict(extra="forbid")

    demo_otp: bool = False
    faults: FaultConfig | None = None
    start_timeout_s: float = Field(30.0, gt=0)


class ConnectorsConfig(BaseModel):
    """Settings of the connector runtime.

    Attributes:
        declarations_dir: folder of ``<system>.yaml`` HTTP connector declarations.
        embedded: start the sandbox bank and tax services as child processes and point the
            declarations at them (``False``: the environment variables the YAML names must hold
            the real systems' base URLs and secrets).
        var_dir: where embedded mode keeps the sandboxes' SQLite files and logs (default the
            state folder, :func:`connectors.paths.default_var_dir`).
        slow_threshold_ms: after this long a call sends the "still working" signal, ms.
        audit_db_url: SQLAlchemy URL of the engine database holding ``connector_calls`` (and,
            in the engine, the session audit); default ``engine.db`` in ``var_dir``.
        sandbox: embedded sandbox settings.
    """

    model_config = ConfigDict(extra="forbid")

    declarations_dir: Path = DEFAULT_DECLARATIONS_DIR
    embedded: bool = True
    var_dir: Path = Field(default_factory=default_var_dir)
    slow_threshold_ms: float = Field(700.0, gt=0)
    audit_db_url: str | None = None
    sandbox: SandboxConfig = Field(default_factory=SandboxConfig)

    def audit_url(self, var_dir: Path | None = None) -> str:
        """The audit database URL: ``audit_db_url`` when set, else SQLite ``engine.db`` in
        ``var_dir`` (default: this config's ``var_dir``)."""
        if self.audit_db_url:
            return self.audit_db_url
        return f"sqlite:///{(var_dir or self.var_dir) / 'engine.db'}"
