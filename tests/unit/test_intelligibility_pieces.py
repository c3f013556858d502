"""How ``speak_and_hear`` cuts a spoken reply into pieces for the recogniser: one sentence a
piece (Whisper decoding without timestamps often stops at a piece's first full stop), a
sentence too short to be heard alone joined to the next, clauses joined into their sentence."""

from __future__ import annotations

from dataclasses import dataclass

from engine.tts.intelligibility import MIN_PIECE_S, Reply, _hear
from engine.tts.intelligibility import _pieces as _grouped

RATE = 1000  # Hz: one sample per ms keeps the sizes readable


def _pieces(chunks: list[tuple[str, bytes]], rate: int) -> list[bytes]:
    """Each piece's audio (the grouping's chunks joined)."""
    return [b"".join(pcm for _, pcm in piece) for piece in _grouped(chunks, rate)]


def _sentence(seconds: float, fill: int) -> bytes:
    return bytes([fill, 0]) * int(seconds * RATE)


def test_each_sentence_long_enough_is_its_own_piece() -> None:
    """tax utter_i_am_a_bot: two ~3 s sentences were one 6 s piece, heard as the first alone."""
    bot, staff = _sentence(2.9, 1), _sentence(3.0, 2)
    chunks = [
        ("I'm a digital assistant, an AI, not a person.", bot),
        ("Say 'human please' any time to reach a member of staff.", staff),
    ]
    assert _pieces(chunks, RATE) == [bot, staff]


def test_short_sentences_join_the_next_and_a_short_tail_joins_the_last_piece() -> None:
    thanks, booked, number, bring, bye = (
        _sentence(0.8, 1),
        _sentence(4.0, 2),
        _sentence(2.5, 3),
        _sentence(0.9, 4),
        _sentence(0.5, 5),
    )
    texts = ("Thanks!", "You're booked for Monday.", "Your number is A1.", "Bring ID.", "Bye!")
    pieces = _pieces(list(zip(texts, [thanks, booked, number, bring, bye], strict=True)), RATE)
    assert pieces == [thanks + booked, number + bring + bye]
    assert all(len(p) >= MIN_PIECE_S * RATE * 2 for p in pieces)


def test_clauses_join_into_their_sentence() -> None:
    """Kokoro's first chunk is the first clause: it is heard with the rest of its sentence."""
    clause, rest, next_one = _sentence(1.6, 1), _sentence(2.0, 2), _sentence(2.0, 3)
    chunks = [
        ("抱歉，", clause),
        ("这个问题我暂时无法办理。", rest),
        ("需要我为您呼叫工作人员吗？", next_one),
    ]
    assert _pieces(chunks, RATE) == [clause + rest, next_one]


def test_a_reply_shorter_than_the_minimum_is_one_piece_and_nothing_is_lost() -> None:
    hello, bye = _sentence(0.5, 1), _sentence(0.4, 2)
    assert _pieces([("Hello.", hello), ("Bye!", bye)], RATE) == [hello + bye]
    assert _pieces([], RATE) == []


@dataclass
class _Chunk:
    text: str
    pcm: bytes


@dataclass
class _Heard:
    text: str


class _StopsEarlyOnTwoSentences:
    """An injected fault, not a recogniser: it hears a piece of two sentences (longer than
    5 s at 16 kHz) as its first words only, as Whisper ``tiny.en`` once did in CI, and any
    shorter piece as the sentence whose length it has."""

    def __init__(self, by_length: dict[int, str]) -> None:
        self.by_length = by_length
        self.calls = 0

    def transcribe(self, audio, language: str) -> _Heard:
        self.calls += 1
        if audio.size > 5 * 16_000:
            return _Heard("shall I cancel your appointment?")
        return _Heard(self.by_length[audio.size // 16_000])


def test_a_piece_cut_short_is_heard_again_sentence_by_sentence() -> None:
    """The CI run's slip (69 % WER for a voice that said every word) is the recogniser's: the
    two-sentence piece is heard again one sentence at a time and the longer text scored."""
    first = "Shall I cancel your appointment AP0042 on Wednesday 12 March?"
    tail = "Please say yes or no."
    chunks = [_Chunk(first, _sentence(4.4, 1)), _Chunk(tail, _sentence(1.4, 2))]
    asr = _StopsEarlyOnTwoSentences({4: first, 1: tail})
    score = _hear(
        asr, Reply("tax", "utter_confirm_cancel_appt", f"{first} {tail}"), chunks, RATE, "en"
    )
    assert asr.calls == 3 and score.reheard
    assert score.heard == f"{first} {tail}" and score.error == 0.0


def test_a_piece_heard_whole_is_heard_once() -> None:
    first, tail = "Shall I cancel it?", "Please say yes or no."
    chunks = [_Chunk(first, _sentence(2.0, 1)), _Chunk(tail, _sentence(1.4, 2))]
    asr = _StopsEarlyOnTwoSentences({3: f"{first} {tail}"})
    score = _hear(asr, Reply("tax", "x", f"{first} {tail}"), chunks, RATE, "en")
    assert asr.calls == 1 and not score.reheard and score.error == 0.0
