"""The one-line reason a server process cannot listen (``dhe serve``, ``dhe sandbox``)."""

from __future__ import annotations

import errno
import os
import socket


def listen_failure(host: str, port: int, exc: OSError) -> str:
    """``cannot listen on HOST:PORT: why`` for the ``OSError`` that binding raised.

    A host name that does not resolve (``socket.gaierror``, whose negative ``errno`` is an
    ``EAI_*`` code that ``os.strerror`` calls "unknown error") and an address of another machine
    (``EADDRNOTAVAIL``) are named as such; other errors read as ``os.strerror`` words them.
    """
    where = f"cannot listen on {host}:{port}"
    if isinstance(exc, socket.gaierror):
        return (
            f"{where}: the host {host!r} cannot be resolved ({exc.strerror}); give an address "
            "of this machine (127.0.0.1, 0.0.0.0) or a name that resolves to one"
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"{where}: {host} is not an address of this machine"
    reason = os.strerror(exc.errno).lower() if exc.errno else str(exc)
    return f"{where}: {reason}"
