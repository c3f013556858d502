"""Filter Whisper's hallucinations out of a transcript (a pure function, English and Chinese).

Whisper was trained on subtitled video, and on silence, noise or a speaker it cannot follow it
writes what subtitles say there (Radford et al. 2022, "Robust Speech Recognition via Large-Scale
Weak Supervision", §4.5 and §6; the lists below are the phrases reported in openai/whisper
discussions #679 and #928 and seen in this project's own runs). Four rules, in this order:

1. **Loops** — a phrase said three or more times in a row (a single word or character four or
   more times) collapses to one saying; units made only of digits or number words are never
   collapsed (card digits such as "one one one one" are real).
2. **Subtitle boilerplate** — a sentence holding "thank you for watching", "please subscribe",
   "subtitles by … Amara.org", "字幕由…提供", "请不吝点赞 订阅 转发 打赏", "谢谢观看" … is dropped at
   any length: no visitor at a bank counter says them.
3. **Prompt echo** — a sentence that is (nearly) the decoder's own initial prompt
   (``以下是普通话的句子。``, and variants such as ``这就是普通话的句子。``) is dropped; an echo
   in front of real words is cut off. A prompt of several clauses (``asr.digits_prompts``:
   ``…尾号是五三九零，验证码是六二八七一四。``) is often echoed only in part, beside the answer:
   each Chinese or digit-bearing clause of it that comes back (:data:`ECHO_MIN_SHARE` of its
   letters in one stretch, Chinese numerals and digits alike) is cut out wherever it sits, so the prompt's own digits
   never stand in for the visitor's.
4. **Silence phrases** — a whole transcript that is only "thank you", "you", "bye", "谢谢" …
   from under :data:`SILENCE_MAX_MS` of audio is dropped (too short to be a question, the usual
   output for a cough or a door). Short answers a flow waits for ("yes", "no", "对", "嗯",
   "不是") are never on this list: the confirmation steps take them as answers.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from difflib import SequenceMatcher

#: Whole-transcript phrases dropped when the audio is shorter than SILENCE_MAX_MS.
SILENCE_PHRASES = frozenset(
    {"thank you", "thank you very much", "thanks", "you", "bye", "so", "the end", "谢谢"}
)
SILENCE_MAX_MS = 3000.0

#: Sentences Whisper takes from video subtitles (searched in lower-cased text).
_BOILERPLATE_EN = re.compile(
    r"\b(thank you|thanks)( so much| very much)?( all| everyone| guys)? for watching\b"
    r"|\bplease (like (and|&) )?subscribe\b|\blike and subscribe\b"
    r"|\bsubscribe to (my|our|the) channel\b|\bsee you (in the )?next (time|video)\b"
    r"|\bsubtitles? (by|from)\b|\bamara\.?\s?org\b"
)
_BOILERPLATE_ZH = re.compile(
    r"字幕.*(提供|制作|製作|by)|字幕(组|組)|amara"
    r"|点赞.*(订阅|訂閱)|(订阅|訂閱).*转发|打赏|欢迎订阅|明镜|点点栏目"
    r"|(谢谢|感谢|多谢)(大家|各位|您)?的?(观看|收看|收听)|下(期|集)再见"
)
#: Sentence ends: CJK and Latin marks (a Latin full stop only before a space or the end, so
#: "Amara.org" stays one sentence).
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])|(?<=\.)(?=\s|$)")
_CJK = re.compile(r"[\u3400-\u9fff]")
_NUMBER_WORDS = frozenset(
    ["zero", "oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
) | frozenset("零〇一二三四五六七八九十两幺")

#: Share of the prompt a sentence must repeat to count as its echo (longest common run of
#: characters), and how much longer than the prompt an echo sentence may be.
ECHO_MIN_SHARE = 0.6
ECHO_MAX_LENGTH = 1.5
#: Clause ends of a prompt (a partial echo of a prompt of several clauses is cut clause by
#: clause); clauses with fewer letters than this are not looked for.
_CLAUSE_END = re.compile(r"[。！？!?；;，,、]")
_CLAUSE_MIN_LETTERS = 4
#: Chinese numerals read as the digits they are when an echoed clause is compared (Whisper
#: writes a prompt's 五三九零 back as 5390 as readily as verbatim).
_NUMERALS = str.maketrans("零〇一二三四五六七八九", "00123456789")
#: Repeats that make a loop: a unit of two or more words/characters, and a single one.
LOOP_MIN_REPEATS = 3
LOOP_MIN_REPEATS_SINGLE = 4


@dataclass(frozen=True, slots=True)
class Cleaned:
    """What the filter kept.

    Attributes:
        text: the transcript to use (``""`` when nothing real was said).
        reason: the rule that changed it last (``repetition``, ``known-hallucination``,
            ``prompt-echo``, ``silence-phrase``), or None when the text is unchanged.
    """

    text: str
    reason: str | None


def clean_transcript(text: str, prompt: str | None, audio_ms: float) -> Cleaned:
    """Apply the four rules of the module docstring to one transcript, in either language (the
    rules read the text itself: Chinese sentences are matched without spaces, English by word).

    Args:
        text: the decoded text (any punctuation; Chinese already in Simplified characters).
        prompt: the initial prompt the decoder was given for this language, or None.
        audio_ms: duration of the decoded audio, milliseconds.

    Returns:
        The cleaned text and the rule that changed it last.
    """
    text = text.strip()
    reason: str | None = None
    steps = (
        ("repetition", _collapse_loops),
        ("known-hallucination", _drop_boilerplate),
        ("prompt-echo", lambda t: _drop_echo(t, prompt)),
        ("prompt-echo", lambda t: _drop_clause_echoes(t, prompt)),
    )
    for name, step in steps:
        changed = step(text).strip()
        if changed != text:
            text, reason = changed, name
    if text and _key(text) in SILENCE_PHRASES and audio_ms < SILENCE_MAX_MS:
        text, reason = "", "silence-phrase"
    return Cleaned(text=text, reason=reason)


def _key(text: str) -> str:
    """Lower case, punctuation removed, spaces kept single (the comparison form)."""
    return " ".join(re.sub(r"[^\w\s']|_", " ", text.lower()).split())


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text) if s.strip()]


def _drop_boilerplate(text: str) -> str:
    kept = []
    for sentence in _sentences(text):
        low = sentence.lower()
        if _BOILERPLATE_EN.search(low) or _BOILERPLATE_ZH.search(re.sub(r"\s+", "", low)):
            continue
        kept.append(sentence)
    return "".join(kept)


def _drop_echo(text: str, prompt: str | None) -> str:
    wanted = _letters(prompt or "")
    if len(wanted) < 4:
        return text
    kept = []
    for sentence in _sentences(text):
        letters = _letters(sentence)
        match = SequenceMatcher(None, letters, wanted, autojunk=False).find_longest_match()
        if match.size < ECHO_MIN_SHARE * len(wanted):
            kept.append(sentence)
        elif len(letters) <= ECHO_MAX_LENGTH * len(wanted):
            continue  # the sentence is the prompt, or a variant of it
        elif match.a <= 3:
            # the prompt in front of real words: keep what follows the echoed letters
            kept.append(_after_letters(sentence, match.a + match.size))
        else:
            kept.append(sentence)
    return "".join(kept)


def _drop_clause_echoes(text: str, prompt: str | None) -> str:
    """``text`` less each stretch that repeats a clause of a prompt of two or more clauses (at
    least :data:`ECHO_MIN_SHARE` of the clause's letters in a row, numerals compared as
    digits), with the punctuation after it. Only Chinese clauses and clauses with digits are
    looked for; a one-clause prompt is left to :func:`_drop_echo`.

    The digits prompt's echo, in part, beside the visitor's answer (四四一七，尾号是五三九零)
    was read as the card's tail 5390 (the last four digits said win)."""
    clauses = [_letters(c).translate(_NUMERALS) for c in _CLAUSE_END.split(prompt or "")]
    # a Latin clause without digits is not cut alone: "hello" in "Hello, welcome to …" is
    # also a visitor's word
    clauses = [
        c
        for c in clauses
        if len(c) >= _CLAUSE_MIN_LETTERS and (_CJK.search(c) or any(d.isdigit() for d in c))
    ]
    if len(clauses) < 2:
        return text
    for wanted in clauses:
        need = max(_CLAUSE_MIN_LETTERS, math.ceil(ECHO_MIN_SHARE * len(wanted)))
        while True:
            at = [i for i, ch in enumerate(text) if ch.isalnum()]
            letters = "".join(text[i].lower()[:1] for i in at).translate(_NUMERALS)
            match = SequenceMatcher(None, letters, wanted, autojunk=False).find_longest_match()
            if match.size < need:
                break
            start, end = at[match.a], at[match.a + match.size - 1] + 1
            while end < len(text) and not text[end].isalnum():
                end += 1
            text = text[:start] + text[end:]
    return text


