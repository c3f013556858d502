"""The offer of a colleague: what the out-of-scope reply offers ("shall I call a colleague?",
``utter_out_of_scope``) and how the visitor's yes or no to it, or a "no, I don't want a
person", is read. Pure functions of the pack and the run, used by
:class:`dialog.interpreter.Interpreter` when it routes an intent."""

from __future__ import annotations

from dialog.commands import declines_a_person
from dialog.entities import extract_yes_no
from dialog.pack import Intent, Pack
from dialog.steps import Run
from dialog.templates import kb_reply
from dialog.types import UserInput

#: The intent a turn is reported as when nothing in the pack answers it (no intent above the
#: NLU threshold, or the pack's out-of-scope intent).
OUT_OF_SCOPE = "out_of_scope"

#: The packs' yes/no intents, as answers to the out-of-scope reply's "shall I call a
#: colleague?" (``utter_out_of_scope``): yes hands off, no is the intent's own response.
HANDOFF_ANSWERS = {"affirm": True, "deny": False}


def declined_person(
    pack: Pack, run: Run, event: UserInput, intent: Intent | None, *, digression: bool
) -> bool:
    """ "I don't want a person", read as the request for one or as nothing (no intent, out of
    scope; not at a digression): a no, answered by the ``deny`` intent's response ("how can I
    help?"), not a handoff nor the offer of one (newcomer11). ``False`` (nothing said) when the
    words decline no person or the pack has no ``deny`` response."""
    unsure = intent is None or intent.kind == "out_of_scope"
    asks_person = intent is not None and intent.kind == "command" and intent.target == "human"
    deny = pack.intents.get("deny")
    if (
        not (asks_person or (unsure and not digression))
        or not declines_a_person(event.text)
        or deny is None
        or deny.kind != "response"
    ):
        return False
    run.intent = deny.name
    run.say(deny.target)
    return True


def out_of_scope(pack: Pack, run: Run, event: UserInput) -> bool:
    """No intent (or the out-of-scope one) outside a digression: the answer to a pending offer
    when the words say yes or no (需要, the answer to 需要我为您呼叫工作人员吗, was out of scope
    and the offer was made again), "a colleague is on the way" after a handoff (no second
    offer, newcomer11), else the out-of-scope reply and its offer. A line that only announces a
    question never reaches it (:func:`dialog.waiting.question_announced` reads it first). Always ``True``."""
    said = offer_answered(pack, run, event)
    if said is not None:
        return answer_offer(pack, run, said)
    # the turn's intent says so (converse --json, the page's metrics): it was null, the mark
    # of a flow's answer, and `dhe converse` called the out-of-scope offer "(flow answer)"
    run.intent = OUT_OF_SCOPE
    if event.kb is not None:  # a request the avatar cannot do, answered with how to do it
        run.say_plan(kb_reply(event.kb, run.language))
        return True
    if not run.colleague_on_the_way():
        offer(run)
    return True


def offer(run: Run) -> None:
    """Say the out-of-scope reply; it ends "shall I call a colleague?", so the next line may
    answer it (:attr:`dialog.steps.DialogState.offered_handoff`)."""
    run.say("utter_out_of_scope")
    run.offered_handoff = True


def offer_answered(pack: Pack, run: Run, event: UserInput) -> bool | None:
    """The visitor's yes (True) or no (False) to a pending offer of a colleague, read from
    the words (:func:`dialog.entities.extract_yes_no`); None when no offer is pending, the
    words say neither, or the pack has no intent for that answer (``affirm`` / ``deny``)."""
    if not run.state.offered_handoff:
        return None
    said = extract_yes_no(event.text)
    if said is None or ("affirm" if said else "deny") not in pack.intents:
        return None
    return said


def answer_offer(pack: Pack, run: Run, yes: bool) -> bool:
    """The visitor's yes (a colleague is called) or no ("how can I help?", the ``deny``
    intent's response) to the offer of a colleague; the pack has both intents. Always
    ``True``."""
    intent = pack.intents["affirm" if yes else "deny"]
    run.intent = intent.name
    if yes:
        run.handoff("visitor_accepted")
    else:
        run.say(intent.target)  # "how can I help?"
    return True


def intent_at_offer(pack: Pack, run: Run, event: UserInput, intent: Intent) -> bool:
    """An intent the classifier found, read against a pending offer (not at a digression);
    ``True`` when it answered or renewed the offer, ``False`` when the intent is to be acted
    on as usual.

    - a yes/no intent (:data:`HANDOFF_ANSWERS`) needs the word itself: the classifier's guess
      at a garbled line (似是一起: 四四一七 misheard) gets the offer again; the words decide
      when the classifier reads the other answer (需要 was a deny, 0.29, beside its examples'
      不需要);
    - approval the classifier read as another reply ("that would be great" was goodbye and
      ended the visit, review12): a yes in the words answers the offer.
    """
    if run.state.offered_handoff and intent.name in HANDOFF_ANSWERS:
        said = offer_answered(pack, run, event)
        if said is None:
            offer(run)
            return True
        return answer_offer(pack, run, said)
    if intent.kind == "response" and offer_answered(pack, run, event):
        return answer_offer(pack, run, True)
    return False
