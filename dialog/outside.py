"""A dialog turn's outside calls: the business system through the connector router, and the
optional LLM that rewords knowledge-base answers. Each is written to the session's audit trail
(no personal data: operation and outcome, or the answer's source). Split out of
:mod:`dialog.session`, which decides *when* a turn may reach outside (never in a trial turn).
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from connectors.base import ConnectorError
from dialog.templates import render
from dialog.types import AuditEntry, Call, ConnectorDone, ConnectorFailed, Event, ReplyPlan

if TYPE_CHECKING:
    from dialog.engine import DialogEngine

#: Called with the filler line ("One moment, please.") when a connector call runs slow; may be
#: a coroutine function.
FillerCallback = Callable[[ReplyPlan], Awaitable[None] | None]


async def call_connector(
    engine: DialogEngine,
    session_id: str,
    call: Call,
    on_filler: FillerCallback | None,
    language: str,
    audit: list[AuditEntry],
) -> Event:
    """Run a flow's connector call and turn its outcome into the interpreter's next event.

    Args:
        engine: the domain's engine (its connector router and pack's ``utter_filler``).
        session_id: scopes the call's idempotency key and the connector's logs.
        call: the operation, its parameters and idempotency key.
        on_filler: said once if the call runs slow (the router's ``on_slow``); None: silent.
        language: the filler's language.
        audit: the session's audit trail, appended ``op -> ok`` or ``op -> <error code>``.

    Returns:
        :class:`ConnectorDone` with the result's data, or :class:`ConnectorFailed` with the
        :class:`~connectors.base.ConnectorError` code (never raises it: the flow handles it).
    """

    async def slow(_op: str) -> None:
        if on_filler is None:
            return
        plan = (
            render(engine.pack.responses["utter_filler"], language, {})
            if ("utter_filler" in engine.pack.responses)
            else ReplyPlan("…", language)
        )
        result = on_filler(plan)
        if inspect.isawaitable(result):
            await result

    key = f"{session_id}:{call.idempotency_key}" if call.idempotency_key else None
    try:
        result = await engine.connector.call(
            call.op,
            dict(call.params),
            idempotency_key=key,
            session_id=session_id,
            on_slow=slow,
        )
    except ConnectorError as exc:
        audit.append(AuditEntry("call", f"{call.op} -> {exc.code}", call.flow_id))
        return ConnectorFailed(call.op, exc.code)
    audit.append(AuditEntry("call", f"{call.op} -> ok", call.flow_id))
    return ConnectorDone(call.op, dict(result.data))


def may_reword(plan: ReplyPlan) -> bool:
    """Whether the LLM may reword ``plan``: a knowledge-base answer (it has a ``source``) that
    carries no hand-off card. A reply with the hand-off card (``card: {kind: handoff}``: the
    urgent ``utter_emergency`` and ``utter_scam_warning``, the call of a colleague) is said as
    the pack wrote it: its numbers and its "do not transfer any money" are checked by people,
    and a rewording that kept the numbers could still soften it (review19)."""
    card = plan.card or {}
    return plan.source is not None and card.get("kind") != "handoff"


async def reworded(
    engine: DialogEngine, question: str, plan: ReplyPlan, audit: list[AuditEntry]
) -> ReplyPlan:
    """A knowledge-base answer reworded by the LLM when it keeps the facts, else ``plan``
    unchanged (also when the reply is no knowledge-base answer, carries the hand-off card:
    :func:`may_reword`, or no LLM is configured).

    Args:
        engine: the domain's engine (its optional ``rephraser``).
        question: the visitor's words.
        plan: the reply; only one :func:`may_reword` allows is reworded.
        audit: the session's audit trail, appended ``reworded|as written: <source>``.
    """
    if not may_reword(plan) or engine.rephraser is None:
        return plan
    text = await engine.rephraser.rephrase(question, plan.text, plan.language)
    audit.append(AuditEntry("llm", f"{'reworded' if text else 'as written'}: {plan.source}", None))
    return plan if text is None else dataclasses.replace(plan, text=text)
