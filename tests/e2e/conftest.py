"""Browser end-to-end fixtures: the real ``dhe serve`` and Debian's headless Chromium.

* One server for the whole e2e run (a subprocess on a free port, ready when ``GET /healthz`` is
  200, within 90 s), with ``DHE_SANDBOX__DEMO_OTP=true`` so the demo customer's one-time code is
  the documented ``123456``; a second one as ``make run`` starts it (random codes, read on the
  demo phone) only for the tests that ask for ``make_run_server``.
* One browser (``playwright`` driving ``/usr/bin/chromium`` through ``executable_path``; no
  browser download). Its fake microphone plays a WAV from ``../shared/data`` once per capture
  (``%noloop``); pages that should not hear it get no microphone permission.
* Where the machine allows it, server and browser run inside one network namespace that holds
  only loopback (``unshare -n``, or ``unshare -rn`` when not root), entered with ``nsenter``;
  otherwise (or with ``DHE_E2E_NETNS=0``) they use 127.0.0.1 on the host.

Chromium missing: the tests skip with a reason, and fail under ``CI=true``. Artifacts
(screenshots, the server log, browser console logs) go to ``test-artifacts/e2e/``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from connectors.supervision import end_process
from tests.conftest import REPO_ROOT, SHARED_DATA, require_path
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.netns import LoopbackNamespace
from tests.support.server_process import LOOPBACK_VISITORS

#: The fake microphone's clip: 5.1 s of read English speech (LJ Speech, public domain).
MIC_CLIP = "audio/en/en_ljspeech_LJ001-0004_block_books.wav"
#: How long the e2e server may take to warm up (s). 90 s is ample on 2 idle cores; a machine busy
#: with other work (several jobs at once) can take 300 s or more: set DHE_TEST_READY_TIMEOUT_S.
READY_TIMEOUT_S = float(os.environ.get("DHE_TEST_READY_TIMEOUT_S", "90"))

# --- network namespace ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def loopback_ns() -> Iterator[LoopbackNamespace | None]:
    """The loopback-only namespace, or None where it cannot be made (or DHE_E2E_NETNS=0)."""
    if os.environ.get("DHE_E2E_NETNS", "1") == "0" or not (
        shutil.which("unshare") and shutil.which("nsenter") and shutil.which("ip")
    ):
        yield None
        return
    try:
        ns = LoopbackNamespace()
    except (OSError, subprocess.SubprocessError) as exc:
        print(f"e2e: no network namespace ({exc}); using host loopback", file=sys.stderr)
        yield None
        return
    yield ns
    ns.close()


# --- the server -------------------------------------------------------------------------------

_HTTP_SCRIPT = """
import json, sys, urllib.request, urllib.error
method, url = sys.argv[1], sys.argv[2]
req = urllib.request.Request(url, method=method)
try:
    with urllib.request.urlopen(req, timeout=10) as r:
        print(json.dumps([r.status, r.read().decode("utf-8", "replace")]))
except urllib.error.HTTPError as e:
    print(json.dumps([e.code, e.read().decode("utf-8", "replace")]))
except OSError as e:
    print(json.dumps([0, str(e)]))
"""


@dataclass
class DheServer:
    """A running ``dhe serve``: its base URL and a way to call it from where it lives."""

    url: str
    process: subprocess.Popen
    log_path: Path
    prefix: list[str] = field(default_factory=list)

    def request(self, method: str, path: str) -> tuple[int, str]:
        """An HTTP request from inside the server's namespace; (status, body), status 0 when
        the connection failed."""
        out = subprocess.run(
            [*self.prefix, sys.executable, "-c", _HTTP_SCRIPT, method, self.url + path.lstrip("/")],
            capture_output=True,
            text=True,
            timeout=30,
        )
        status, body = json.loads(out.stdout)
        return status, body

    def log_tail(self, lines: int = 40) -> str:
        """The last ``lines`` lines of the server's log (stdout and stderr)."""
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def e2e_artifacts(artifacts_dir: Path) -> Path:
    """The folder the e2e tests leave screenshots and logs in (``<artifacts>/e2e``)."""
    path = artifacts_dir / "e2e"
    path.mkdir(exist_ok=True)
    return path


