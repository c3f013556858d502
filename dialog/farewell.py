"""A goodbye needs a clear farewell in the line (fixes19 #2).

Garbled speech ("War 9 Free Chat 2 in 1. I'M FOR YOU, E2.") was read by the intent classifier
as ``goodbye`` and answered with a farewell, as if the visitor had left. The classifier places
every line somewhere, and a line of stray words can land nearest to the short goodbye
examples. So the dialog session takes ``goodbye`` only from a line that holds a farewell
(:func:`says_farewell`); any other line so read gets "Sorry, I didn't get that." (the pack's
``utter_reprompt``). The cues cover every ``goodbye`` example of the shipped packs, in both
languages (``tests/unit/test_farewell.py`` checks it), so a farewell keeps its answer.
Pure, no I/O.
"""

from __future__ import annotations

import dataclasses
import re

from dialog.types import UserInput

#: English leave-taking words and phrases (the packs' goodbye examples and their kin).
_FAREWELL_EN = re.compile(
    r"\b(?:good\s*-?\s*bye|bye|byebye|see\s+(?:you|ya)|farewell|so\s+long|take\s+care|ciao"
    r"|that(?:'s|\s+is|'ll\s+be|\s+will\s+be)\s+(?:all|it|everything)|all\s+done"
    r"|(?:i(?:'m|\s+am)|we(?:'re|\s+are))\s+(?:done|finished|all\s+set|good\s+now)|finished"
    r"|nothing\s+more|no\s+more\s+questions?|enough\s+for\s+(?:today|now)|good\s*night"
    r"|have\s+a\s+(?:nice|good|great|lovely)\s+(?:day|one|evening|weekend)"
    r"|(?:i\s+)?(?:have|got|need)\s+to\s+go|gotta\s+go|i(?:'ll|\s+will)\s+(?:leave|go)"
    r"|(?:i'm|i\s+am)\s+(?:leaving|off|heading\s+(?:off|out)|going)|going\s+now|heading\s+off"
    r"|catch\s+you\s+later|later\s+then|nothing\s+else"
    r"|(?:nice|good|great|lovely)\s+(?:talking|chatting|to\s+chat|talk)"
    r"|(?:nice|good|great)\s+(?:talking|chatting)\s+(?:to|with)\s+you)\b",
    re.IGNORECASE,
)
#: Chinese leave-taking (再见, 拜拜, 我走了, 就这些, 没别的事了, 先这样吧 …); 拜托 is "please".
_FAREWELL_ZH = re.compile(
    r"再见|拜(?!托)|走了|先走|就这些|没有了|没有?(?:别的|其他|其它)|没什么了|先这样|就这样|办完了"
    r"|没事了|到这里"
    r"|回头见|下次见|明天见|改天见|聊得很愉快|不用了"
)


def says_farewell(text: str) -> bool:
    """Whether ``text`` holds a farewell ("bye", "that's all", "I have to go", 再见, 就这些).

    Args:
        text: the visitor's line (typed, or the transcript).

    Returns:
        ``True`` when an English or Chinese leave-taking word or phrase occurs in it.
    """
    # a Mandarin transcript may put spaces between characters ("再 见")
    joined = re.sub(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])", "", text)
    return bool(_FAREWELL_EN.search(text) or _FAREWELL_ZH.search(joined))


def unclear_goodbye(event: UserInput) -> bool:
    """Whether NLU read ``event`` as ``goodbye`` from a line with no farewell in it
    (:func:`says_farewell`): garbled speech, to be answered "Sorry, I didn't get that.".

    Args:
        event: the visitor's line and its NLU reading (:class:`dialog.types.UserInput`).
    """
    return event.nlu.intent == "goodbye" and not says_farewell(event.text)


def not_understood(event: UserInput) -> UserInput:
    """``event`` with no intent read (as an unclassifiable line): at a flow's question the
    waiting step says "didn't get that" and asks again, counting a failed attempt."""
    nlu = dataclasses.replace(event.nlu, intent=None, topic=None, topics=())
    return dataclasses.replace(event, nlu=nlu)
