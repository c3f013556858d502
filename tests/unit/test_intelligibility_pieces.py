"""How ``speak_and_hear`` cuts a spoken reply into pieces for the recogniser."""

from __future__ import annotations

from engine.tts.intelligibility import MIN_PIECE_S, _pieces

RATE = 1000  # Hz: one sample per ms keeps the sizes readable


def _sentence(seconds: float, fill: int) -> bytes:
    return bytes([fill, 0]) * int(seconds * RATE)


def test_short_sentences_join_until_the_minimum_and_a_short_tail_joins_the_last_piece() -> None:
    thanks, booked, number, bring, bye = (
        _sentence(0.8, 1),
        _sentence(4.0, 2),
        _sentence(2.5, 3),
        _sentence(0.9, 4),
        _sentence(0.5, 5),
    )
    pieces = _pieces([thanks, booked, number, bring, bye], RATE)
    assert pieces == [thanks + booked, number + bring + bye]
    assert all(len(p) >= MIN_PIECE_S * RATE * 2 for p in pieces)


def test_a_reply_shorter_than_the_minimum_is_one_piece_and_nothing_is_lost() -> None:
    hello, bye = _sentence(0.5, 1), _sentence(0.4, 2)
    assert _pieces([hello, bye], RATE) == [hello + bye]
    assert _pieces([], RATE) == []
