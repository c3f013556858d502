"""Conversation commands recognised by rule (cancel, start over, repeat, speak slower, a human)
and the language of an utterance: whole-utterance patterns, no model, so they work in every
state of a flow and before any classifier has been trained.
"""

from __future__ import annotations

import re

from dialog.entities import normalize

_CJK = re.compile(r"[\u3400-\u9fff]")

# Whole-utterance rules: short and unambiguous, so "cancel my appointment" stays an intent.
_COMMANDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        (
            "human",
            r"(talk|speak|chat)( to| with) (a |an |the |some |your )?(human|real person|person|"
            r"staff( member)?|teller|agent|someone|somebody|representative|operator|employee|clerk)"
            r"|(get|transfer me to|connect me (to|with)|call|want|need) (a |an |the )?(human|"
            r"real person|staff|teller|agent|representative|operator)\b"
            r"|^(a )?(human|agent|operator|representative|real person|teller)( please)?$"
            r"|转人工|人工服务|人工客服|找人工|要人工|找柜员|找工作人员|叫工作人员|真人服务|^人工$|人工吧",
        ),
        (
            "cancel",
            r"(please )?(cancel|cancel (that|it|this)|never ?mind|forget (it|that|about it)|"
            r"stop( it)?|quit|abort)( please)?"
            # newcomer14: 算了，不查了 at the code prompt and 退出 at a confirm question were
            # asked again as answers not understood: a give-up is 不/不想/别 + a doing verb + 了
            r"|(那|那就|哦|嗯)?((取消|算了|退出|撤回|不用了|不要了|我改主意了|"
            r"(我)?(先|就)?(不想|不|别)(办|查|弄|做|问|继续|投诉|预约|存|取)了)(吧|啊)?)+(谢谢)?",
        ),
        (
            "restart",
            r"(let'?s )?(start (over|again)|restart|begin again|from the (start|beginning))"
            r"( please)?|重新开始|从头开始|重来|重新来",
        ),
        (
            "repeat",
            r"(can you |could you |please )?(repeat( that| it)?|say (that|it) again|pardon( me)?|"
            r"come again|what did you say|sorry\??)( please)?|再说一遍|再说一次|重复一下|重复一遍|"
            r"没听清|你说什么|什么\?",
        ),
        (
            "slower",
            r"(can you |could you |please )?(speak|talk|say it)? ?(more )?(slower|slowly)( please)?|"
            r"slow down( please)?|说慢一点|慢一点|慢点说|说慢点|请慢一点|慢一些",
        ),
    )
)


# "I do not want to talk to a person", "please don't call anyone", "我不要转人工": a request for
# a person said with a no before its verb is none (each called a member of staff, newcomer11).
_NO_VERB_EN = re.compile(
    r"\b(don'?t|do not|does not|doesn'?t|did not|didn'?t|no need to|never|not)\s+(\w+\s+){0,2}"
    r"(want|need|wish|call|get|talk|speak|connect|transfer|bother|require)\b"
)
_PERSON_EN = re.compile(
    r"\b(human|person|people|staff|teller|agent|someone|somebody|anyone|anybody|representative|"
    r"operator|employee|clerk|colleague)s?\b"
)
#: Where the clause a no governs ends: a person named after it is asked for, not declined
#: ("I don't want to talk to a robot, get me a person", "I don't get it. Can I speak to someone?").
_CLAUSE_END_EN = re.compile(r"[,.;:!?]|\b(but|just|instead|rather)\b")
_NO_PERSON_ZH = re.compile(
    r"(不要|不想|不用|别|无需|不需要|没必要|不必|不是要?)\s*(转|找|叫|要|和|跟|呼叫|麻烦)?\s*"
    r"(人工|工作人员|柜员|真人|经理|客服)|(不要|不想|不用|别|不需要|不是要?)\s*(找|叫)人"
)


