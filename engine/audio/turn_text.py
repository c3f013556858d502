"""How a transcript ends: the text half of the end-of-turn evidence (pure functions).

:func:`text_complete` reads the speculative transcript of a pause the way the turn policy
(:mod:`engine.audio.turn_policy`) needs it: does it end a sentence, stop mid-sentence, or say
nothing either way? Whisper punctuates from the audio (a finished sentence gets a full stop or
question mark, a clause pause a comma or nothing); Chinese decodes often carry no final mark,
so a Chinese transcript without one is read by its last word (:func:`chinese_ending`).
"""

from __future__ import annotations

#: Marks that end a sentence (Latin and CJK full-width); Whisper writes them at a finished one.
SENTENCE_ENDS = ".?!。？！"
#: Marks inside a sentence; a transcript ending with one stopped at a clause pause.
CLAUSE_MARKS = ",;:，；：、…-—"
#: Closing quotes and brackets skipped when looking at the last mark.
CLOSERS = "\"'”’）)]}」』》"
#: Mandarin sentence-final modal particles: a transcript ending in one ends a sentence.
ZH_FINAL_PARTICLES = "吗呢吧嘛呀啦哦么"
#: Mandarin words that cannot end a sentence (conjunctions, prepositions/coverbs, the copula):
#: a transcript ending in one stopped mid-sentence. Longest first.
ZH_OPEN_ENDINGS = (
    "因为", "所以", "但是", "可是", "不过", "而且", "并且", "然后", "还有", "或者", "还是",
    "如果", "虽然", "就是", "那么", "为了", "关于", "和", "跟", "与", "或", "把", "被", "给",
    "向", "从", "往", "是",
)  # fmt: skip


def text_complete(text: str) -> bool | None:
    """Does a transcript end a sentence? The text half of the end-of-turn evidence.

    Whisper punctuates from the audio: a finished sentence gets ``.``, ``?`` or ``!`` (``。``,
    ``？``, ``！`` in Chinese), a clause pause a comma or nothing, a trailing-off ``...``.
    It also writes ``。`` after a Chinese clause it hears alone (the speculative decode of a
    pause reads no more than the clause): ``。`` after a word that needs a continuation
    (``…就是。``, ``…我的卡号是。``) is read by that word, as unfinished.
    Chinese decodes often carry no final mark at all, so a Chinese transcript without one is
    read by its last word (:func:`chinese_ending`): a sentence-final particle (吗, 呢, 吧 …)
    ends a sentence, a conjunction or preposition (因为, 就是, 把 …) cannot; marks earlier in a
    Chinese transcript say nothing about its end (Whisper writes ``，`` between clauses of a
    finished one and may leave the last ``。`` out).

    Args:
        text: the speculative final transcript of the turn so far.

    Returns:
        True when the last mark (or Chinese particle) ends a sentence; False when it ends
        with a clause mark, an ellipsis, a Chinese word that needs a continuation, or
        (English) words after punctuation elsewhere; None when there is no evidence either
        way (no punctuation, some decodes write none) or it is empty.
    """
    body = text.strip().rstrip(CLOSERS).rstrip()
    if not body:
        return None
    if body.endswith(("...", "…", "。。")):
        return False
    if (
        body[-1] == "。"
        and len(body) > 1
        and is_cjk(body[-2])
        and chinese_ending(body[:-1]) is False
    ):
        return False  # "…最重要的就是。": a full stop Whisper wrote after a clause heard alone
    if body[-1] in SENTENCE_ENDS:
        return True
    if body[-1] in CLAUSE_MARKS:
        return False
    if is_cjk(body[-1]):
        return chinese_ending(body)
    if any(mark in body for mark in SENTENCE_ENDS + CLAUSE_MARKS):
        return False
    return None


def is_cjk(char: str) -> bool:
    """A CJK unified ideograph (U+4E00–U+9FFF, the Chinese characters Whisper writes)."""
    return "\u4e00" <= char <= "\u9fff"


def chinese_ending(body: str) -> bool | None:
    """How a Chinese transcript without a final mark ends, by its last word.

    Sentence-final modal particles (吗 呢 吧 嘛 …: Li & Thompson, *Mandarin Chinese: A
    Functional Reference Grammar*, ch. 7) close a sentence: True. A conjunction, a
    preposition/coverb or the copula ``是`` needs what follows (the same grammar, ch. 9 and
    23): False — but only after other words (``就是`` alone is an answer). Anything else:
    None, no evidence.

    Args:
        body: the transcript, stripped, its last character a CJK ideograph.
    """
    if body[-1] in ZH_FINAL_PARTICLES:
        return True
    for word in ZH_OPEN_ENDINGS:  # longest first: 就是 before 是
        if body.endswith(word):
            return False if len(body) > len(word) else None
    return None


def unmarked_chinese(text: str) -> bool:
    """A Chinese transcript whose end says nothing: its last character (closing quotes
    skipped) is a Chinese character, neither a sentence-final particle nor the end of a word
    that needs a continuation (:func:`text_complete` is None for it)."""
    body = text.strip().rstrip(CLOSERS).rstrip()
    return bool(body) and is_cjk(body[-1]) and text_complete(body) is None
