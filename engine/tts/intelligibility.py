"""How well a listener understands a voice: the packs' own replies, synthesized and transcribed
by the project's ASR (Whisper ``base`` for Mandarin, ``tiny.en`` for English), scored as
character (zh) or word (en) error rate. Shared by the intelligibility test and
``benchmarks/tts.py`` (needs the dev extras ``jiwer`` and ``whisper-normalizer``).

Scoring follows the project's rules for ASR figures: Chinese compares Simplified characters
with punctuation and spaces removed, both sides read through the same Mandarin normaliser
(:func:`engine.tts.zh_text.normalize_zh`: the ASR may write 4417 or 四四一七 for the same
sound); English uses jiwer with Whisper's English text normaliser on both sides.

Which replies are scored, and the slot values they are filled with, is
:mod:`engine.tts.reply_sample` (its names are importable from here too).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from engine.tts.base import SentenceTTS

# The sample the scores are taken on (kept importable from here: the tests and benchmarks did).
from engine.tts.reply_sample import (
    EVERY,
    SAMPLE_SLOTS,
    Reply,
    in_sample,
    pack_replies,
    sample_slots,
)
from engine.tts.zh_text import normalize_zh

__all__ = [
    "CUT_SHORT",
    "EVERY",
    "MIN_PIECE_S",
    "SAMPLE_SLOTS",
    "Reply",
    "Score",
    "cer_zh",
    "in_sample",
    "missed_by_tone",
    "pack_replies",
    "read_as_in_reference",
    "report",
    "sample_slots",
    "speak_and_hear",
    "wer_en",
    "zh_chars",
]


@dataclass(frozen=True, slots=True)
class Score:
    """One reply spoken and heard: the error rate and what the ASR wrote."""

    reply: Reply
    heard: str
    error: float
    audio_s: float
    #: A piece of it was heard again sentence by sentence after the recogniser stopped early
    #: (:func:`_hear`).
    reheard: bool = False


def zh_chars(text: str) -> str:
    """Text as compared for CER: Simplified, said-as-words numbers, no punctuation/spaces."""
    from engine.asr.whisper import to_simplified

    return re.sub(r"[\W_]+", "", normalize_zh(to_simplified(text)))


#: A number as written in a reply or a transcript (digits, decimal point, thousands, clock).
_WRITTEN_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")
#: Characters of the reply before a number that decide how it is read: the longest code cue of
#: :func:`~engine.tts.zh_text.normalize_zh` with its link and a space (后四位 + 是 + " ") and
#: one more. With 3, 卡号后四位是8821 was read as 四位是8821 (a cardinal) on the heard side
#: only, and a transcript that wrote 8821 exactly was charged 八千八百二十一 against 八八二一.
_CONTEXT_BEFORE = 6


def read_as_in_reference(reference: str, heard: str) -> str:
    """``heard`` with every written number that the reference writes the same way replaced by
    the words :func:`~engine.tts.zh_text.normalize_zh` reads it with in the reference.

    The normaliser reads digits by their context (尾号5678 → 尾号五六七八, a code; 为号5678 →
    为号五千六百七十八, a cardinal), so a transcript that misheard the word before a number but
    wrote the number itself right would be charged three or four characters more for digits it
    heard exactly. Reading the same digits the same way on both sides scores what was heard.

    Args:
        reference: the reply text, e.g. ``"已向您尾号5678的手机发送验证码"``.
        heard: the transcript, e.g. ``"以向您为号5678的手机发送验证码"``.

    Returns:
        ``heard`` with such numbers as words (``"以向您为号五六七八的手机发送验证码"``); numbers
        the reference does not write identically are left for the normaliser.
    """

    def spoken(match: re.Match) -> str:
        digits = match.group(0)
        same = next((m for m in _WRITTEN_NUMBER.finditer(reference) if m.group(0) == digits), None)
        if same is None:
            return digits
        before = reference[max(0, same.start() - _CONTEXT_BEFORE) : same.start()]
        after = reference[same.end() : same.end() + 1]
        said, said_before, said_after = (
            normalize_zh(t) for t in (before + digits + after, before, after)
        )
        if said.startswith(said_before) and said.endswith(said_after):
            return said[len(said_before) : len(said) - len(said_after)]
        return digits

    return _WRITTEN_NUMBER.sub(spoken, heard)


def cer_zh(reference: str, heard: str) -> float:
    """Character error rate of ``heard`` against ``reference`` (see :func:`zh_chars`); numbers
    written the same on both sides are read the same (:func:`read_as_in_reference`)."""
    import jiwer

    return float(jiwer.cer(zh_chars(reference), zh_chars(read_as_in_reference(reference, heard))))


def missed_by_tone(reference: str, heard: str) -> dict[int, tuple[int, int]]:
    """Per lexical tone, how many of the reference's characters the transcript got right.

    Both sides are compared as in :func:`cer_zh`; a reference character counts as heard when
    it lies in a block that :class:`difflib.SequenceMatcher` matches with the transcript (验
    heard as 厌 is missed even though the sound is the same: it is the listener's word that
    counts). The tone is the dictionary tone of pypinyin's reading in context (1-4, 0 neutral),
    before sandhi; digits count by the words the normaliser says them with; letters and other
    characters without a reading are left out.

    Args:
        reference: the reply text, e.g. ``"您的账户余额"``.
        heard: the transcript, e.g. ``"您的账户余恶"``.

    Returns:
        ``{tone: (missed, total)}`` for the tones present, e.g. ``{2: (1, 3), 4: (0, 2),
        0: (0, 1)}`` for the example (余额 and 您 are tone 2, 账户 tone 4, 的 neutral).
    """
    from pypinyin import Style, lazy_pinyin

    said = zh_chars(reference)
    got = zh_chars(read_as_in_reference(reference, heard))
    readings = lazy_pinyin(
        said, style=Style.TONE3, neutral_tone_with_five=True, errors=lambda run: [""] * len(run)
    )
    matched = [False] * len(said)
    for block in difflib.SequenceMatcher(None, said, got, autojunk=False).get_matching_blocks():
        matched[block.a : block.a + block.size] = [True] * block.size
    counts: dict[int, tuple[int, int]] = {}
    for reading, ok in zip(readings, matched, strict=True):
        if not reading[-1:].isdigit():
            continue
        tone = int(reading[-1]) % 5
        missed, total = counts.get(tone, (0, 0))
        counts[tone] = (missed + (not ok), total + 1)
    return counts


def wer_en(reference: str, heard: str) -> float:
    """Word error rate after Whisper's English text normaliser on both sides."""
    import jiwer
    from whisper_normalizer.english import EnglishTextNormalizer

    norm = EnglishTextNormalizer()
    return float(jiwer.wer(norm(reference), norm(heard)))


