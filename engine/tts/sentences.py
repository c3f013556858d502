"""Split reply text into sentences for streamed TTS (sans-IO).

A reply is spoken sentence by sentence so the first audio can leave as soon as the first
sentence is synthesized. Rules:

* Sentence ends: ``. ! ? …`` followed by whitespace or the end, Chinese ``。！？`` anywhere,
  and line breaks. Closing quotes and brackets stay with their sentence.
* A ``.`` is not an end inside a number (``1,234.56``), after a known abbreviation
  (``No. 5``, ``Mr. Li``, ``e.g.``), after a single-letter initial (``U.S.``), after a list
  number at the start of a sentence (``1. Open the app``), or when a lowercase word follows.
* Clause boundaries (``, ; :`` and ``，；：、``) cut a sentence only when it is too long: the
  first piece above ``first_max_weight`` (so first audio comes fast), later ones above
  ``max_weight`` (or, with ``growth`` > 1, above a limit that grows piece by piece). A ``,``
  or ``:`` between digits (``1,234``, ``09:30``) is never a boundary. The cut is at the last clause
  boundary that keeps the piece within the limit, else the first one.
* With a slow voice's :class:`~engine.tts.pacing.Pace`, the limits give way: the reply's
  clauses (sentence ends included) are regrouped so each piece is made before the audio
  ahead of it runs out (:mod:`engine.tts.pacing`).

Length is measured as *spoken weight*: one per Latin character, three per CJK character
(English is spoken at roughly 14-16 characters per second, Mandarin at 4-5 characters per
second, so a Han character lasts about three Latin characters).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from engine.tts.pacing import Pace, pace_pieces

#: Abbreviations after which "." does not end a sentence (lowercase, without the dot).
ABBREVIATIONS: frozenset[str] = frozenset(
    {
        "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "no", "nos", "vs", "etc",
        "e.g", "i.e", "a.m", "p.m", "inc", "ltd", "co", "corp", "dept", "approx", "tel",
        "fig", "vol", "ave", "rd", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
        "sept", "oct", "nov", "dec", "u.s", "u.k", "min", "max", "ref", "acct",
    }
)  # fmt: skip

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CJK_ENDS = "。！？"
_LATIN_ENDS = ".!?…"
_CLOSERS = "\"'”’）)]}」』》"
_CLAUSE_MARKS = ",;:，；：、"


@dataclass(frozen=True, slots=True)
class SplitConfig:
    """Limits for :func:`split_sentences`, in spoken weight (see the module docstring).

    Attributes:
        first_max_weight: the first sentence is cut at a clause boundary (or, lacking one,
            before a conjunction) above this (~40: about 2.5 s of English, 13 Han characters;
            Piper synthesizes that in ~0.2 s on 2 cores, so first audio comes quickly).
        max_weight: later sentences are cut above this.
        growth: piece ``k`` (from 0) may weigh ``first_max_weight * growth**k``, capped at
            ``max_weight``. 1.0 (the default) allows ``max_weight`` from the second piece on;
            a slower voice (RTF ~0.3) sets ~2.5 so each piece is synthesized while the one
            before it plays (a piece of weight w takes ~RTF * w of the time w is heard).
        pace: a slow voice's timing: pieces are then grouped from whole clauses so that each
            is synthesized within the audio queued ahead of it (:mod:`engine.tts.pacing`;
            the three limits above are not used).
    """

    first_max_weight: int = 40
    max_weight: int = 200
    growth: float = 1.0
    pace: Pace | None = None

    def limit(self, index: int) -> int:
        """Most spoken weight for piece ``index`` (0 = the first piece of the reply)."""
        if index == 0:
            return self.first_max_weight
        if self.growth <= 1.0:
            return self.max_weight
        return min(self.max_weight, round(self.first_max_weight * self.growth**index))


def spoken_weight(text: str) -> int:
    """Spoken length of ``text``: 1 per non-space character, 3 per CJK character."""
    cjk = len(_CJK.findall(text))
    return len(text) - sum(ch.isspace() for ch in text) + 2 * cjk


def _previous_word(text: str, dot: int) -> str:
    """The token before position ``dot`` (a '.'), lowercase, inner dots kept."""
    start = dot
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "."):
        start -= 1
    return text[start:dot].lower()


def _is_sentence_end(text: str, i: int, sentence_start: int) -> bool:
    """Whether the punctuation at ``text[i]`` ends a sentence."""
    ch = text[i]
    if ch in _CJK_ENDS or ch == "\n":
        return True
    if ch not in _LATIN_ENDS:
        return False
    j = i + 1
    while j < len(text) and (text[j] in _CLOSERS or text[j] in _LATIN_ENDS):
        j += 1
    if j < len(text) and not text[j].isspace() and not _CJK.match(text[j]):
        return False  # "1.5", "e.g.x", "...)word"
    if ch != ".":
        return True
    k = j
    while k < len(text) and text[k].isspace():
        k += 1
    if k < len(text) and text[k].islower():
        return False  # "approx. three", "e.g. cash"
    word = _previous_word(text, i)
    if word in ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
        return False
    return not (word.isdigit() and not text[sentence_start:i].strip()[: -len(word)].strip())


_CONJUNCTION = re.compile(r"\s(?=(?:and|but|or|so|because|which|until|while|from)\s)", re.I)


def _conjunction_cuts(sentence: str) -> list[int]:
    """Positions just before an English conjunction, leaving ≥ 12 characters on each side."""
    return [
        m.start() + 1
        for m in _CONJUNCTION.finditer(sentence)
        if 12 <= m.start() <= len(sentence) - 12
    ]


def _clause_cuts(rest: str) -> list[int]:
    """Positions just after each clause boundary of ``rest`` that leaves words after it (a
    ``,`` or ``:`` between digits is none)."""
    return [
        i + 1
        for i, ch in enumerate(rest[:-1])
        if ch in _CLAUSE_MARKS
        and not (
            ch in ",:" and 0 < i < len(rest) - 1 and rest[i - 1].isdigit() and rest[i + 1].isdigit()
        )
        and rest[i + 1 :].strip()
    ]


def _cut_clauses(sentence: str, config: SplitConfig, done: int) -> list[str]:
    """Cut ``sentence`` at clause boundaries, piece ``done + k`` within ``config.limit``, where
    the boundaries allow (``done``: pieces of the reply before this sentence)."""
    pieces: list[str] = []
    rest = sentence
    while spoken_weight(rest) > config.limit(done + len(pieces)):
        cuts = _clause_cuts(rest)
        cap = config.limit(done + len(pieces))
        if not pieces and not [c for c in cuts if spoken_weight(rest[:c]) <= cap]:
            # No punctuation early enough in the first sentence: cut before a conjunction so
            # the first audio does not wait for a whole long sentence (prosody break ≈ a comma).
            cuts = sorted(set(cuts) | set(_conjunction_cuts(rest)))
        if not cuts:
            break
        fitting = [c for c in cuts if spoken_weight(rest[:c]) <= cap]
        cut = fitting[-1] if fitting else cuts[0]
        pieces.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    pieces.append(rest)
    return pieces


def _clauses(sentence: str) -> list[str]:
    """``sentence`` cut at every clause boundary (stripped, in order)."""
    bounds = [0, *_clause_cuts(sentence), len(sentence)]
    return [sentence[a:b].strip() for a, b in itertools.pairwise(bounds)]


def _join(parts: list[str]) -> str:
    """Clauses or sentences joined as written: a space between them unless one side is
    Chinese (CJK text has none)."""
    out = parts[0]
    for part in parts[1:]:
        tight = _CJK.match(part[0]) or out[-1] in _CJK_ENDS + "，；：、）" or _CJK.match(out[-1])
        out += part if tight else " " + part
    return out


def _paced(sentences: list[str], pace: Pace) -> list[str]:
    """The clauses of ``sentences`` regrouped by :func:`~engine.tts.pacing.pace_pieces`."""
    split = [_clauses(s) for s in sentences]
    clauses = [c for cs in split for c in cs]
    opens = [k == 0 for cs in split for k in range(len(cs))]
    pieces, i = [], 0
    for n in pace_pieces([spoken_weight(c) for c in clauses], pace, opens):
        pieces.append(_join(clauses[i : i + n]))
        i += n
    return pieces


def split_sentences(text: str, config: SplitConfig = SplitConfig()) -> list[str]:
    """Split reply text into speakable pieces, first piece short enough for fast first audio.

    Args:
        text: reply text, English, Chinese or mixed.
        config: length limits.

    Returns:
        Non-empty, stripped pieces in order; joined with spaces they hold every word of
        ``text``. An empty or blank ``text`` gives ``[]``.
    """
    sentences: list[str] = []
    start = 0
    i = 0
    while i < len(text):
        if _is_sentence_end(text, i, start):
            j = i + 1
            while j < len(text) and (
                text[j] in _CLOSERS or text[j] in _LATIN_ENDS or text[j] in _CJK_ENDS
            ):
                j += 1
            sentences.append(text[start:j])
            start = i = j
            continue
        i += 1
    sentences.append(text[start:])
    whole: list[str] = []
    for raw in sentences:
        sentence = " ".join(raw.split())
        if not sentence or all(not ch.isalnum() for ch in sentence):
            if whole and sentence:
                whole[-1] += sentence  # stray punctuation joins the sentence before
            continue
        whole.append(sentence)
    if config.pace is not None:
        return _paced(whole, config.pace) if whole else []
    out: list[str] = []
    for sentence in whole:
        out.extend(_cut_clauses(sentence, config, len(out)))
    return out
