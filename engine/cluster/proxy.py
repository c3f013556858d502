"""HAProxy in front of the replicas: one origin for the page, offers, events sockets, DELETE.

Routing (documented in the README, "Running several replicas"):

* a session id names its owner (``{replica}.{token}``, :mod:`engine.server.redis_registry`), so
  ``/api/sessions/{replica}.…`` (the events WebSocket, DELETE) goes to that replica
  (``use-server``; the proxy keeps no session table and survives its own restart);
* a new offer goes round-robin to a healthy replica; a replica that is full (or not ready)
  answers 503 and HAProxy retries the offer on the next one (L7 retries with redispatch, the
  offer body held in the buffer), so the visitor sees 503 with ``Retry-After`` only when every
  replica refused;
* replicas are health-checked on ``/livez`` every second (down after 3 misses; a check may take
  3 s on a busy machine), so a dead one leaves the rotation within ~3 s and a connection
  refused meanwhile is retried elsewhere; a session's own requests stay with their owner
  (``force-persist``) even while its checks are slow.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from engine.cluster.services import program

#: Buffer for one request (bytes): an offer must fit whole to be retried (``max_sdp_bytes`` +
#: headers).
BUFFER_BYTES = 131_072


def haproxy_config(port: int, replicas: Sequence[tuple[str, int]], health_path: str) -> str:
    """The HAProxy configuration text.

    Args:
        port: the proxy's 127.0.0.1 port (the cluster's one origin).
        replicas: ``(replica id, port)`` of each replica.
        health_path: the replicas' liveness path for the checks.
    """
    retries = max(1, len(replicas) - 1)
    lines = [
        "global",
        "  maxconn 2000",
        f"  tune.bufsize {BUFFER_BYTES}",
        "defaults",
        "  mode http",
        "  timeout connect 2s",
        "  timeout client 1h",
        "  timeout server 1h",
        "  timeout tunnel 1h",
        "  timeout http-request 10s",
        "  option forwardfor",
        "  option http-buffer-request",
        "  option redispatch 1",
        f"  retries {retries}",
        "  retry-on conn-failure empty-response 503",
        "frontend visitors",
        f"  bind 127.0.0.1:{port}",
        "  default_backend replicas",
        "backend replicas",
        "  balance roundrobin",
        f"  option httpchk GET {health_path}",
        "  http-check expect status 200",
        "  timeout check 3s",  # a busy replica answers late; a dead one refuses at once
        "  default-server inter 1s fall 3 rise 1",
        # A session's requests go to its owner even while a check says it is slow: only it
        # can serve them (a dead owner refuses the connection; the retry then gets a 404).
        "  acl session_path path_reg ^/api/sessions/[a-z0-9-]+[.]",
        "  force-persist if session_path",
    ]
    for name, _ in replicas:
        lines.append(f"  use-server {name} if {{ path_beg /api/sessions/{name}. }}")
    for name, replica_port in replicas:
        lines.append(f"  server {name} 127.0.0.1:{replica_port} check")
    return "\n".join(lines) + "\n"


def haproxy_argv(config: Path) -> list[str]:
    """HAProxy in the foreground (``-db``: one process, the PID is the proxy's).

    Raises:
        FileNotFoundError: haproxy is not installed.
    """
    haproxy = program("haproxy")
    if haproxy is None:
        raise FileNotFoundError("haproxy is not installed (apt-get install haproxy)")
    return [haproxy, "-db", "-f", str(config)]
