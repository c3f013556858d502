"""Reading a yes or a no, in English and Chinese (pure; :func:`extract_yes_no`).

A line is read clause by clause (split at ，,。.!！?？;；), and the first clause that says yes
or no decides: "是，我的卡不见了" is a yes although 不 follows, "那个，不是" a no. Inside a
clause the answer's own first word decides first ("yes please don't wait", "不想要"); then a
no-phrase anywhere (不是, 不要…; "don't", "not"…) and then a yes-word anywhere. The bare
one-character words count only as a clause's first word or as a short answer: 别 in 别人
("others"), 错 in 错过, 不 in 为什么不能 are no "no", and 是 inside a sentence is the copula,
not a yes (newcomer12: 快冻结，别让别人用了 and 怎么给别人转账 cancelled a card freeze).
"""

from __future__ import annotations

import re
import unicodedata

#: Approval said as a verdict counts ("that would be great", "sounds good", "please"): at the
#: hand-off offer the classifier read "that would be great" as goodbye and the visit ended
#: (review12). "fine" is left out: "I'm fine, thanks" declines.
_YES_EN = re.compile(
    r"\b(yes|yeah|yea|yep|yup|sure|correct|right|ok|okay|confirm(ed)?|affirmative|absolutely|"
    r"of course|go ahead|do it|please do|definitely|indeed|that's it|uh huh|"
    r"freeze it|freeze (?:the|my) card|i'd like that|i would like that|"
    r"sounds (?:good|great|perfect)|"
    r"(?:would|will|'d|'ll) be (?:great|good|lovely|nice|perfect|helpful|wonderful))\b"
    # a one-word approval only as the whole clause: "please tell me my balance first" at the
    # freeze question is no yes
    r"|^(?:please|great|perfect|lovely|wonderful|brilliant)$"
)
_YES_EN_FIRST = re.compile(
    r"^(?:yes|yeah|yea|yep|yup|sure|ok|okay|of course|go ahead|please do|correct|right|"
    r"absolutely|definitely|affirmative)\b"
)
_NO_EN = re.compile(
    r"\b(no|nope|nah|not|don't|dont|do not|negative|wrong|incorrect|never|stop|"
    r"wait|hold on)\b"
)
_NO_EN_FIRST = re.compile(r"^(?:no|nope|nah|not|don't|dont|do not|never|negative|wrong)\b")
_UNSURE_EN = re.compile(r"\bnot sure\b|\bmaybe\b")
_NO_ZH = re.compile(r"不是|不要|不用|不对|不行|不了|没有|算了|不需要|不必")
#: One-character noes count only as a clause's first word (after fillers): 别人, 错过, 特别
#: and 为什么不能 hold them inside other words.
_NO_ZH_WORD = re.compile(r"^[那哦噢喔啊嗯呃\s]*(?:不|别|错|否)")
_UNSURE_ZH = re.compile(r"想想|考虑|不确定|不知道|不清楚|等一下|等等|再说吧|犹豫")
_YES_ZH_FIRST = re.compile(r"没错|没问题|不错|对的|是的")
_YES_ZH = re.compile(r"是的|好的|没错|确认|可以|确定|冻结吧|请冻结|^(?:快|马上|赶紧|立刻|帮我)冻结")
#: One-character yeses ("是", "对", "好"…) count only as the clause's first word (after "那",
#: "哦"…, and before the clause's end: 是自一起 is no yes) or in a short answer ("就是",
#: "对对对"): inside a sentence "是" is the copula — "我的卡号是…" is not a yes.
_YES_ZH_WORD = re.compile(
    r"^[那哦噢喔啊嗯\s]*(?:(?:需要|是|对|好|行|嗯|要)+(?:的|啊|呀|吧|了|呢|嘛|哈)*)+$"
)
#: A short answer made only of yes-words and particles ("就是", "对对对", "好啊", "嗯嗯", said
#: twice: "好啊好啊"; 需要, the answer to the hand-off offer's 需要我为您呼叫工作人员吗): the yes
#: must be a word, not a character inside another one — 似是一起 (四四一七 misheard) at the
#: hand-off offer was taken as a yes (fixes12).
_YES_ZH_SHORT = re.compile(
    r"(?:就|那|哦|噢|喔|啊|嗯)*(?:(?:需要|是|对|好|行|嗯|要)+(?:的|啊|呀|吧|了|呢|嘛|哈)*)+"
)
_CLAUSES = re.compile(r"[，,。.!！?？;；~]+")