@contextlib.contextmanager
def run_dhe_serve(
    loopback_ns: LoopbackNamespace | None, var_dir: Path, log_path: Path, env: dict[str, str]
) -> Iterator[DheServer]:
    """``dhe serve`` on a free 127.0.0.1 port with ``env`` added, ready (healthz 200) within
    90 s; its state (sandbox SQLite files, engine.db) lives in ``var_dir``, its output goes to
    ``log_path``; stopped on exit."""
    from engine.paths import models_dir

    port = _free_port()
    prefix = loopback_ns.prefix if loopback_ns else []
    full_env = {
        **os.environ,
        "DHE_VAR_DIR": str(var_dir),
        "DHE_MODELS_DIR": str(models_dir()),
        "DHE_SERVER__MAX_SESSIONS": "8",
        **LOOPBACK_VISITORS,  # every page of the suite is a visitor from 127.0.0.1
        # a visitor walking away ends the session after 3 s without a face (default 5 s)
        "DHE_PERCEPTION__ABSENT_AFTER_S": "3",
        "PYTHONUNBUFFERED": "1",
        **env,
    }
    # ``python -m`` from the repository root, not ``.venv/bin/dhe``: that entry point imports
    # the checkout the package was installed from (an editable install), so a worktree's e2e
    # run would test another checkout's code; ``-m`` puts the working directory first on
    # sys.path (as tests/support/server_process.py).
    serve = [sys.executable, "-m", "engine.cli", "serve", "--host", "127.0.0.1"]
    log = log_path.open("w", encoding="utf-8")
    process = subprocess.Popen(
        [*prefix, *serve, "--port", str(port)],
        cwd=REPO_ROOT,
        env=full_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = DheServer(f"http://127.0.0.1:{port}/", process, log_path, list(prefix))
    deadline = time.monotonic() + READY_TIMEOUT_S
    status = 0
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"dhe serve exited with {process.returncode}:\n{server.log_tail()}")
            status, _ = server.request("GET", "/healthz")
            if status == 200:
                break
            time.sleep(1.0)
        else:
            pytest.fail(
                f"dhe serve not ready in {READY_TIMEOUT_S:.0f} s (healthz {status}):\n{server.log_tail()}"
            )
        yield server
    finally:
        end_process(process, grace_s=20)
        log.close()