#: Shortest piece of a reply given to the recogniser, in seconds (see :func:`speak_and_hear`):
#: a lone one-word sentence ("Goodbye!", ~0.6 s) is often heard as nothing.
MIN_PIECE_S = 1.5
#: A chunk whose text ends a sentence (closing quotes and brackets after the mark allowed). Not
#: a colon: "Here are your latest transactions:" heard apart left its 9.7 s list sentence alone,
#: cut short in 5 of 12 renditions against 1 of 12 heard after its colon.
_SENTENCE_END = re.compile(r"[.!?。！？…][\"'”’)）」]*\s*$")


def _pieces(chunks: Sequence[tuple[str, bytes]], sample_rate: int) -> list[list[tuple[str, bytes]]]:
    """Group a reply's chunks (text, int16 PCM) into the pieces the recogniser hears: a
    piece ends at the first sentence end once it holds :data:`MIN_PIECE_S` of audio, so it is
    one sentence unless that sentence is too short to be heard alone (then it joins the next;
    a short tail joins the piece before it). Clause chunks (Kokoro's first piece) join the rest
    of their sentence. Returns the pieces' chunks, in order."""
    min_bytes = int(MIN_PIECE_S * sample_rate) * 2
    pieces: list[list[tuple[str, bytes]]] = []
    current: list[tuple[str, bytes]] = []
    for text, pcm in chunks:
        current.append((text, pcm))
        if sum(len(p) for _, p in current) >= min_bytes and _SENTENCE_END.search(text):
            pieces.append(current)
            current = []
    if current:
        if pieces:
            pieces[-1] += current
        else:
            pieces.append(current)
    return pieces


def _sentences(piece: Sequence[tuple[str, bytes]]) -> list[list[tuple[str, bytes]]]:
    """Split a piece's chunks at every sentence end (clause chunks stay with their sentence)."""
    out: list[list[tuple[str, bytes]]] = [[]]
    for text, pcm in piece:
        out[-1].append((text, pcm))
        if _SENTENCE_END.search(text):
            out.append([])
    return [s for s in out if s]


def _length(text: str, language: str) -> int:
    """Words (English) or Han characters and digits (Mandarin) in ``text``."""
    if language == "zh":
        return sum(1 for ch in text if ch.isalnum())
    return len(text.split())


#: A piece heard with fewer than this share of its text's words (characters) was cut short by
#: the recogniser (:func:`_hear`).
CUT_SHORT = 0.5


