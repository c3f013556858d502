"""Emergencies and a scam in progress, found by rule in the visitor's words and handed to a
colleague at once (newcomer19 F-SAFETY).

An emergency ("I think I'm having a heart attack", "help, there is a fire", 有人抢劫！报警！)
got the offer of a colleague as a yes/no question, or a wrong FAQ; a visitor describing the
"safe account" fraud (有人打电话说我涉嫌洗钱，让我把钱转到安全账户) got the steps of a transfer.
Both are now matched before anything else reads the line, in every state (at a flow's question
too): the pack's ``utter_emergency`` or ``utter_scam_warning`` is said and the visitor is handed
over (a :class:`~dialog.types.Handoff`, the hand-off card), with no question asked.

Rules, not the classifier: deterministic, and a line that names a fire, a robbery or a heart
attack in the past ("I lost my card in a fire last year", 上个月被抢了) or a fire exit is no
emergency. Written from the newcomer's report and our own dev lines
(``tests/unit/test_dialog_safety.py``), never from the public benchmark lines.
"""

from __future__ import annotations

import re
from typing import Literal

from dialog.steps import Run
from dialog.types import Handoff

Kind = Literal["emergency", "scam"]

#: The pack response said for each kind (both must carry ``card: {kind: handoff}``).
RESPONSES: dict[str, str] = {"emergency": "utter_emergency", "scam": "utter_scam_warning"}


def _any(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in parts), re.IGNORECASE)


