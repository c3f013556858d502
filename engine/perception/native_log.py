"""MediaPipe's native log lines kept off a serving engine's stderr (newcomer16 #2).

Each FaceLandmarker and GestureRecognizer that MediaPipe creates (one pair per camera session)
writes some 20 lines to file descriptor 2 from its C++ code: glog lines
(``W0000 00:00:… face_landmarker_graph.cc:181] …``), TensorFlow Lite's and LiteRT's
(``INFO: Created TensorFlow Lite XNNPACK delegate for CPU.``, ``INFO: [environment.cc:36] …``),
and more when it is closed. None of them reads an environment switch (``GLOG_minloglevel`` and
``TF_CPP_MIN_LOG_LEVEL`` set before the first import were tried: the lines stay), and the
models cannot be shared across sessions (video mode keeps a stream's tracking state and wants
its timestamps rising).

So :func:`native_stderr_as_log` points fd 2 at a pipe while the models are created or closed.
A pump thread reads it line by line: MediaPipe's informational lines and warnings go to this
module's logger at DEBUG (seen with ``-vv``); its error lines (glog ``E``/``F``, ``ERROR:``)
and everything else written to fd 2 meanwhile (another thread's log line, a child process's
output) are passed on to the real stderr as they come, so nothing but MediaPipe's chatter is
held back. A line MediaPipe writes while it analyses a frame (LiteRT's "Input tensor memory is
not aligned …" warning, now and then) is outside that window and still reaches stderr.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

log = logging.getLogger(__name__)

#: A native log line of MediaPipe's that is chatter: an absl/glog info or warning line
#: (prefix ``Lmmdd hh:mm:ss.uuuuuu threadid file:line] ``; before logging is initialised
#: MediaPipe 0.10 writes ``I0000 00:00:1796648352.175909    7980 file.cc:259] ``),
#: TensorFlow Lite's / LiteRT's ``INFO: …`` / ``WARNING: …`` / ``VERBOSE: …`` lines, and
#: glog's "WARNING: Logging before InitGoogle() is written to STDERR", and a LiteRT line's
#: ``[file.cc:NN] …`` body on its own (LiteRT writes its ``INFO: `` prefix separately, so a
#: line another thread writes at that moment lands between the two).
CHATTER = re.compile(
    r"^(?:[IW]\d{4} [\d:.]+ +\d+ \S+:\d+\] |(?:INFO|WARNING|VERBOSE): |\[\S+\.cc:\d+\] )"
)

_LOCK = threading.Lock()


def _pump(read_fd: int, out_fd: int, held: list[str]) -> None:
    """Read ``read_fd`` to its end: chatter lines into ``held``, all others to ``out_fd``."""
    rest = b""
    try:
        while chunk := os.read(read_fd, 65536):
            *lines, rest = (rest + chunk).split(b"\n")
            for line in lines:
                text = line.decode("utf-8", "replace")
                if CHATTER.match(text):
                    held.append(text)
                else:
                    os.write(out_fd, line + b"\n")
        if rest:
            os.write(out_fd, rest)
    finally:
        os.close(read_fd)
        os.close(out_fd)


@contextmanager
def native_stderr_as_log() -> Iterator[None]:
    """Inside the block fd 2 is a pipe: MediaPipe's chatter goes to this module's logger at
    DEBUG once the block ends, other output to the real stderr at once (see the module
    docstring). Process-wide (fd 2 is), so blocks of several threads run one at a time; the
    wait for the pump to finish (at most 5 s, while a child process started inside the block
    still writes to the pipe) is after the block lets the next one in.

    Raises:
        OSError: the pipe or a duplicate of fd 2 could not be made (nothing was changed).
    """
    held: list[str] = []
    pump: threading.Thread | None = None
    try:
        with _LOCK:
            with suppress(AttributeError, OSError, ValueError):
                sys.stderr.flush()
            saved = os.dup(2)
            try:
                read_fd, write_fd = os.pipe()
            except OSError:
                os.close(saved)
                raise
            # the pump owns its own copy of the real stderr: a child process started inside the
            # block keeps the pipe open past it, and the pump then forwards its output until it
            # ends
            pump = threading.Thread(
                target=_pump,
                args=(read_fd, os.dup(saved), held),
                name="dhe-native-stderr",
                daemon=True,
            )
            pump.start()
            os.dup2(write_fd, 2)
            os.close(write_fd)
            try:
                yield
            finally:
                with suppress(AttributeError, OSError, ValueError):
                    sys.stderr.flush()
                os.dup2(saved, 2)  # the pipe's last write end closes: the pump reads its end
                os.close(saved)
    finally:
        # outside the lock (review note): fd 2 is the real stderr again, so the next block may
        # start while this pump drains what a child process still writes to its pipe (up to 5 s)
        if pump is not None:
            pump.join(timeout=5.0)
    for line in list(held):
        log.debug("mediapipe: %s", line)
