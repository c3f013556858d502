"""Embedded mode: the sandbox bank and tax services as child processes, wired to the connectors.

Each sandbox runs as ``python -m connectors.sandbox <system>`` on a
free 127.0.0.1 port, with its SQLite file under ``var_dir`` (seeded on first start) and generated
API, test and code-hashing keys passed through the environment. The children exit when this
process closes their stdin (also if it dies), and are terminated — then killed — on exit,
exceptions included. Supervised (:meth:`SandboxCluster.supervise`, the default of
:func:`start_embedded`), a sandbox that exits is reaped and restarted with backoff on the same
port, database, keys and demo setting (:mod:`connectors.supervision`). One child's command
line, environment and ``READY`` handshake are :mod:`connectors.sandbox_process`.

Async use (``dhe converse``, ``dhe serve``)::

    async with start_embedded(Path("var"), demo_otp=True) as systems:
        r = await systems.connectors.call("bank.start_verification", {"card_last4": "4417"})

Sync use (a session-scoped pytest fixture): ``with SandboxCluster.start(var_dir) as cluster:``;
then build a connector per event loop with ``cluster.connectors()``.
"""

from __future__ import annotations

import asyncio
import secrets
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from connectors.audit import AuditTrail
from connectors.config import ConnectorsConfig, SandboxConfig
from connectors.router import Router
from connectors.sandbox.faults import FaultConfig
from connectors.sandbox_process import SandboxStartError, spawn_sandbox, wait_ready
from connectors.supervision import ChildStatus, Supervisor, end_process

__all__ = ["SYSTEMS", "EmbeddedSystems", "SandboxCluster", "SandboxStartError", "start_embedded"]

SYSTEMS = ("bank", "tax")