@pytest.fixture(scope="session")
def dhe_server(
    loopback_ns: LoopbackNamespace | None,
    e2e_artifacts: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[DheServer]:
    """The server most e2e tests share: the demo customers' one-time code is the documented
    ``123456`` (``DHE_SANDBOX__DEMO_OTP=true``)."""
    with run_dhe_serve(
        loopback_ns,
        tmp_path_factory.mktemp("e2e-var"),
        e2e_artifacts / "dhe-serve.log",
        {"DHE_SANDBOX__DEMO_OTP": "true"},
    ) as server:
        yield server


@pytest.fixture(scope="session")
def make_run_server(
    loopback_ns: LoopbackNamespace | None,
    e2e_artifacts: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[DheServer]:
    """The server as ``make run`` starts it: embedded sandboxes, random one-time codes (only
    the tests that need it start it)."""
    env = {"DHE_SANDBOX__DEMO_OTP": "false"}
    with run_dhe_serve(
        loopback_ns,
        tmp_path_factory.mktemp("e2e-make-run-var"),
        e2e_artifacts / "dhe-serve-make-run.log",
        env,
    ) as server:
        yield server


# --- the browser ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Debian's Chromium (skip, or fail under CI=true, when it is not installed)."""
    return require_path(CHROMIUM, "Chromium (Debian package 'chromium')")


#: Silence before the clip: the fake microphone starts at getUserMedia, before the peer
#: connection is up, and audio sent before that is lost (a visitor, too, speaks once connected).
MIC_LEAD_IN_S = 4.0


@pytest.fixture(scope="session")
def mic_clip(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    """The WAV the fake microphone plays (MIC_CLIP after MIC_LEAD_IN_S of silence, written to
    a temporary folder), or None without ../shared/data."""
    source = SHARED_DATA / MIC_CLIP
    if not source.exists():
        return None
    with wave.open(str(source), "rb") as w:
        params, frames = w.getparams(), w.readframes(w.getnframes())
    lead_in = b"\0" * (int(params.framerate * MIC_LEAD_IN_S) * params.sampwidth * params.nchannels)
    path = tmp_path_factory.mktemp("mic") / source.name
    with wave.open(str(path), "wb") as w:
        w.setparams(params)
        w.writeframes(lead_in + frames)
    return path


@pytest.fixture(scope="session")
def browser(
    chromium_path: Path,
    loopback_ns: LoopbackNamespace | None,
    mic_clip: Path | None,
    tmp_path_factory: pytest.TempPathFactory,
):
    """One headless Chromium for the run (a fresh temporary profile, Playwright's default)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    executable = chromium_path
    if loopback_ns is not None:
        executable = loopback_ns.wrapper(chromium_path, tmp_path_factory.mktemp("chromium"))
    args = list(CHROMIUM_ARGS)
    if mic_clip is not None:
        args.append(f"--use-file-for-fake-audio-capture={mic_clip}%noloop")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(executable), args=args, headless=True)
        yield browser
        browser.close()


#: Every Content-Security-Policy violation of the page (the server's CSP allows only the page's
#: own scripts, styles and connections, issue 16) goes to its console, which the fixture checks
#: (Chromium logs each one there too, as "… violates the following Content Security Policy …").
CSP_WATCH = """window.addEventListener("securitypolicyviolation", (e) =>
  console.error(`csp-violation: ${e.violatedDirective} ${e.blockedURI}`));"""


@dataclass
class VisitorPage:
    """One page on the visitor page, with its console kept for the log; ``context`` is what
    closes it (its browser context, or a browser launched for it alone)."""

    page: object
    context: object
    console: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))

    def load(self, url: str) -> object:
        """Go to ``url`` and wait until the page says it is ready; returns the page."""
        self.page.goto(url)
        self.page.wait_for_selector("body[data-ready='true']", timeout=15_000)
        return self.page


def end_visitor_pages(opened: list[VisitorPage], name: str, artifacts: Path) -> None:
    """A factory fixture's teardown: each page's last screenshot, its session deleted, its
    context closed and its console written to ``<artifacts>/<name>-<n>-console.log``.

    Raises:
        AssertionError: a page broke the server's Content-Security-Policy (its console says so).
    """
    from playwright.sync_api import Error as PlaywrightError  # the browser fixture skips without

    for n, visitor in enumerate(opened):
        page = visitor.page
        try:
            page.screenshot(path=str(artifacts / f"{name}-{n}-end.png"))
            page.evaluate(
                """async () => { const id = document.body.dataset.sessionId;
                  if (id) await fetch(`api/sessions/${id}`, {method: 'DELETE'}); }"""
            )
        except PlaywrightError as exc:  # the page may already be gone; the log says so
            visitor.console.append(f"teardown: {exc}")
        visitor.context.close()
        (artifacts / f"{name}-{n}-console.log").write_text("\n".join(visitor.console) + "\n")
    blocked = [
        m
        for v in opened
        for m in v.console
        if "csp-violation" in m or "Content Security Policy" in m
    ]
    assert not blocked, f"the page broke the server's Content-Security-Policy: {blocked}"


@pytest.fixture
def open_visitor(
    browser, dhe_server: DheServer, e2e_artifacts: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[..., object]]:
    """Factory: ``open_visitor(query="", permissions=(), viewport=(1280, 800))`` → a Playwright
    page on the visitor page, loaded and ready. At the end each page's session is deleted,
    its context closed and its console written to ``test-artifacts/e2e/<test>-console.log``."""
    opened: list[VisitorPage] = []

    def open_page(query: str = "", permissions: tuple[str, ...] = (), viewport=(1280, 800)):
        context = browser.new_context(
            viewport={"width": viewport[0], "height": viewport[1]},
            permissions=list(permissions),
            locale="en-US",
        )
        page = context.new_page()
        page.add_init_script(CSP_WATCH)
        visitor = VisitorPage(page, context)
        opened.append(visitor)
        return visitor.load(dhe_server.url + query)

    yield open_page
    end_visitor_pages(opened, request.node.name.replace("/", "_"), e2e_artifacts)
