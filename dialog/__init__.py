"""The dialog room: NLU, flows, knowledge base and reply planning (``docs/architecture.md``).

Public API::

    from dialog import DialogEngine, DialogTurn, ReplyPlan
    engine = DialogEngine.load(domain="bank", connector=systems.connectors)
    session = engine.new_session("s1", language="auto")
    turn = await session.handle_text("what's my balance")
"""

from dialog.pack import PackError
from dialog.session import DialogEngine, DialogSession, SessionClosedError
from dialog.types import DialogTurn, ReplyPlan

__all__ = [
    "DialogEngine",
    "DialogSession",
    "DialogTurn",
    "PackError",
    "ReplyPlan",
    "SessionClosedError",
]