@dataclass(slots=True)
class SandboxCluster:
    """Running sandbox child processes (sync API; safe to share across event loops).

    Attributes:
        var_dir: folder of the SQLite files and ``logs/sandbox-<system>.log``.
        urls: system → base URL (``http://127.0.0.1:PORT``).
        api_keys: system → client API key (secret; never logged).
        test_key: the key of the test-only routes (secret; never logged).
        code_key: the key one-time codes are hashed with in the sandboxes' databases (secret;
            the same for a restarted sandbox, so codes sent before still verify).
        demo_otp, faults, timeout_s: how the sandboxes start (and restart).
    """

    var_dir: Path
    urls: dict[str, str] = field(default_factory=dict)
    api_keys: dict[str, str] = field(default_factory=dict, repr=False)
    test_key: str = field(default="", repr=False)
    code_key: str = field(default="", repr=False)
    demo_otp: bool = False
    faults: FaultConfig | None = None
    timeout_s: float = 10.0
    _procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict, repr=False)
    _supervisor: Supervisor | None = field(default=None, repr=False)

    @classmethod
    def start(
        cls,
        var_dir: Path,
        *,
        systems: Sequence[str] = SYSTEMS,
        demo_otp: bool = False,
        faults: FaultConfig | None = None,
        timeout_s: float = 10.0,
    ) -> SandboxCluster:
        """Start the sandboxes in parallel and wait until each answers ``/healthz``.

        Args:
            var_dir: folder of the SQLite files (seeded on first start) and
                ``logs/sandbox-<system>.log``; created if missing.
            systems: which sandboxes, of :data:`SYSTEMS`.
            demo_otp: demo customers' code is the documented ``123456``.
            faults: fault injection for every sandbox (tests, demos); ``None``: none.
            timeout_s: how long each may take to answer, seconds (also for a restart).

        Raises:
            SandboxStartError: one did not start within ``timeout_s``; all are stopped.
        """
        var_dir = Path(var_dir).resolve()
        (var_dir / "logs").mkdir(parents=True, exist_ok=True)
        cluster = cls(
            var_dir=var_dir,
            test_key=secrets.token_urlsafe(24),
            code_key=secrets.token_urlsafe(24),
            demo_otp=demo_otp,
            faults=faults,
            timeout_s=timeout_s,
        )
        try:
            for system in systems:
                cluster._procs[system] = cluster._spawn(system, port=0)
            deadline = time.monotonic() + timeout_s
            for system in systems:
                cluster.urls[system] = cluster._wait_ready(system, cluster._procs[system], deadline)
        except BaseException:
            cluster.stop()
            raise
        return cluster

    @property
    def procs(self) -> dict[str, subprocess.Popen[bytes]]:
        """System → its running process (a restarted one once it is up)."""
        if self._supervisor is None:
            return dict(self._procs)
        return {s: p for s in self._procs if (p := self._supervisor.process(s)) is not None}

    def log_path(self, system: str) -> Path:
        """The file a sandbox's stderr (its logs) goes to."""
        return self.var_dir / "logs" / f"sandbox-{system}.log"

    def _spawn(self, system: str, port: int) -> subprocess.Popen[bytes]:
        return spawn_sandbox(
            system,
            port=port,
            db_path=self.var_dir / f"sandbox-{system}.db",
            log_path=self.log_path(system),
            api_key=self.api_keys.setdefault(system, secrets.token_urlsafe(24)),
            test_key=self.test_key,
            code_key=self.code_key,
            demo_otp=self.demo_otp,
            faults=self.faults,
        )

    def _wait_ready(self, system: str, proc: subprocess.Popen[bytes], deadline: float) -> str:
        return wait_ready(system, proc, deadline, self.log_path(system))

    def _restart(self, system: str) -> subprocess.Popen[bytes]:
        """A replacement for a sandbox that exited: same port, database, keys and settings.

        Raises:
            SandboxStartError: it did not start (nothing is left running).
        """
        port = int(self.urls[system].rsplit(":", 1)[1])
        proc = self._spawn(system, port=port)
        try:
            self._wait_ready(system, proc, time.monotonic() + self.timeout_s)
        except BaseException:
            end_process(proc)
            raise
        return proc

    def supervise(self, on_change: Callable[[str, ChildStatus], None] | None = None) -> None:
        """Watch the sandboxes and restart any that exits (:mod:`connectors.supervision`), on
        the same port; ``on_change`` hears of each stop and restart (from a watcher thread)."""
        if self._supervisor is not None:
            return
        self._supervisor = Supervisor(self._restart, on_change=on_change)
        for system, proc in self._procs.items():
            self._supervisor.watch(system, proc)

    def status(self) -> dict[str, ChildStatus]:
        """Each sandbox's process status (running, restarting, stopped)."""
        if self._supervisor is not None:
            return self._supervisor.status()
        return {
            system: ChildStatus("running", proc.pid)
            if proc.poll() is None
            else ChildStatus("stopped", None, last_exit=proc.returncode)
            for system, proc in self._procs.items()
        }

    def env(self) -> dict[str, str]:
        """The environment the YAML declarations read: ``DHE_<SYSTEM>_BASE_URL`` / ``_API_KEY``."""
        out: dict[str, str] = {}
        for system, url in self.urls.items():
            out[f"DHE_{system.upper()}_BASE_URL"] = url
            out[f"DHE_{system.upper()}_API_KEY"] = self.api_keys[system]
        return out

    def connectors(self, config: ConnectorsConfig | None = None, **kwargs: Any) -> Router:
        """A router for the running sandboxes (create one per event loop).

        Args:
            config: defaults to auditing into ``<var_dir>/engine.db``.
            **kwargs: passed to :func:`connectors.registry.load_connectors`.
        """
        from connectors.registry import load_connectors

        if config is None:
            config = ConnectorsConfig(
                var_dir=self.var_dir, audit_db_url=f"sqlite:///{self.var_dir / 'engine.db'}"
            )
        return load_connectors(config, env=self.env(), **kwargs)

    def read_otp(self, system: str, verification_id: str) -> str:
        """The current one-time code of a verification, through the test-only route."""
        return str(self._test_route("GET", self.urls[system], f"otp/{verification_id}")["code"])

    def issued(self) -> dict[str, list[str]]:
        """The one-time codes and customer tokens the running sandboxes issued (their databases
        hold only hashes), through the test-only route: ``{"codes": [...], "tokens": [...]}``.

        Raises:
            httpx.HTTPError: a sandbox did not answer.
        """
        out: dict[str, list[str]] = {"codes": [], "tokens": []}
        for url in self.urls.values():
            issued = self._test_route("GET", url, "issued")
            for kind in out:
                out[kind] += issued[kind]
        return out

    def text_messages(self) -> list[dict[str, str]]:
        """The text messages every sandbox "sent" (one-time codes), oldest first, through the
        test-only route: ``{"to", "text", "sent_at"}`` each, ``to`` masked to its last 4
        digits. They live in the sandboxes' memory only (:mod:`connectors.sandbox.outbox`).

        Raises:
            httpx.HTTPError: a sandbox did not answer.
        """
        messages: list[dict[str, str]] = []
        for url in self.urls.values():
            messages += self._test_route("GET", url, "messages")["messages"]
        return sorted(messages, key=lambda m: m["sent_at"])

    def set_faults(self, system: str, faults: FaultConfig | Mapping[str, Any] | None) -> None:
        """Replace a sandbox's fault injection (``None``: no faults)."""
        cfg = FaultConfig.model_validate(
            dict(faults) if isinstance(faults, Mapping) else (faults or {})
        )
        self._test_route("PUT", self.urls[system], "faults", content=cfg.model_dump_json())

    def _test_route(self, method: str, url: str, path: str, **kwargs: Any) -> Any:
        """Call a sandbox's test-only route ``/_test/{path}`` (with its test key, 5 s timeout)
        and return the JSON answer.

        Raises:
            httpx.HTTPError: no answer, or not 2xx.
        """
        resp = httpx.request(
            method,
            f"{url}/_test/{path}",
            headers={"X-Test-Key": self.test_key},
            timeout=5,
            **kwargs,
        )
        resp.raise_for_status()
        return resp.json()

    def stop(self) -> None:
        """Stop every child: no more restarts, close stdin, SIGTERM, then SIGKILL after 3 s; each
        is reaped. Idempotent."""
        if self._supervisor is not None:
            self._supervisor.stop()
        procs = list(self.procs.values())
        for proc in procs:
            if proc.stdin is not None and not proc.stdin.closed:
                proc.stdin.close()
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            end_process(proc)
        if self._supervisor is not None:
            self._supervisor.join()
        self._procs.clear()

    def __enter__(self) -> SandboxCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass(slots=True)
