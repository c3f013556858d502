"""The visitor's facial emotion as an input to a turn: empathy for frustration and sadness.

A pure rule (no I/O). When the camera reads the visitor as ``angry`` (frustration counts as
angry) or ``sad`` at a turn, the avatar first acknowledges it and offers a person
(``utter_empathy_angry`` / ``utter_empathy_sad`` in the pack's ``responses.yaml``, both
languages), and no reply smiles or waves at a frown (``happy`` becomes ``concerned``, a
``wave`` is dropped; the arrival greeting too). The line is
said once per episode: not again until the visitor has looked calm (``neutral`` or ``happy``)
at a turn, and not when the turn already hands the visitor to a person. A turn without a camera
reading (``None``) changes nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dialog.templates import render
from dialog.types import DialogTurn, ReplyPlan

#: Visitor emotions (engine.perception.emotion) that call for empathy, and their response.
EMPATHY_RESPONSES: Mapping[str, str] = {"angry": "utter_empathy_angry", "sad": "utter_empathy_sad"}
#: Visitor emotions that end an episode (the next frustration is acknowledged again).
CALM = frozenset({"neutral", "happy"})


@dataclass(frozen=True, slots=True)
class EmpathyMemory:
    """Per-session memory of the rule: ``offered`` once acknowledged, until calm again."""

    offered: bool = False


def with_empathy(
    turn: DialogTurn,
    emotion: str | None,
    responses: Mapping[str, Any],
    memory: EmpathyMemory,
) -> tuple[DialogTurn, EmpathyMemory]:
    """The turn as the visitor's emotion wants it, and the rule's new memory.

    Args:
        turn: the dialog's turn.
        emotion: the visitor's facial emotion at the turn (``neutral``, ``happy``,
            ``surprised``, ``sad``, ``angry``), or None without a camera reading.
        responses: the pack's responses (``Pack.responses``).
        memory: the rule's memory from the previous turn.

    Returns:
        ``(turn, memory)``: an acknowledging line first and no smiling reply when the rule
        applies; otherwise the turn unchanged.
    """
    if emotion in CALM:
        return turn, EmpathyMemory(offered=False)
    name = EMPATHY_RESPONSES.get(emotion or "")
    if name is None:
        return turn, memory
    replies = [_not_smiling(plan) for plan in turn.replies]
    if memory.offered or turn.handoff or name not in responses:
        return dataclasses.replace(turn, replies=replies), memory
    line = render(responses[name], turn.language, {})
    return dataclasses.replace(turn, replies=[line, *replies]), EmpathyMemory(offered=True)


def _not_smiling(plan: ReplyPlan) -> ReplyPlan:
    """``plan`` with a concerned face for a happy one and no cheerful wave (the greeting's)."""
    emotion = "concerned" if plan.emotion == "happy" else plan.emotion
    gesture = None if plan.gesture == "wave" else plan.gesture
    return dataclasses.replace(plan, emotion=emotion, gesture=gesture)