def speak_and_hear(
    tts: SentenceTTS, asr: Any, replies: Sequence[Reply], language: str
) -> list[Score]:
    """Synthesize each reply with ``tts``, transcribe it with ``asr`` (a
    :class:`~engine.asr.whisper.WhisperASR`) and score it.

    A reply is transcribed one sentence at a time (:func:`_pieces`, from the engine's
    :class:`~engine.tts.base.TTSChunk` s), never two whole sentences together: Whisper
    decoding without timestamps (as the engine decodes, :mod:`engine.asr.windowed`) often ends
    its text at the first sentence's full stop, so a two-sentence piece was heard as its first
    sentence alone (tax ``utter_i_am_a_bot``, two 3 s sentences: 5 of 16 Piper renditions; the
    same audio decoded with timestamps is heard whole, the window's length does not matter).
    A sentence shorter than :data:`MIN_PIECE_S` joins the next: a lone one-word sentence
    ("Goodbye!") is often heard as nothing. Either way the voice would be scored for the
    recogniser's slip.

    Synthesis runs one reply ahead on a worker thread while the calling thread transcribes
    the reply before it (both release the GIL inside onnxruntime / CTranslate2): neither
    model keeps two cores busy on its own, so the pipeline fills the other's idle core.
    Every reply is still synthesized once and heard whole, in order.

    Returns:
        One :class:`Score` per reply, in order.
    """
    from concurrent.futures import ThreadPoolExecutor

    scores = []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="speak") as voice:
        ahead = [voice.submit(tts.synthesize_all, r.text, language) for r in replies[:1]]
        for i, reply in enumerate(replies):
            chunks = ahead.pop().result()
            if i + 1 < len(replies):
                ahead.append(voice.submit(tts.synthesize_all, replies[i + 1].text, language))
            scores.append(_hear(asr, reply, chunks, tts.sample_rate, language))
    return scores


def _hear(asr: Any, reply: Reply, chunks: Sequence[Any], sample_rate: int, language: str) -> Score:
    """Transcribe one synthesized reply (its sentence chunks, int16 PCM at ``sample_rate``
    Hz) in pieces of at least :data:`MIN_PIECE_S` and score it against its text.

    Whisper decoding without timestamps now and then ends a piece of two sentences early, at
    or before the first one's end: a CI run heard tax ``utter_confirm_cancel_appt`` ("Shall I
    cancel your appointment AP0042 on Wednesday 12 March? Please say yes or no.", its 1.4 s
    tail joined to the first sentence) as "shall I cancel your appointment?" (69 %), while 20
    renditions here were heard whole (0-38 %). A piece of several sentences heard as less than
    :data:`CUT_SHORT` of its text's length is heard again one sentence at a time, and the
    longer transcript is scored (never the one with the lower error: a voice that mumbles is
    heard as long garbage either way); the score says so (``reheard``)."""
    import numpy as np

    from engine.show import resample_pcm

    def hear(pcm: bytes) -> str:
        audio = resample_pcm(pcm, sample_rate, 16_000).astype(np.float32) / 32768.0
        return asr.transcribe(audio, language=language).text.strip()

    joiner = "" if language == "zh" else " "
    scorer = cer_zh if language == "zh" else wer_en
    heard_parts = []
    reheard = False
    for piece in _pieces([(c.text, c.pcm) for c in chunks], sample_rate):
        heard = hear(b"".join(pcm for _, pcm in piece))
        sentences = _sentences(piece)
        expected = _length(joiner.join(text for text, _ in piece), language)
        if len(sentences) > 1 and _length(heard, language) < CUT_SHORT * expected:
            alone = joiner.join(hear(b"".join(p for _, p in s)) for s in sentences)
            if _length(alone, language) > _length(heard, language):
                heard, reheard = alone, True
        heard_parts.append(heard)
    heard = joiner.join(heard_parts)
    num_samples = sum(len(c.pcm) for c in chunks) // 2
    return Score(reply, heard, scorer(reply.text, heard), num_samples / sample_rate, reheard)


def report(scores: Sequence[Score], label: str) -> str:
    """A table of the scores, worst first, and the mean (what the test and benchmark print)."""
    lines = [
        f"{s.error:6.1%}  {s.reply.domain}/{s.reply.name}: {s.reply.text}  →  {s.heard}"
        + ("  (heard again by sentence)" if s.reheard else "")
        for s in sorted(scores, key=lambda s: -s.error)
    ]
    mean = sum(s.error for s in scores) / max(len(scores), 1)
    lines.append(f"{label}: mean {mean:.1%} over {len(scores)} replies")
    return "\n".join(lines)