def declines_a_person(text: str) -> bool:
    """Whether ``text`` says the visitor does *not* want a person ("I don't need a human",
    "please don't call anyone", "我不想找工作人员"): never the ``human`` command, whatever words of
    a request it holds. A no with no person after it in its own clause ("I don't get the
    codes"; "I don't want a robot, get me a person") is not one."""
    t = normalize(text)
    if _NO_PERSON_ZH.search(t) or re.search(r"\bno (human|person|people|staff|agent)\b", t):
        return True
    no = _NO_VERB_EN.search(t)
    if no is None:
        return False
    end = _CLAUSE_END_EN.search(t, no.end())
    return _PERSON_EN.search(t, no.end(), end.start() if end else len(t)) is not None


_SPACES = re.compile(r"[\s,.!?。！？，、~]+")
#: :data:`_SPACES` and apostrophes ("I've got a question" reads "i ve got a question").
_SPACES_APOSTROPHES = re.compile(r"[\s,.!?。！？，、~'’]+")


def _words(text: str, *, apostrophes: bool = False) -> str:
    """``text`` normalised (:func:`normalize`), its punctuation and runs of spaces one space;
    with ``apostrophes``, apostrophes too."""
    spaces = _SPACES_APOSTROPHES if apostrophes else _SPACES
    return spaces.sub(" ", normalize(text)).strip()


def _said_whole(
    pattern: re.Pattern[str], text: str, *, max_chars: int | None = None, apostrophes: bool = False
) -> bool:
    """Whether the whole of ``text`` (:func:`_words`, with ``apostrophes``) matches ``pattern``,
    with its spaces or without them (a Chinese line has none, a transcript may put some in);
    never when the normalised line is longer than ``max_chars`` characters."""
    t = _words(text, apostrophes=apostrophes)
    if not t or (max_chars is not None and len(t) > max_chars):
        return False
    return bool(pattern.fullmatch(t) or pattern.fullmatch(t.replace(" ", "")))


# A plain no said whole at a question it cannot answer (the card's last four digits, a date, a
# choice): the visitor declines to go on ("no" got "Sorry, I didn't get that." and the same
# question, newcomer16 #17). 不用了 / 不要了 / 算了 are the cancel command already.
_DECLINE = re.compile(
    r"((ok(ay)? )?(no|nope|nah)( no)*( thanks?| thank you)?|not now|not really|no way"
    r"|(no )?i('d| would) rather not( say( it)?| tell you| give (it|them))?"
    r"|(no )?i (don'?t|do not) want to( say( it)?| tell you| give (it|them)( to you)?)?)"
    r"( thanks?| thank you)?"
    r"|(不|不要|不了|不用|不想|不想说|不方便|不方便说|我不想说|我不要|不给|我不给|不告诉你|没必要)"
    r"(了|吧|啊|呢)?(谢谢)?"
)


def declines(text: str) -> bool:
    """Whether ``text`` (the whole utterance) is a plain no: "no", "no thanks", "I'd rather
    not say", 不要, 不想说, 不方便. At a question that is no yes/no question the visitor
    declines to answer it (:meth:`dialog.interpreter.Interpreter.step` stops the flow)."""
    return _said_whole(_DECLINE, text)


# A line that only asks what to do now ("怎么办？", "what should I do?"): said at a flow's question
# it asks what the question wants. 我的银行卡丢了，怎么办？ spoken with a pause at the comma ended
# the turn there, and 怎么办？ alone at the card-digits question got "抱歉，我没有听懂" (newcomer17).
_WHAT_NEXT = re.compile(
    r"((so|and|then|ok(ay)?|well|um+|uh+) )*"
    r"(what (should|do|can|shall|must) i do( now| next| then)?|what now|what next|now what"
    r"|what do (i|we) do( now| next)?|what do you need( from me)?|what should i do about it"
    r"|how do i do (it|that)|and then)"
    r"|(那|那么|那我|我|嗯)*(该|应该|要|现在)?(怎么办|咋办|怎么弄|怎么做|怎么操作|怎么处理)(呢|啊|呀)?"
    r"|(那|嗯)*(然后|接下来|下一步)(呢|怎么办|怎么做|做什么|干什么|要做什么)(呢)?"
)


