"""The dialog room: NLU, flows, knowledge base and reply planning (``docs/architecture.md``).

Public API::

    from dialog import DialogEngine, DialogTurn, ReplyPlan
    engine = DialogEngine.load(domain="bank", connector=systems.connectors)
    session = engine.new_session("s1", language="auto")
    turn = await session.handle_text("what's my balance")
    masked, kinds = redact("my card is 6228 4800 1234 5671")  # ("my card is •••• 5671", ("card",))
"""

from dialog.pack import PackError
from dialog.sensitive import redact
from dialog.session import DialogEngine, DialogSession, SessionClosedError, TrialStopped
from dialog.types import DialogTurn, ReplyPlan

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
