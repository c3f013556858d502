"""What a Chinese question asks about, without the words that frame it: a check of a FAQ reading.

A visitor at the wrong counter asks in the hall's own frame ("…在哪个窗口", "…要啥材料",
"…怎么申请") about another body's business ("退休证在哪个窗口领", "小孩落户要啥材料").
Character n-grams and sentence embeddings weigh the frame as much as its object, so the whole line
reads confidently as the hall's "which window" or "what to bring" section. Without its frame the
line is its object alone ("退休证", "小孩落户"), and the classifier, asked about that, tells the
hall's business from another's as it does for any short line. :func:`question_object` strips the
frame; :class:`dialog.understanding.Understanding` reads a Chinese FAQ reading's object again and
takes the line out of scope when the object alone is read as out of scope.

A flow's reading has a frame of its own: the request ("帮我预约一下…", "…我要投诉") in the words its
intent's examples use. :func:`request_object` takes those words away ("帮我预约一下医院的号" →
"医院的号"), and the same check reads what is left.

Two questions are told apart by their words alone, for a FAQ reading: a public holiday's days off
(:func:`days_off_question`: "国庆节放几天假" is the State Council's schedule, not the hall's hours),
and another place's hours (:func:`elsewhere_hours`: "中山公园几点开门" names a park, not the branch).

The frames are general Chinese question forms (where, at which window, what to bring, what the procedure is, how to apply),
written from the language, not from lines of any evaluation set.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

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
            r"(要|需要|得)(开|办|准备|提供)(啥|什么|哪些)(证明|材料|资料|证件)",
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


_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")


def request_object(text: str, examples: Iterable[str]) -> str | None:
    """What the Chinese request ``text`` asks for beyond its intent's own words, or ``None``
    when every character is the request's or fewer than :data:`MIN_OBJECT_CHARS` are left.

    A character is the request's when a character bigram of the line that holds it occurs in
    one of ``examples`` (the intent's Chinese training lines) or a question frame covers it
    (:func:`question_object`); the characters left keep their order.

    >>> request_object("帮我预约一下医院的号", ["帮我预约一下", "我要预约"])
    '医院的号'
    >>> request_object("帮我预约一下", ["帮我预约一下"]) is None
    True
    """
    known = {
        run[i : i + 2]
        for line in examples
        for run in _CJK_RUN.findall(line)
        for i in range(len(run) - 1)
    }
    framed = _PUNCTUATION.sub("", _FRAMES.sub("", text))
    left: list[str] = []
    for run in _CJK_RUN.findall(framed):
        covered = [False] * len(run)
        for i in range(len(run) - 1):
            if run[i : i + 2] in known:
                covered[i] = covered[i + 1] = True
        left.extend(c for c, inside in zip(run, covered, strict=True) if not inside)
    found = "".join(left)
    # nothing stripped: the Chinese characters are all still there (digits and Latin letters
    # are no part of ``found``, so "医院的号123" is compared without them)
    if len(found) < MIN_OBJECT_CHARS or found == "".join(_CJK_RUN.findall(text)):
        return None
    return found


#: Chinese public holidays and the words for their days off: the festivals by their usual
#: names, the statutory holidays as a whole, and the arranged days (放假, 调休 — working days
#: moved to join a holiday —, 补班 — the weekend days worked in return).
_HOLIDAYS = re.compile(
    "国庆|春节|过年|年三十|除夕|元旦|五一|劳动节|清明|端午|中秋|元宵|腊月|正月|"
    "法定(节)?假日|节假日|小长假|黄金周|放假|调休|补班"
)
#: What asks about the days off themselves: whether and how long they are (放几天, 放不放假,
#: 一共多少天), when they start or end (从哪天, 放到), how they are arranged (调休, 补班, 连着放)
#: and the holiday's date (是几月几号, 是星期几).
_DAYS_OFF = re.compile(
    "(放|补)(了|到)?(几|多少|[一二两三四五六七八九十0-9]+)天(班)?|放不放|放假|调休|补班|放到|"
    "连(在一起|着)?放|(一共|总共|共)(有)?(几|多少)天|(几|多少)天假|休(息)?(几|多少)天|"
    "是(几月)?(几号|哪天|哪一天|星期几|周几|礼拜几)"
)
#: Words that put the question to the hall or branch, or about its business, on a holiday:
#: who is asked (你们, 您们 — never 你 alone, the avatar's own life), the place (服务厅, 大厅,
#: 网点, 银行, 柜台, 窗口, 这里), its hours (营业, 办公, 开门, 关门, 开着, 有人, 几点) and what a
#: visitor comes to do (办, 交税, 缴, 税, 取钱, 存钱, 转账, 汇款, 自助, ATM).
_HALL = re.compile(
    "你们|您们|咱们|服务厅|大厅|网点|银行|柜台|窗口|这里|这儿|营业|办公|开门|关门|开不开|开着|"
    "有人|几点|办|交税|缴|税|取钱|存钱|取款|存款|转账|汇款|自助|atm",
    re.IGNORECASE,
)


#: A holiday as the time of another question ("元旦放假期间信用卡还款日顺延吗", "放假的时候卡丢了"):
#: the days off are when, not what, it asks; :func:`days_off_question` reads the line without it.
_HOLIDAY_TIME = re.compile("放假(期间|的时候|时候|时|的?那几天|的?那段时间)")


def days_off_question(text: str) -> bool:
    """Whether the Chinese ``text`` asks about a public holiday's days off themselves — how many,
    which, the 调休 and make-up working days, the holiday's date — and not whether the hall or
    branch is open then or what can be done there.

    Such a question is about the national holiday schedule, which the State Council publishes
    each year, not about the hall: read whole, its holiday words ("国庆", "节假日", "上班")
    match the opening-hours section, whose answer ("closed on public holidays") does not answer
    it. A question that puts the holiday to the hall ("国庆节你们开门吗", "春节后网点哪天开始营业",
    "清明节能来交税吗") names the hall, its hours or its business (:data:`_HALL`) and is not one.

    >>> days_off_question("国庆节放几天假")
    True
    >>> days_off_question("国庆节你们开门吗")
    False

    A holiday as the time of another question (放假期间, 放假的时候, 放假时: :data:`_HOLIDAY_TIME`)
    is no days-off question unless the rest of the line asks about the days off:

    >>> days_off_question("元旦放假期间信用卡还款日顺延吗")
    False
    >>> days_off_question("国庆放假期间放几天")
    True
    """
    framed = _HOLIDAY_TIME.sub("", text)
    return bool(_HOLIDAYS.search(text) and _DAYS_OFF.search(framed) and not _HALL.search(text))


#: The hours frame: what asks when a place opens, closes or works — 几点开门 / 关门 / 上班 / 下班,
#: open till when (开到几点), open on a day (周六开吗, 礼拜天上不上班), a lunch break (中午休息吗),
#: the first or last train, bus or show (末班, 最晚一场几点), round the clock (二十四小时), and
#: the hours named as such (营业时间, 开放时间).
_HOURS = re.compile(
    "几点(钟)?(开门|关门|开|关|上班|下班|营业|打烊|闭馆|停运|收车|停止|结束|放学|休息|截止|开饭)|"
    "(开|营业|开门|上班|办公|开放)到几点|(末|首|头)班|(最晚|最早|最后)(一)?(场|班|趟)?(是)?几点|"
    "二十四小时|24小时|(营业|开放|工作|上班|办公)时间|中午(休息|开|关|有人|上班)|"
    "(周|星期|礼拜)[一二三四五六日天末]?.{0,3}(开|营业|上班|办公|有人|休息|关)|"
    "(开门|关门|营业|上班|开着|开放|办公)(吗|没|不|么|了吗)|开不开|营不营业|上不上班"
)
#: Places a visitor may ask the hours of: banks by name (工商银行, 建行: another bank; a bare
#: 银行 is a place too, the pack's own where :func:`elsewhere_hours` is told so), parks and
#: sights, hospitals and clinics, shops and places to eat, transport, schools and public
#: offices (the departments a city's government service centre hosts, the post, the police, the
#: tax bureau). General Chinese words for places, written from the language, not from lines of
#: any evaluation set; at one position the first alternative that matches wins, so a longer
#: form comes before its prefix.
_PLACES = re.compile(
    "(工商|建设|农业|中国|交通|招商|邮储|邮政储蓄|华夏|民生|浦发|兴业|光大|中信|平安|广发|"
    "北京|上海|农商|村镇)银行|工行|建行|农行|中行|交行|招行|信用社|银行|"
    "动物园|植物园|游乐园|公园|景区|景点|博物馆|美术馆|科技馆|图书馆|体育馆|游泳馆|健身房|"
    "电影院|影院|"
    "(社区)?医院|卫生(服务)?(院|站|中心)|诊所|门诊|急诊|体检中心|药店|药房|"
    "商场|超市|便利店|菜(市)?场|人才市场|市场监管局|市场|商店|餐厅|饭馆|饭店|食堂|"
    "肯德基|麦当劳|星巴克|"
    "地铁|公交|火车站|高铁站|汽车站|客运站|机场|售票(厅|处)|加油站|"
    "学校|小学|中学|大学|幼儿园|"
    "派出所|车管所|交警队|出入境|户籍|公积金|不动产登记|法院|街道办|居委会|政务(服务)?中心|邮局|"
    "税务所|(办税|税务)(服务)?(大)?厅|[国地]?税(务)?(分)?局"
)
#: Any other place named by its kind: a bureau (…局: 社保局, 民政局) or a shop (…店, …铺), read
#: in what :data:`_PLACES` left.
_PLACE_KINDS = re.compile("[\u4e00-\u9fff]{1,3}(局|店|铺)")
#: Words before a place's kind that point at it rather than name it (你们分局, 请问这个局, 对面的
#: 店): the place is what follows the last of them (分局, 局, 店), or "你们分局" at the tax hall
#: was another place's (review18).
_POINTING = re.compile("你们|您们|咱们|我们|他们|这个|那个|这家|那家|这里|那里|这儿|那儿|这|那|的")


#: A landmark that may say where the place asked about is (火车站旁边的网点, 医院对面那个分行, 医院里的
#: 药房): a place (:data:`_PLACES`, :data:`_PLACE_KINDS`) and a word of position, before the
#: place asked about (的, 那个, 这家 …; "中山公园里面几点关门" asks the park's hours). It is one
#: only before the pack's own place (:func:`_places_named`). General Chinese words of position,
#: written from the language.
_LANDMARK = re.compile(
    f"({_PLACES.pattern}|{_PLACE_KINDS.pattern})[站口]?(出口)?"
    "(斜?对面|旁边|附近|边上|隔壁|楼上|楼下|门口|里面|里头|里|后面|前面|周边|那边)(?=的|那|这)"
)


def elsewhere_hours(text: str, own: str) -> bool:
    """Whether the Chinese ``text`` asks the hours of a place that is not the pack's own: it
    has the hours frame (:data:`_HOURS`) and names a place (:data:`_PLACES`,
    :data:`_PLACE_KINDS`) that ``own`` does not match whole.

    Read whole, "中山公园几点开门" or "你们对面的药店中午休息吗" is the hours frame with a place's
    name in it, and the frame decides: the branch's or hall's opening hours, which do not answer
    it. Without the frame it is about the park or the shop, none of the pack's business. A line
    that names no place ("你们几点开门", "大厅中午休息吗", "周六开吗") or only the pack's own
    ("银行周六开吗" at the bank, "税务局几点下班" at the tax hall) asks the pack's hours.

    Args:
        text: the visitor's line.
        own: a regular expression for the places that are the pack's own, matched whole against
            each place named (pack setting ``own_places``: "银行" at the bank, "税务局" at the tax
            hall); ``""``: none.

    Raises:
        re.error: ``own`` is no regular expression.

    >>> elsewhere_hours("中山公园几点开门", "银行")
    True
    >>> elsewhere_hours("银行周六开吗", "银行")
    False
    >>> elsewhere_hours("工商银行几点开门", "银行")
    True
    """
    return _asks_elsewhere(text, own, _HOURS, lambda line: _places_named(line, own))


def _places_named(text: str, own: str = "") -> list[str]:
    """The places the Chinese ``text`` names: :data:`_PLACES`, then any other place by its kind
    (:data:`_PLACE_KINDS`) with the words pointing at it (:data:`_POINTING`) cut off; a place
    named as a landmark of the pack's own place (:data:`_LANDMARK` before a place ``own``
    matches: 火车站旁边的网点) is none of them. Before any other noun the landmark stays a
    place named: 公园旁边的咖啡厅几点关门 asks a café's hours, not the branch's, though the
    café is no place :data:`_PLACES` knows (review19 F12: the landmark was cut before any
    noun, and the line was left with no place at all).

    Raises:
        re.error: ``own`` is no regular expression.
    """
    own_place = re.compile(own) if own else None

    def cut(landmark: re.Match[str]) -> str:
        return "|" if _own_follows(text, landmark.end(), own_place) else landmark.group()

    text = _LANDMARK.sub(cut, text)
    named = [m.group() for m in _PLACES.finditer(text)]
    kinds = _PLACE_KINDS.finditer(_PLACES.sub("|", text))
    return named + [_POINTING.split(m.group())[-1] for m in kinds]


def _own_follows(text: str, start: int, own: re.Pattern[str] | None) -> bool:
    """Whether ``text[start:]``, past the words pointing at a place (:data:`_POINTING`: 的, 那个,
    这家 …), begins with a place ``own`` matches (the pack's own place; ``None``: none)."""
    if own is None:
        return False
    rest = text[start:]
    while pointing := _POINTING.match(rest):
        rest = rest[pointing.end() :]
    return own.match(rest) is not None


def _asks_elsewhere(
    text: str,
    own: str,
    hours: re.Pattern[str],
    places_named: Callable[[str], list[str]],
    flags: int = 0,
) -> bool:
    """The rule :func:`elsewhere_hours` and :func:`elsewhere_hours_en` share: ``text`` has the
    hours frame ``hours`` and one of the places ``places_named(text)`` is not matched whole by
    ``own`` (compiled with ``flags``; ``""``: no place is the pack's own).

    Raises:
        re.error: ``own`` is no regular expression (found only once ``hours`` matches).
    """
    if not hours.search(text):
        return False
    own_place = re.compile(own, flags) if own else None
    return any(own_place is None or not own_place.fullmatch(p) for p in places_named(text))


#: The English hours frame: when a place opens or closes (what time / when / how late … open,
#: close, shut, stop, start), open till when, open on a day, over the holidays or round the clock, its opening hours, the first
#: or last train or bus. General English question forms, written from the language.
_HOURS_EN = re.compile(
    r"\b(what time|when|how late|how early|until when|till when|until what time)\b.{0,60}?"
    r"\b(open|opens|opening|close|closes|closing|shut|shuts|stop|stops|start|starts)\b|"
    r"\b(open|opens|close|closes)\s+(until|till|til|on|at the weekend|at weekends|on weekends|"
    r"late|early|today|tonight|tomorrow|now|24|round the clock|all day|at lunch|during|over)\b|"
    r"\b(opening|business|office|working) hours\b|\bhours of\b|\bwhat hours\b|"
    r"\b(last|first) (train|bus|metro|subway|tube|show)\b|\b24 ?(hours|/ ?7)\b|"
    r"\b(open|closed)\s+(on\s+)?(mondays?|tuesdays?|wednesdays?|thursdays?|fridays?|"
    r"saturdays?|sundays?|weekends?|holidays?)\b",
    re.IGNORECASE,
)
#: A word before a place noun that is no part of the place's name: an article, a pronoun, a
#: verb of the question ("does the bank", "your branch") or where it is ("local", "nearest").
_NOT_NAME = (
    r"(?!(the|a|an|this|that|these|those|your|you|our|my|its|their|does|do|is|are|will|"
    r"when|what|time|to|at|in|on|of|from|near|by|beside|behind|opposite|across|past|facing|"
    r"inside|outside|local|nearest|main|same)\b)"
)
#: Places a visitor may ask the hours of in English: other banks by name, sights, hospitals and
#: shops, transport, schools and public offices, and a place noun with the word before it that
#: names it ("post office", "tax office", "Harbour Bank", "police station": a bare "bank",
#: "branch", "office" or "hall" is the pack's own where ``own`` says so). General English
#: words for places, written from the language, not from lines of any evaluation set.
_PLACES_EN = re.compile(
    r"\b(bank of [a-z]+|hsbc|barclays|lloyds|natwest|santander|chase|citibank|wells fargo|icbc|"
    r"city hall|town hall|dmv|embassy|consulate|court(house)?|police|"
    r"shopping (centre|center)|coffee shop|swimming pool|"
    rf"({_NOT_NAME}[a-z]+ )?(bank|branch|office|hall|bureau|station|centre|center|store|shop)|"
    r"park|zoo|museum|gallery|library|hospital|clinic|dentist|doctor'?s|pharmacy|chemist'?s?|"
    r"drugstore|supermarket|grocery|market|mall|restaurant|caf[eé]|starbucks|mcdonald'?s|"
    r"cinema|theat(er|re)|gym|metro|subway|underground|tube|train|bus|airport|school|"
    r"university|college|kindergarten|nursery)s?\b"
    r"(?! (holiday|card|account|transfer|statement|app|balance|details|fees?|charges?))",
    re.IGNORECASE,
)


#: A landmark that says where the place asked about is, not which place is asked about: a place
#: noun after a word of position ("the branch near the station", "your branch by the mall", "the
#: office next to the hospital"), with up to three words between them ("near the big train
#: station"). The hours asked are those of the place the phrase follows. General English
#: prepositions of place, written from the language.
_LANDMARK_EN = re.compile(
    r"\b(near|nearest to|nearby|by|beside|behind|opposite|next to|close to|across from|"
    r"across the (road|street) from|in front of|(a)?round the corner from|facing|past|"
    r"at|in|inside|outside)\s+([a-z']+\s+){0,3}$",
    re.IGNORECASE,
)


def _landmark_en(text: str, start: int) -> bool:
    """Whether the English place named at ``text[start:]`` is a landmark
    (:data:`_LANDMARK_EN`): "near the station" in "the branch near the station"."""
    return _LANDMARK_EN.search(text[:start]) is not None


def elsewhere_hours_en(text: str, own: str) -> bool:
    """Whether the English ``text`` asks the hours of a place that is not the pack's own: it
    has the hours frame (:data:`_HOURS_EN`) and names a place (:data:`_PLACES_EN`) that ``own``
    does not match whole, case aside — the English counterpart of :func:`elsewhere_hours`.

    "what time does the park open" or "when does the hospital close on saturday" is the hours
    frame with a place's name in it, and read whole the frame decides: the branch's opening
    hours. "what time do you open", "is the branch open on saturday" name no place but the
    pack's own.

    Args and errors as :func:`elsewhere_hours`, ``own`` matched case aside (the pack setting's
    English alternatives beside the Chinese: "bank", "branch" at the bank, "tax office" at the
    tax hall).

    >>> elsewhere_hours_en("what time does the park open", "(harbour )?bank|branch")
    True
    >>> elsewhere_hours_en("is the branch open on saturday", "(harbour )?bank|branch")
    False
    >>> elsewhere_hours_en("when does HSBC close", "(harbour )?bank|branch")
    True
    """
    return _asks_elsewhere(text, own, _HOURS_EN, _places_named_en, re.IGNORECASE)


def _places_named_en(text: str) -> list[str]:
    """The places the English ``text`` names (:data:`_PLACES_EN`), but for those named as a
    landmark (:data:`_LANDMARK_EN`: "the branch near the station")."""
    return [m.group() for m in _PLACES_EN.finditer(text) if not _landmark_en(text, m.start())]