def _letters(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _after_letters(text: str, count: int) -> str:
    """``text`` after its first ``count`` letters/digits, leading punctuation dropped."""
    seen = 0
    for i, ch in enumerate(text):
        if ch.isalnum():
            seen += 1
            if seen == count:
                return re.sub(r"^[^\w]+", "", text[i + 1 :])
    return ""


def _tokens(text: str) -> list[tuple[str, str]]:
    """``(key, surface)`` pairs: words (Latin) or characters (CJK), each surface carrying the
    punctuation and space after it, so joining the surfaces gives ``text`` back."""
    if _CJK.search(text):
        out: list[tuple[str, str]] = []
        lead = ""
        for ch in text:
            if ch.isalnum():
                out.append((ch.lower(), ch))
            elif out:
                out[-1] = (out[-1][0], out[-1][1] + ch)
            else:
                lead += ch
        return out if not lead else [("", lead), *out]
    return [(_key(m.group(0)), m.group(0)) for m in re.finditer(r"\S+\s*", text)]


def _collapse_loops(text: str) -> str:
    tokens = _tokens(text)
    cjk = bool(_CJK.search(text))
    changed = True
    while changed:
        changed = False
        for n in range(1, len(tokens) // 2 + 1):
            need = LOOP_MIN_REPEATS_SINGLE if n == 1 else LOOP_MIN_REPEATS
            for i in range(len(tokens) - n * need + 1):
                unit = [key for key, _ in tokens[i : i + n]]
                if all(key in _NUMBER_WORDS or key.isdigit() or not key for key in unit):
                    continue
                reps = 1
                while [k for k, _ in tokens[i + reps * n : i + (reps + 1) * n]] == unit:
                    reps += 1
                if reps >= need:
                    # one saying (a doubled character in Chinese: 谢谢, not 谢)
                    keep = 2 if (n == 1 and cjk) else 1
                    del tokens[i + keep * n : i + reps * n]
                    changed = True
                    break
            if changed:
                break
    return "".join(surface for _, surface in tokens)