def _zh_clause(clause: str) -> bool | None:
    """A Chinese clause's yes (True), no (False) or neither (None)."""
    if _YES_ZH_FIRST.search(clause):
        return True
    if _NO_ZH.search(clause) or _NO_ZH_WORD.search(clause):
        return False
    if _YES_ZH.search(clause) or _YES_ZH_WORD.search(clause):
        return True
    return True if _YES_ZH_SHORT.fullmatch(clause.replace(" ", "")) else None


def _en_clause(clause: str) -> bool | None:
    """An English clause's yes (True), no (False) or neither (None)."""
    if _YES_EN_FIRST.search(clause):
        return True
    if _NO_EN_FIRST.search(clause) or _NO_EN.search(clause):
        return False
    return True if _YES_EN.search(clause) else None


def extract_yes_no(text: str) -> bool | None:
    """Read a yes or a no (see the module docstring).

    Args:
        text: the visitor's answer (``"yes please"``, ``"对"``, ``"好的"``, ``"没错"``, ``"不是"``,
            ``"快冻结，别让别人用了"``).

    Returns:
        ``True`` for yes, ``False`` for no, ``None`` when neither is clear (unsure words
        anywhere: "not sure", "maybe", 考虑, 不知道…).
    """
    t = unicodedata.normalize("NFKC", text).lower().strip()
    zh = re.search(r"[\u4e00-\u9fff]", t) is not None
    if (_UNSURE_ZH if zh else _UNSURE_EN).search(t):
        return None
    read = _zh_clause if zh else _en_clause
    for clause in _CLAUSES.split(t):
        clause = clause.strip()
        verdict = read(clause) if clause else None
        if verdict is not None:
            return verdict
    return None


#: The words of a bare answer: a yes, a no, an okay, thanks and fillers, nothing that tells
#: anything (:func:`is_bare_answer`).
_BARE_EN_WORD = (
    r"(?:yes|yeah|yea|yep|yup|sure|ok|okay|alright|all right|right|correct|confirm(?:ed)?|fine|"
    r"please|thanks|thank you|of course|go ahead|absolutely|definitely|indeed|no|nope|nah|"
    r"not really|no thanks|i do|i don't|i dont|do it|please do|that's it|that's right|uh huh|"
    r"um+|uh+|er+|hmm+|oh|well|so|great|good|perfect|good morning|hello|hi)"
)
_BARE_EN = re.compile(rf"{_BARE_EN_WORD}(?: {_BARE_EN_WORD})*")
_BARE_ZH = re.compile(
    r"(?:(?:那|那就|哦|噢|喔|啊|嗯|呃|就)*"
    r"(?:是|对|好|行|嗯|要|需要|可以|确认|确定|没错|没问题|不是|不要|不用|不对|不行|没有|谢谢|您好|你好)"
    r"(?:的|啊|呀|吧|了|呢|嘛|哈)*)+"
)


def is_bare_answer(text: str) -> bool:
    """Whether ``text`` is only a yes, a no or an okay ("yes", "ok thanks", "是的", "好",
    "不是"), with fillers and politeness, and says nothing else.

    Given where a flow waits for the visitor's own words (a complaint's description), such a
    line answers the question before it, not this one: newcomer14 said "是的" at 请告诉我具体情况
    and the bank registered a complaint reading “是的”. Any other word makes it a statement
    ("no one helped me", "不对的金额被扣了两次").
    """
    t = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    t = re.sub(r"[\s,.!?;:，。！？；：、~…\"“”‘]+", " ", t).strip()
    if not t:
        return False
    if re.search(r"[\u4e00-\u9fff]", t):
        return bool(_BARE_ZH.fullmatch(t.replace(" ", "")))
    return bool(_BARE_EN.fullmatch(t))