def asks_what_next(text: str) -> bool:
    """Whether ``text`` (the whole utterance) only asks what to do now: "what should I do?",
    "what now", 怎么办, 那我该怎么办呢, 然后呢. At a flow's question the answer is the question
    itself, asked again (:func:`dialog.waiting.collect_answer`), not "Sorry, I didn't get that"."""
    return _said_whole(_WHAT_NEXT, text)


# A line that only announces a question ("I have a question", "我想问一下"): the visitor paused
# before the question itself (the turn ended there). Said whole, it asks for nothing yet.
_ANNOUNCE = re.compile(
    r"((hi|hello|excuse me|sorry|um+|uh+|so|yes|ok(ay)?) )*"
    r"(i (have|ve got|got) (a|one|another|some) (quick |small )?questions?"
    r"|(can|could|may) i ask (you )?(a|one|some)? ?(quick )?(question|thing|something)"
    r"|i (want|d like|would like) to ask( (you|a question|something))?|(a )?quick question)"
    r"( please| for you)?"
    r"|(你好|您好|嗯|那个|请问)*(我)?(想|要)?(问|咨询|请教)(一下|个问题|一个问题|点事|件事)?"
    r"|(你好|您好|嗯|那个)*我有(个|一个|几个)问题(想问|要问|想咨询)?|(你好|您好|嗯|那个)*请问"
)


def announces_a_question(text: str) -> bool:
    """Whether ``text`` (the whole utterance) only announces a question: "I have a question",
    "can I ask something", "我想问", "我想咨询一下", "我有个问题". Spoken with a pause before
    the question, it was a turn of its own and got the out-of-scope offer of a colleague
    (newcomer13, a real recording: 我想问 … 1.5 s … 我在滨海新区有房)."""
    return _said_whole(_ANNOUNCE, text, max_chars=40, apostrophes=True)


#: Latin words Chinese speakers use every day, typed or said inside Chinese ("ok", "ID",
#: "App", "ATM"): on their own they say nothing about the language (a Chinese page's "ok"
#: switched the avatar to English, newcomer10).
LOANWORDS = frozenset(
    {"ok", "id", "app", "atm", "pin", "vip", "wifi", "qr", "sim", "pos", "usb", "pdf", "bye"}
)


def detect_language(text: str, default: str = "en") -> str:
    """``"zh"`` when ``text`` holds CJK characters, ``"en"`` when it holds Latin words beyond
    the :data:`LOANWORDS` Chinese speakers use, else ``default`` (digits, emoji or a lone
    "ok" say nothing about the language)."""
    if _CJK.search(text):
        return "zh"
    words = re.findall(r"[A-Za-z]+(?:-[A-Za-z]+)*", text)
    if any(word.lower().replace("-", "") not in LOANWORDS for word in words):
        return "en"
    return default


def match_command(text: str) -> str | None:
    """The conversation command ``text`` is, when it is one (whole utterance), else ``None``.

    Args:
        text: the visitor's words.

    Returns:
        ``cancel``, ``restart``, ``repeat``, ``slower``, ``human`` or ``None``.
    """
    t = _words(text)
    if not t or len(t) > 60:
        return None
    for name, pattern in _COMMANDS:
        if name == "human":
            if pattern.search(t) and not declines_a_person(t):
                return name
        elif pattern.fullmatch(t) or pattern.fullmatch(t.replace(" ", "")):
            return name
    return None


def normalize_language(language: str | None) -> str | None:
    """``"zh-CN"``, ``"cmn"``, ``"zh"`` → ``"zh"``; ``"en-US"`` → ``"en"``; ``None``/``"auto"`` →
    ``None``; any other language → ``"en"`` (the packs speak en and zh)."""
    if not language or language == "auto":
        return None
    low = language.lower()
    return "zh" if low.startswith(("zh", "cmn", "yue")) else "en"
