"""Soak of ``dhe serve``: scripted visitors for a given time, memory and file descriptors watched.

Visitors (``--visitors`` at once, aiortc clients over loopback) run one scripted session after
another, in turn:

* ``spoken`` — a question said into the microphone (espeak-ng, **synthetic**), answered;
* ``typed`` — "I lost my card", then the card's last digits on the keypad (a bank call);
* ``barge-in`` — a spoken question, and a second one spoken over its answer (``interrupted``);
* ``abrupt`` — a typed question, and the visitor vanishes while it is answered (the peer closes,
  no ``DELETE``): an injected fault the server must clean up after.

With ``--camera PATH`` (a picture of a face, e.g. ``images/faces/face_neutral_woman.jpg`` of
the shared data, read in place) every visitor but the barge-in ones also sends a camera track
showing that picture
(``CAMERA_SIZE`` at ``CAMERA_FPS``) and consents to its analysis once the avatar shows, so
perception's MediaPipe graphs run through those sessions too (a still face never speaks, and the
speaker check rightly refuses a voice over the avatar whose face does not move). Without it no
camera is sent.

Midway (``--kill-at``, a fraction of the run) the bank sandbox is killed (SIGKILL), another
injected fault: the server must restart it, and ``/healthz`` must say ``ok`` again. Every
``--sample-s`` seconds it prints the sessions completed, errors, the server's RSS, its open file
descriptors and children (zombies counted apart); at the end a summary: RSS and descriptors
after warm-up (the first ``--warmup`` of the run) against the end. An *error* is anything other
than the injected faults and their expected effects: a scripted step that did not happen in
time, an ``error`` event with an unexpected code, a traceback or unretrieved task exception in
the server's log, ``/healthz`` not 200.

Usage::

    .venv/bin/python benchmarks/soak.py [--duration 3600] [--visitors 2] [--camera PATH] [--json]

It starts ``dhe serve --port 0`` itself. Prints figures; decides nothing (the 60-second
``tests/integration/test_soak.py`` asserts on them).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import signal
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.soak_report import Sample, SoakReport, summary  # noqa: E402
from tests.support.camera import CameraTrack, still  # noqa: E402
from tests.support.server_process import ServerProcess  # noqa: E402
from tests.support.visitor import VisitorClient  # noqa: E402

FAQ = "When are you open?"
SECOND = "Where can I find an ATM?"
#: ``error`` event codes a scenario may meet as the effect of an injected fault (a system down
#: while the bank sandbox restarts is answered by the dialog, not as an error event, but a
#: socket refusing a session that ended is).
EXPECTED_ERRORS = frozenset({"idle-timeout"})
#: Each visitor runs these in turn, starting at its own place (so a short run has them all).
SCENARIOS = ("typed", "abrupt", "spoken", "barge-in")
STEP_TIMEOUT_S = 90.0
#: The visitor camera's picture size (width, height) and frame rate with ``--camera``: a kiosk
#: camera's preview size, at a rate that keeps the client's VP8 encoding cheap.
CAMERA_SIZE = (320, 240)
CAMERA_FPS = 10.0


class ServerDied(Exception):
    """The server process exited during the soak (its status is in the report's errors)."""


def speech(text: str) -> np.ndarray:
    """``text`` said by espeak-ng en-us (a voice unlike the avatar's), int16 48 kHz, with half a
    second of silence after it (**synthetic**)."""
    from engine.audio.pcm import resample_pcm
    from engine.tts.espeak import EspeakTTS

    chunks = EspeakTTS(voices={"en": "en-us"}).synthesize_all(text, "en")
    pcm = np.concatenate([resample_pcm(c.pcm, c.sample_rate, 48_000) for c in chunks])
    return np.concatenate([pcm, np.zeros(24_000, np.int16)])


def is_state(state: str):
    """A predicate on events-socket messages: a ``state`` message for ``state``."""
    return lambda m: m.get("type") == "state" and m.get("state") == state


def is_type(kind: str):
    """A predicate on events-socket messages: a message of type ``kind``."""
    return lambda m: m.get("type") == kind


class Soak:
    """One soak run against a started server (module docstring)."""

    def __init__(
        self, server: ServerProcess, report: SoakReport, camera: Path | None = None
    ) -> None:
        self.server, self.report = server, report
        self.url = server.base_url
        self.face = None if camera is None else still(camera, CAMERA_SIZE)
        self.voice = {FAQ: speech(FAQ), SECOND: speech(SECOND)}
        self._problems_seen = 0

    async def visitor(self, deadline: float, offset: int) -> None:
        """Scripted sessions one after another until ``deadline`` (loop time)."""
        loop = asyncio.get_running_loop()
        names = itertools.islice(itertools.cycle(SCENARIOS), offset, None)
        for name in names:
            if loop.time() >= deadline:
                return
            # A still face never speaks: the speaker check rightly refuses a voice over the
            # avatar whose face does not move, so a barge-in visitor sends no camera.
            still_face = self.face is not None and name != "barge-in"
            track = CameraTrack(self.face, fps=CAMERA_FPS) if still_face else None
            client = VisitorClient(self.url, decode_video=False, camera=track)
            try:
                async with asyncio.timeout(STEP_TIMEOUT_S * 2):
                    await client.connect()
                    await self.media_up(client)
                    await getattr(self, "_" + name.replace("-", "_"))(client)
                self.report.sessions[name] += 1
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                self.report.errors.append(f"{name}: {type(exc).__name__} {exc}"[:300])
            finally:
                await self.leave(client, name)
            self.unexpected_errors(name, client)

    async def leave(self, client: VisitorClient, name: str) -> None:
        """End the visitor's side (``DELETE`` but after ``abrupt``); a failure is an error of
        the run, not the end of it (a ``DELETE`` that timed out stopped a whole soak once)."""
        try:
            await client.close(delete=name != "abrupt")
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            self.report.errors.append(f"{name}: leaving: {type(exc).__name__} {exc}"[:300])
            await client.close(delete=False)  # the peer and sockets all the same

    async def media_up(self, client: VisitorClient) -> None:
        """Until the avatar's video arrives, and a second more (the session's hearing starts
        with the media; a visitor speaks once they see the avatar)."""
        while not client.received.encoded_video:
            await asyncio.sleep(0.05)
        if client.camera is not None:
            await client.send_event({"type": "camera", "consent": True})
        await asyncio.sleep(1.0)

    def unexpected_errors(self, name: str, client: VisitorClient) -> None:
        """Add each ``error`` event ``client`` received whose code is not in
        :data:`EXPECTED_ERRORS` to the report."""
        for event in client.received.events_of("error"):
            if event.get("code") not in EXPECTED_ERRORS:
                self.report.errors.append(f"{name}: error event {event}"[:300])

    async def _spoken(self, client: VisitorClient) -> None:
        t = client.mic.say(self.voice[FAQ])
        await client.wait_event(is_type("reply"), STEP_TIMEOUT_S, after=t)
        await client.wait_event(is_state("idle"), STEP_TIMEOUT_S, after=t + 1.0)

    async def _typed(self, client: VisitorClient) -> None:
        loop = asyncio.get_running_loop()
        for message in (
            {"type": "text", "text": "I lost my card"},
            {"type": "keypad", "digits": "4417"},
        ):
            t = loop.time()
            await client.send_event(message)
            await client.wait_event(is_type("reply"), STEP_TIMEOUT_S, after=t)
            await client.wait_event(is_state("idle"), STEP_TIMEOUT_S, after=t)

    async def _barge_in(self, client: VisitorClient) -> None:
        t = client.mic.say(self.voice[FAQ])
        await client.wait_event(is_state("speaking"), STEP_TIMEOUT_S, after=t)
        await asyncio.sleep(0.8)
        t_over = client.mic.say(self.voice[SECOND])
        await client.wait_event(is_state("interrupted"), STEP_TIMEOUT_S, after=t_over)
        await client.wait_event(is_type("reply"), STEP_TIMEOUT_S, after=t_over)

    async def _abrupt(self, client: VisitorClient) -> None:
        t = asyncio.get_running_loop().time()
        await client.send_event({"type": "text", "text": FAQ})
        await client.wait_event(is_state("speaking"), STEP_TIMEOUT_S, after=t)
        self.report.injected["abrupt"] += 1  # closed below without DELETE

    async def kill_sandbox(self, at: float) -> None:
        """SIGKILL the bank sandbox at loop time ``at``; time until ``/healthz`` is ok again."""
        loop = asyncio.get_running_loop()
        await asyncio.sleep(max(0.0, at - loop.time()))
        pid = self.server.sandbox_pid("bank")
        os.kill(pid, signal.SIGKILL)
        self.report.injected["sandbox-kill"] += 1
        t0 = loop.time()
        async with aiohttp.ClientSession() as http:
            saw_degraded = False
            while loop.time() - t0 < 60:
                async with http.get(f"{self.url}/healthz") as resp:
                    status = (await resp.json())["status"]
                saw_degraded |= status == "degraded"
                if saw_degraded and status == "ok":
                    self.report.sandbox_back_s = round(loop.time() - t0, 1)
                    return
                await asyncio.sleep(0.2)
        self.report.errors.append("the killed bank sandbox was not back within 60 s")

    async def sample(self, t0: float, every_s: float, deadline: float, quiet: bool) -> None:
        """Every ``every_s``: counts, RSS, descriptors, children; health and log checked.

        Raises:
            ServerDied: the server process exited.
        """
        loop = asyncio.get_running_loop()
        async with aiohttp.ClientSession() as http:
            while True:
                exit_status = self.server.proc.poll()
                if exit_status is not None:  # it died (a crash, the OOM killer): stop here
                    self.report.errors.append(f"dhe serve exited with status {exit_status}")
                    self.log_problems()
                    raise ServerDied(exit_status)
                try:
                    async with http.get(f"{self.url}/healthz") as resp:
                        if resp.status != 200:
                            body = await resp.text()
                            self.report.errors.append(f"/healthz {resp.status}: {body}")
                except aiohttp.ClientError as exc:
                    self.report.errors.append(f"/healthz unreachable: {exc}")
                self.log_problems()
                sample = self.measure(loop.time() - t0)
                self.report.samples.append(sample)
                if not quiet:
                    print(
                        f"t={sample.t_s:6.0f} s  sessions={sample.sessions:4d}  "
                        f"errors={sample.errors}  rss={sample.rss_mb:7.1f} MB  "
                        f"fds={sample.fds}  children={sample.children}  zombies={sample.zombies}",
                        flush=True,
                    )
                if loop.time() >= deadline:
                    return
                await asyncio.sleep(min(every_s, max(0.0, deadline - loop.time())))

    def log_problems(self) -> None:
        """Add the server log's problem lines not reported yet to the report's errors."""
        new = self.server.problems[self._problems_seen :]
        self._problems_seen += len(new)
        self.report.errors += [f"server log: {problem}"[:3000] for problem in new]

    def measure(self, t_s: float) -> Sample:
        """One sample at ``t_s`` seconds into the run: sessions and errors so far, the server's
        RSS (MB, ``/proc/PID/status``), open descriptors, children and zombie children."""
        pid = self.server.proc.pid
        status = Path(f"/proc/{pid}/status").read_text()
        rss_kb = int(next(ln.split()[1] for ln in status.splitlines() if ln.startswith("VmRSS:")))
        fds = len(os.listdir(f"/proc/{pid}/fd"))
        zombies = 0
        children = self.server.children()
        for child in children:
            with contextlib.suppress(FileNotFoundError):
                state = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[0]
                zombies += state == "Z"
        return Sample(
            round(t_s, 1),
            self.report.completed,
            len(self.report.errors),
            rss_kb / 1024,
            fds,
            len(children),
            zombies,
        )


async def soak(
    server: ServerProcess,
    duration_s: float,
    *,
    visitors: int = 2,
    kill_at: float | None = 0.5,
    sample_s: float = 60.0,
    warmup: float = 0.1,
    quiet: bool = False,
    camera: Path | None = None,
) -> SoakReport:
    """Run the soak against a started server (module docstring).

    Args:
        server: a started :class:`ServerProcess` (its children and log are watched).
        duration_s: how long visitors keep starting sessions, seconds.
        visitors: visitors at once.
        kill_at: when the bank sandbox is killed, as a fraction of the run (None: never).
        sample_s: seconds between samples.
        warmup: the fraction of the run that is warm-up (RSS and descriptors compared after).
        quiet: print nothing.
        camera: a picture every visitor's camera shows (None: no camera sent).
    """
    report = SoakReport(
        duration_s, sessions=dict.fromkeys(SCENARIOS, 0), warmup_s=warmup * duration_s
    )
    run = Soak(server, report, camera)
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    deadline = t0 + duration_s
    jobs = [run.visitor(deadline, i * len(SCENARIOS) // visitors) for i in range(visitors)]
    jobs.append(run.sample(t0, sample_s, deadline, quiet))
    if kill_at is not None:
        jobs.append(run.kill_sandbox(t0 + kill_at * duration_s))
    tasks = [asyncio.ensure_future(job) for job in jobs]
    try:
        await asyncio.gather(*tasks)
    except ServerDied:
        return report
    finally:
        # any failure (a dead server, or an exception a visitor did not expect) stops the
        # others too: a visitor left running would outlive the run and hang its event loop
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.sleep(2.0)  # the last abrupt visitor's session ends (its peer closed)
    run.log_problems()
    report.samples.append(run.measure(loop.time() - t0))
    return report


async def main_async(args: argparse.Namespace) -> int:
    """Start a server, soak it as ``args`` say and print the summary (JSON with ``--json``);
    returns 0 (the errors are in the summary)."""
    server = ServerProcess(
        env={"DHE_SERVER__MAX_SESSIONS": str(args.visitors + 1)},
        ready_timeout_s=args.ready_timeout,
    )
    server.start()
    try:
        report = await soak(
            server,
            args.duration,
            visitors=args.visitors,
            sample_s=args.sample_s or min(60.0, args.duration / 12),
            quiet=args.json,
            camera=args.camera,
        )
    finally:
        server.stop()
    if args.json:
        doc: dict[str, Any] = asdict(report)
        doc.update(completed=report.completed, rss_growth=report.rss_growth())
        print(json.dumps(doc, indent=1))
    else:
        print(summary(report))
    return 0


def main() -> int:
    """Parse the flags and run :func:`main_async`; returns the exit status."""
    parser = argparse.ArgumentParser(description="Soak dhe serve with scripted visitors.")
    parser.add_argument("--duration", type=float, default=3600.0, help="seconds (default 3600)")
    parser.add_argument("--visitors", type=int, default=2, help="visitors at once (default 2)")
    parser.add_argument("--sample-s", type=float, default=None, help="seconds between samples")
    parser.add_argument(
        "--ready-timeout",
        type=float,
        default=900.0,
        help="seconds the server may take to load and warm its models (default 900: a busy "
        "2-core machine takes several minutes)",
    )
    parser.add_argument(
        "--camera", type=Path, default=None, help="a face picture the visitors' cameras show"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON only")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