# A call for help now: said whatever else the line holds ("I called an ambulance last year" is
# no such call: the verb must be the imperative or a need).
_URGENT = _any(
    r"\b(call|get|phone|ring|need|send)\s+(for\s+)?(an?\s+|the\s+)?(ambulance|paramedics?|"
    r"police|cops|fire\s*(brigade|department|service|fighters?)|firemen)\b"
    # "I need the police report for my insurance" asks for a paper, not for help (review19)
    r"(?!\s*(report|station|record|certificate|check))"
    # nor a call about a card stolen before ("call the police for me about my stolen card")
    r"(?!\s*(for\s+(me|us)\s+)?about\s+(my|a|the|our|his|her)\s+(stolen|lost|missing)\b)",
    r"\b(call|dial|ring)\s+(110|119|120|112|911|999)\b",
    r"\bhelp\b.{0,20}\b(police|ambulance)\b",
    r"(快|赶紧|马上|帮我|请|帮忙)?(叫|打|喊)(一下|个|辆)?(救护车|120|110|119|医生|警察)",
    r"救护车|救命|快报警|帮我报警|赶紧报警|报警[!！]|[!！]报警|^报警$",
)
# Danger described now; a line that also says when in the past (_PAST) is no emergency.
_DANGER = _any(
    # health
    r"\bheart\s+attack|\bhaving\s+a\s+(stroke|seizure|fit)\b|\b(can'?t|cannot|can\s+not)\s+"
    r"breathe\b|\bnot\s+breathing\b|\bchest\s+pains?\b|\b(is|'s|has)\s+(just\s+)?"
    r"(collapsed|fainted|passed\s+out|unconscious)\b|\b(collapsed|fainted|passed\s+out)\s+"
    r"(in|on|at|here|over|by|near|next)\b|\b(just|suddenly)\s+(collapsed|fainted|passed\s+out)\b|\b(someone|somebody|a\s+(man|woman|lady|person|child|customer))"
    r"\s+(just\s+)?(collapsed|fainted|passed\s+out)\b|\bi\s+feel\s+(very\s+|so\s+|really\s+)?"
    r"(dizzy|faint)\b|\bi('?m|\s+am)\s+(going\s+to|about\s+to|gonna)\s+faint\b|\bbleeding\s+"
    r"(badly|heavily|a\s+lot)\b|\boverdose\b|\bkill\s+myself\b|\bsuicid",
    # fire
    r"\bthere('?s|\s+is)\s+(a\s+)?fire\b|\bon\s+fire\b|\bfire\s*!|^\W*(help\W+)?fire\W*$|"
    r"\b(i\s+)?(smell|see|there'?s|there\s+is)\s+(of\s+)?smoke\b|\bsomething('?s|\s+is)\s+"
    r"burning\b",
    # violence, crime now
    r"\b(is|are|'s|'re|am|'m)\s+(being\s+)?(robb(ing|ed)|attack(ing|ed)|threaten(ing|ed)|"
    r"assault(ing|ed)|stabb(ing|ed)|shooting|mugg(ing|ed)|held\s+up|hitting|beating)\b",
    r"\bthreaten\w*\s+(me|us|him|her|them|people|everyone)\s+with\b|\b(has|with|holding|"
    r"waving|pointing)\s+an?\s+(knife|gun|pistol|weapon)\b",
    # a bomb or a robbery here and now, not "the rates are a bomb", "stolen in a robbery" (a
    # past event: the stolen card's flow) or "what's the hold-up with my transfer" (review19)
    r"\b(there('s|\s+is)|has|with|holding|carrying|planted|left|found)\s+(a|an|some)\s+bomb\b|"
    r"\bbomb\s+(threat|scare)\b|\bbomb\s*!|^\W*(a\s+)?bomb\W*$",
    r"\b(this\s+is|there('s|\s+is)|it'?s)\s+an?\s+(robbery|hold-?up|stick-?up)\b|"
    r"\b(robbery|hold-?up|stick-?up)\s*(!|in\s+progress|right\s+now|happening)|"
    r"^\W*(a\s+)?(robbery|hold-?up|stick-?up)\W*$",
    r"\b(this|it)('s|\s+is)\s+an\s+emergency\b|^\W*emergency\W*$|\bi('?m|\s+am)\s+in\s+danger\b",
    # Chinese
    r"心脏病|心脏(不舒服|难受|疼|痛)|心口(疼|痛)|胸口(疼|痛|闷)|胸痛|喘不(上|过)气|呼吸困难|"
    r"(晕|昏)倒|晕过去|昏过去|昏迷|不省人事|抽搐|中风|(我|人)?(头)?好晕|流了?很多血|自杀|不想活了",
    r"着火|失火|起火了|火灾了|冒烟了|好大的烟|有烟(?![灰酒草])",
    # 有人抢 not of a queue number, a seat or a bargain (有人抢了我的排队号, review19); 有刀 / 有枪
    # not asked about (你们这里有刀吗) nor 刀卡
    r"抢劫|打劫|有人抢(?!.{0,4}(排队|号|位|座|名额|先|队|票|红包|购|生意|客户))|持刀|拿(着)?刀|"
    r"有刀(?![卡片吗么嘛])|拿(着)?枪|有枪(?![吗么嘛])|威胁我|砍人|有人打(我|人)(?!的?(电话|手机))|绑架|炸弹|"
    r"有危险(?!吗)|紧急情况",
)
# When the line tells of the past: no emergency (the card lost in a fire last year).
_PAST = _any(
    r"\blast\s+(week|month|year|night|summer|winter|spring|autumn|time)\b|\byesterday\b|"
    r"\b(days|weeks|months|years)\s+ago\b|\bin\s+(19|20)\d\d\b|\bwhen\s+i\s+was\b|\bused\s+to\b",
    r"去年|前年|上个?月|上周|上星期|昨天|前天|前几天|几年前|以前|之前|那年|那次",
    # lasted days or more: 我昏迷了三天卡过期了 tells of a coma that is over (review19)
    r"了(整整|好)?[一二两三四五六七八九十几半0-9]+个?多?(天|周|星期|礼拜|月|年)",
)
# Near lines: "the fire exit", "fire insurance", "I got fired", "should I call the police
# about my stolen card?", 要报警吗.
_NOT_DANGER = _any(
    r"\bfire\s+(exit|escape|door|insurance|extinguisher|drill|safety)\b",
    r"\b(should|must|do|shall)\s+i\s+(also\s+)?(need\s+to\s+|have\s+to\s+)?(call|report|phone)\b",
    r"\bdo\s+i\s+(need|have)\s+to\b|\bhave\s+(already\s+)?(called|reported)\b",
    r"(要|需要|用|得)报警吗|要不要报警|报过警|已经报警|报案|消防通道|安全出口|火灾险|逃生",
)

