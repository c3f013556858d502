"""Probes of ``dhe serve`` for process supervisors (``deploy/dhe.service``), standard library only.

``healthcheck.py ready URL [--timeout S]`` waits until ``URL/healthz`` answers 200 (readiness:
``ok`` or ``degraded``), exit 0; exit 1 when it did not within the timeout (the body's
``reasons`` on stderr). ``healthcheck.py live URL [--timeout S]`` asks ``URL/livez`` once: exit
0 when it answered 200 within the timeout, else 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request


def get(url: str, timeout_s: float) -> tuple[int, dict]:
    """Status and JSON body of a GET (status 0 when nothing answered)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read() or b"{}")
        except ValueError:
            return exc.code, {}
    except (OSError, ValueError) as exc:
        return 0, {"reasons": [str(exc)]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("probe", choices=["ready", "live"])
    parser.add_argument("url", help="the server's base URL, e.g. http://127.0.0.1:8080")
    parser.add_argument("--timeout", type=float, default=None, help="seconds")
    args = parser.parse_args(argv)
    base = args.url.rstrip("/")
    if args.probe == "live":
        status, _ = get(f"{base}/livez", args.timeout or 5.0)
        return 0 if status == 200 else 1
    deadline = time.monotonic() + (args.timeout or 240.0)
    status, body = 0, {}
    while time.monotonic() < deadline:
        status, body = get(f"{base}/healthz", 5.0)
        if status == 200:
            return 0
        time.sleep(1.0)
    print(f"dhe not ready: {status} {body.get('reasons', '')}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
