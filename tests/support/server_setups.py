"""Start-ups the ``dhe serve`` tests share: a server with a fault injected on purpose through a
``sitecustomize`` module given to the server process only (:func:`delay_hook`,
:func:`hooked_server`), a server whose visits lapse after a short idle (:func:`lapse_server`),
and the events-socket predicate for a reply that says given words (:func:`reply_with`)."""

from __future__ import annotations

import contextlib
import os
import textwrap
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.server_process import ENGLISH_ONLY, ServerProcess

#: The part of every hook before its patch: it reads its delay (seconds) from ``{variable}``,
#: then removes itself from the environment, so the sandboxes' processes run unchanged.
_HOOK_HEAD = """
import os, sys
_here = os.path.dirname(os.path.abspath(__file__))
_delay = float(os.environ.pop("{variable}", "0") or 0)
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != _here
)
if _delay:
    sys.path.insert(0, os.getcwd())  # the checkout under test, as ``python -m`` would
    import asyncio
"""


def delay_hook(variable: str, patch: str) -> str:
    """The text of a ``sitecustomize`` module that, where the environment variable
    ``variable`` gives a delay (seconds, > 0), runs ``patch`` at the server's start-up.

    Args:
        variable: the environment variable with the delay (popped: the server's children do
            not see it).
        patch: Python statements, unindented, that wrap an engine method to wait ``_delay``
            seconds (``asyncio`` is imported for them).

    Returns:
        The module's source.
    """
    return _HOOK_HEAD.replace("{variable}", variable) + textwrap.indent(patch.lstrip("\n"), "    ")


@contextlib.contextmanager
def hooked_server(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    hook: str,
    env: dict[str, str],
) -> Iterator[ServerProcess]:
    """A healthy English-only ``dhe serve`` (:data:`ENGLISH_ONLY`) that loads ``hook`` as its
    ``sitecustomize`` module (put first on its ``PYTHONPATH``), stopped after the block.

    Args:
        tmp_path_factory: pytest's, for the hook's folder.
        name: the hook folder's name.
        hook: the module's source (:func:`delay_hook`).
        env: the server's further environment (the hook's delay variable among them).

    Raises:
        RuntimeError: the server did not start (:meth:`ServerProcess.start`).
    """
    folder = tmp_path_factory.mktemp(name)
    (folder / "sitecustomize.py").write_text(hook, encoding="utf-8")
    path = os.pathsep.join(p for p in (str(folder), os.environ.get("PYTHONPATH")) if p)
    with ServerProcess(env={"PYTHONPATH": path, **env}, settings=ENGLISH_ONLY) as proc:
        yield proc


@contextlib.contextmanager
def lapse_server(lapse_s: float, env: dict[str, str]) -> Iterator[ServerProcess]:
    """A healthy English-only ``dhe serve`` whose visits lapse after ``lapse_s`` seconds without
    the visitor (``server.verified_idle_s``), stopped after the block.

    Args:
        lapse_s: the lapse, seconds.
        env: the server's further environment (its idle timeout, the sandbox's demo code).

    Raises:
        RuntimeError: the server did not start (:meth:`ServerProcess.start`).
    """
    with ServerProcess(
        env={"DHE_SERVER__VERIFIED_IDLE_S": str(lapse_s), **env}, settings=ENGLISH_ONLY
    ) as proc:
        yield proc


def reply_with(words: str) -> Callable[[dict[str, Any]], bool]:
    """A predicate for :meth:`tests.support.visitor.VisitorClient.wait_event`: an events-socket
    message that is a reply whose text holds ``words``."""
    return lambda m: m.get("type") == "reply" and words in m.get("text", "")
