"""A goodbye needs a clear farewell in the line (fixes19 #2).

Garbled speech ("War 9 Free Chat 2 in 1. I'M FOR YOU, E2.") was read by the intent classifier
as ``goodbye`` and answered with a farewell, as if the visitor had left. The classifier places
every line somewhere, and a line of stray words can land nearest to the short goodbye
examples. So the dialog session takes ``goodbye`` only from a line that holds a farewell
(:func:`says_farewell`); any other line so read gets "Sorry, I didn't get that." (the pack's
``utter_reprompt``). The cues cover every ``goodbye`` example of the shipped packs, in both
languages (``tests/unit/test_farewell.py`` checks it), so a farewell keeps its answer.

The same cues, said as the whole line (:func:`is_goodbye`: "thanks, bye", "that's all", 就这些),
end a flow at its question, where the classifier may be unsure of words so unlike an answer:
one farewell vocabulary for both (review19 F13; a second list in :mod:`dialog.commands` missed
就这些 and "that's all" at a question). Pure, no I/O.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata

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
    r"|(?:nice|good|great|lovely)\s+(?:talking|chatting|to\s+chat|talk)(?:\s+(?:to|with)\s+you)?"
    r")\b",
    re.IGNORECASE,
)
#: Chinese leave-taking (再见, 拜拜, 我走了, 就这些, 没别的事了, 先这样吧 …); 拜托 is "please".
_FAREWELL_ZH = re.compile(
    r"再见|拜(?!托)|走了|先走|就这些|没有了|没有?(?:别的|其他|其它)|没什么了|先这样|就这样|办完了"
    r"|没事了|到这里"
    r"|回头见|下次见|明天见|改天见|聊得很愉快|不用了"
)


#: What may stand beside a farewell in a line that only takes leave ("ok, thanks, bye", "no,
#: that's all for today", 好的谢谢，再见了, 我没有别的事了): assent, thanks, a no, a particle, and the
#: words a Chinese farewell wraps (别的事, 问题). Written from the language.
_COURTESY_EN = re.compile(
    r"\b(?:ok(?:ay)?|thank\s+you(?:\s+(?:very|so)\s+much)?|thanks?|cheers|no|nope|yes|yeah"
    r"|it\s+(?:was|has\s+been)"
    r"|alright|all\s+right|well|so|then|now|really|please|for\s+(?:today|now)|from\s+me"
    r"|i\s+think|oh|um+|uh+|later|soon|again|tomorrow|next\s+time|you\s+too|everyone)\b",
    re.IGNORECASE,
)
_COURTESY_ZH = re.compile(
    r"好的|好|[跟和][你您]|谢谢(?:你|您|你们)?|多谢|行|嗯|那|我|今天|先|就|都|的|事情?|问题|业务|了|啦|吧|啊|呀|哈"
)
#: Longest line :func:`is_goodbye` takes as a whole farewell (characters, spaces counted): a
#: longer line says more than goodbye.
MAX_GOODBYE_CHARS = 40
_WORD_LEFT = re.compile(r"\w")
_CJK_SPACE = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")


def says_farewell(text: str) -> bool:
    """Whether ``text`` holds a farewell ("bye", "that's all", "I have to go", 再见, 就这些).

    Args:
        text: the visitor's line (typed, or the transcript).

    Returns:
        ``True`` when an English or Chinese leave-taking word or phrase occurs in it.
    """
    # a Mandarin transcript may put spaces between characters ("再 见")
    joined = _CJK_SPACE.sub("", text)
    return bool(_FAREWELL_EN.search(text) or _FAREWELL_ZH.search(joined))


def is_goodbye(text: str) -> bool:
    """Whether ``text``, the whole utterance, only takes leave: a farewell
    (:func:`says_farewell`'s cues) with nothing beside it but courtesy ("thanks, bye", "no,
    that's all", 谢谢再见, 就这些了) in at most :data:`MAX_GOODBYE_CHARS` characters. At a flow's
    question it ends the flow and the conversation (:func:`dialog.waiting.collect_answer`);
    "bye, but first my balance" or 我走了之后卡怎么办 say more and are not.

    Args:
        text: the visitor's line (typed, or the transcript), any case, full-width forms allowed.
    """
    line = _CJK_SPACE.sub("", unicodedata.normalize("NFKC", text).strip())
    if not line or len(line) > MAX_GOODBYE_CHARS or not says_farewell(line):
        return False
    rest = _FAREWELL_ZH.sub(" ", _FAREWELL_EN.sub(" ", line))
    rest = _COURTESY_ZH.sub(" ", _COURTESY_EN.sub(" ", rest))
    return _WORD_LEFT.search(rest) is None


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
