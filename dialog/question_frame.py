"""What a Chinese question asks about, without the words that frame it: a check of a FAQ reading.

A visitor at the wrong counter asks in the hall's own frame ("…在哪个窗口", "…要啥材料",
"…怎么申请") about another body's business ("退休证在哪个窗口领", "小孩落户要啥材料").
Character n-grams and sentence embeddings weigh the frame as much as its object, so the whole line
reads confidently as the hall's "which window" or "what to bring" section. Without its frame the
line is its object alone ("退休证", "小孩落户"), and the classifier, asked about that, tells the
hall's business from another's as it does for any short line. :func:`question_object` strips the
frame; :class:`dialog.understanding.Understanding` reads a Chinese FAQ reading's object again and
takes the line out of scope when the object alone is read as out of scope.

The frames are general Chinese question forms (where, at which window, what to bring, what the procedure is, how to apply),
written from the language, not from lines of any evaluation set.
"""

from __future__ import annotations

import re

#: What a visitor asks to do at a window: apply, handle, collect, pay, check, register, renew, ...
#: (longer forms before their prefixes).
_VERBS = (
    "申请|办理?|领取?|申领|交|缴|开通|开|查|补|报|改|续|转|取|提|挂|预约|约|登记|注册|备案|认证"
)
#: The question frames: where or at which window, what documents, how; greetings and a final
#: particle. Alternatives are tried left to right, longest forms first.
_FRAMES = re.compile(
    "|".join(
        (
            r"(在|去|到|往)?(哪个|几号|哪一?个)(窗口|口|柜台)(办|领|交|排)?",
            rf"(在|去|到|往)(哪里?|哪儿|哪边)({_VERBS}|走)?",
            r"(要|需要|得)(带)?(啥|什么|哪些)(材料|资料|东西|证件|手续|条件|流程)?",
            r"(流程|手续)(是什么|是啥|有哪些)?",
            rf"(怎么|咋|如何)({_VERBS}|弄|处理|搞|算|退)?",
            r"请问|你好|您好|麻烦|一下",
            r"[吗呢啊呀吧嘛哈]$",
        )
    )
)
_PUNCTUATION = re.compile(r"[，。？！、,.?!\s]+")
#: Fewest characters left for the object to be read on its own (one character says too little).
MIN_OBJECT_CHARS = 2


def question_object(text: str) -> str | None:
    """What the Chinese question ``text`` asks about, its frame and punctuation taken away, or
    ``None`` when it has no frame or too little is left (:data:`MIN_OBJECT_CHARS`).

    >>> question_object("退休证在哪个窗口领？")
    '退休证'
    >>> question_object("发票丢了") is None
    True
    """
    stripped = _PUNCTUATION.sub("", _FRAMES.sub("", text))
    if stripped == _PUNCTUATION.sub("", text) or len(stripped) < MIN_OBJECT_CHARS:
        return None
    return stripped