class EmbeddedSystems:
    """What :func:`start_embedded` yields.

    Attributes:
        connectors: routes every ``<system>.<op>`` to the declared HTTP connector.
        urls: system → base URL.
        api_keys: system → API key (secret; never log it).
        cluster: the processes (log paths, fault control).
    """

    connectors: Router
    cluster: SandboxCluster

    @property
    def urls(self) -> dict[str, str]:
        """System → base URL."""
        return self.cluster.urls

    @property
    def api_keys(self) -> dict[str, str]:
        """System → API key."""
        return self.cluster.api_keys

    async def read_otp(self, system: str, verification_id: str) -> str:
        """The current code of a verification (test-only route)."""
        return await asyncio.to_thread(self.cluster.read_otp, system, verification_id)

    async def text_messages(self) -> list[dict[str, str]]:
        """The text messages the sandboxes sent, oldest first (the demo phone's content; see
        :meth:`SandboxCluster.text_messages`)."""
        return await asyncio.to_thread(self.cluster.text_messages)

    async def set_faults(self, system: str, faults: FaultConfig | Mapping[str, Any] | None) -> None:
        """Replace a sandbox's fault injection."""
        await asyncio.to_thread(self.cluster.set_faults, system, faults)


@asynccontextmanager
async def start_embedded(
    var_dir: Path,
    *,
    demo_otp: bool = False,
    faults: FaultConfig | None = None,
    config: ConnectorsConfig | None = None,
    audit: AuditTrail | None = None,
    supervise: bool = True,
) -> AsyncIterator[EmbeddedSystems]:
    """Start both sandboxes and yield their connectors; stop them on exit, whatever happens.
    While they run, a sandbox that exits is restarted on its port (:meth:`SandboxCluster.supervise`).

    Args:
        var_dir: SQLite files, logs and (unless ``config`` says otherwise) ``engine.db``.
        demo_otp: demo customers' code is the documented ``123456``.
        faults: fault injection for both sandboxes.
        config: connectors settings (``config.sandbox`` is used when ``demo_otp``/``faults``
            are not given).
        audit: an audit trail to share (e.g. the engine's).
        supervise: restart a sandbox that exits.

    Raises:
        SandboxStartError: a sandbox did not start within ``config.sandbox.start_timeout_s``.
    """
    sandbox = config.sandbox if config is not None else SandboxConfig()
    cluster = await asyncio.to_thread(
        SandboxCluster.start,
        Path(var_dir),
        demo_otp=demo_otp or sandbox.demo_otp,
        faults=faults or sandbox.faults,
        timeout_s=sandbox.start_timeout_s,
    )
    try:
        if supervise:
            cluster.supervise()
        router = cluster.connectors(config, audit=audit)
        try:
            yield EmbeddedSystems(connectors=router, cluster=cluster)
        finally:
            await router.aclose()
    finally:
        cluster.stop()