# A scam in progress: the "safe account", a caller posing as police / tax bureau / the bank
# asking for a transfer, a payment to a person's account, or a code.
_SAFE_ACCOUNT = _any(
    r"\b(safe|safety|secure|protected|security|supervision|supervised)\s+account\b",
    r"安全(账|帐)户|监管(账|帐)户|清查(账|帐)户|资金清查|核查(账|帐)户",
)
_SCAM_SAID = _any(
    r"\b(being|getting|been)\s+(scammed|defrauded|conned)\b|\bis\s+(this|it|that)\s+a\s+"
    r"(scam|fraud)\b|\b(this|it|that)('s|\s+is)\s+(a\s+)?(scam|fraud)\b|\bmoney\s+laundering\b",
    r"被骗|是不是骗|骗子|诈骗|涉嫌洗钱|洗钱|涉嫌犯罪|涉案|通缉|逮捕|冒充",
)
_CONTACT = _any(
    r"\b(call|called|calling|caller|phone|phoned|rang|ring|message|messaged|text|texted|sms|"
    r"wechat|video\s*call|someone|somebody|a\s+(man|woman|person|guy)|he|she|they|claims?|"
    r"claiming|says|said|pretend\w*|posing)\b",
    r"电话|来电|短信|微信|视频|自称|冒充|有人|他说|对方",
)
_AUTHORITY = _any(
    r"\b(police|policeman|officer|cop|detective|tax\s+(bureau|office|authority|department|"
    r"official|man)|taxman|the\s+bank|your\s+bank|bank\s+(staff|employee|manager|security)|"
    r"court|prosecutor|customs|government|security\s+bureau|social\s+security|anti-?fraud)\b",
    r"公安|警察|警官|派出所|检察院|法院|税务|国税|地税|银行|客服|社保|海关|政府|反诈",
    # the threat such a caller makes stands for the authority it claims
    r"\b(will\s+be|be|is|are|get)\s+(frozen|blocked|seized|arrested)\b|\barrest(ed)?\b|\bowe\s+tax",
    r"冻结|欠税|逮捕|坐牢|通缉",
)
_ASKS = _any(
    r"\b(told|asked|tell|ask|asking|telling|wants?|wanted|demand\w*|instruct\w*|order\w*|"
    r"says?|said)\s+(me|us|i)\b.{0,40}\b(transfer|move|send|pay|wire|deposit|give|read|share|"
    r"tell|put)\b",
    r"\b(pay|transfer|send|wire|move)\b.{0,30}\b(to|into)\s+(his|her|their|a\s+personal|a\s+"
    r"private|a\s+special|a\s+new|another|this|that)\s+account\b",
    r"\b(ask\w*|want\w*|for)\s+(me\s+)?(for\s+)?(my\s+|the\s+|a\s+)?(verification\s+|sms\s+|"
    r"security\s+)?(code|pin|password|card\s+number)\b",
    r"(让|要|叫|要求|逼)我.{0,12}(转|汇|打钱|打到|打给|交钱|交到|交给|付|存|缴|验证码|密码|卡号)|转到(他|她|对方|指定)|个人(账|帐)户|"
    r"(要|问)(我的?)?(验证码|密码)",
)


def classify(text: str) -> Kind | None:
    """What the visitor's line tells of: an emergency now, a scam in progress, or neither.

    Args:
        text: the visitor's words (typed or the ASR transcript, numbers already masked), any
            case, English or Chinese.

    Returns:
        ``"emergency"``, ``"scam"`` or ``None``. An emergency wins when both match (a robbery
        and a transfer in one line).
    """
    if _URGENT.search(text) and not _NOT_DANGER.search(text):
        return "emergency"
    if _DANGER.search(text) and not _PAST.search(text) and not _NOT_DANGER.search(text):
        return "emergency"
    if _SAFE_ACCOUNT.search(text):
        return "scam"
    if _SCAM_SAID.search(text) and (_ASKS.search(text) or _CONTACT.search(text)):
        return "scam"
    if _CONTACT.search(text) and _AUTHORITY.search(text) and _ASKS.search(text):
        return "scam"
    return None


def intervene(run: Run, text: str) -> bool:
    """Hand the visitor over at once when ``text`` tells of an emergency or a scam.

    Says the pack's ``utter_emergency`` / ``utter_scam_warning`` (the urgent words and the
    hand-off card) and queues a :class:`~dialog.types.Handoff` with the kind as its reason, even
    when a colleague was called before (this one is urgent); the flows and queued requests end.

    Args:
        run: the interpreter's run of this event.
        text: the visitor's words.

    Returns:
        Whether it intervened; ``False`` (nothing done) for other lines, or when the pack has no
        such response.
    """
    kind = classify(text)
    if kind is None or RESPONSES[kind] not in run.pack.responses:
        return False
    run.intent = kind
    run.say(RESPONSES[kind])
    run.actions.append(Handoff(kind))
    run.handed_off = True
    run.queued.clear()
    run.drop_flows()
    return True
