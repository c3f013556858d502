"""The dialog room: NLU, flows, knowledge base and reply planning (``docs/architecture.md``).

Public API::

    from dialog import DialogEngine, DialogTurn, ReplyPlan
    engine = DialogEngine.load(domain="bank", connector=systems.connectors)
    session = engine.new_session("s1", language="auto")
    turn = await session.handle_text("what's my balance")
    masked, kinds = redact("my card is 6228 4800 1234 5671")  # ("my card is •••• 5671", ("card",))

The names are imported on first use (PEP 562 ``__getattr__``): importing a light submodule
(``dialog.pack``, ``dialog.slot_values``, ``dialog.llm``) must not pull in the NLU's sklearn
and scipy, so a command line that only checks its arguments starts fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dialog.engine import DialogEngine
    from dialog.pack import PackError
    from dialog.sensitive import redact
    from dialog.session import DialogSession
    from dialog.types import DialogTurn, ReplyPlan, SessionClosedError, TrialStopped

_HOMES: dict[str, str] = {
    "DialogEngine": "dialog.engine",
    "DialogSession": "dialog.session",
    "DialogTurn": "dialog.types",
    "PackError": "dialog.pack",
    "ReplyPlan": "dialog.types",
    "SessionClosedError": "dialog.types",
    "TrialStopped": "dialog.types",
    "redact": "dialog.sensitive",
}

__all__ = [
    "DialogEngine",
    "DialogSession",
    "DialogTurn",
    "PackError",
    "ReplyPlan",
    "SessionClosedError",
    "TrialStopped",
    "redact",
]


def __getattr__(name: str) -> Any:
    """The public name ``name``, imported from its module on first use.

    Raises:
        AttributeError: ``name`` is not part of the public API (nor a submodule).
    """
    home = _HOMES.get(name)
    if home is None:  # a submodule not imported yet, as the eager package once had them all
        try:
            return importlib.import_module(f"dialog.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"dialog.{name}":
                raise
            raise AttributeError(f"module 'dialog' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
