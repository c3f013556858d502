"""How ``speak_and_hear`` cuts a spoken reply into pieces for the recogniser: one sentence a
piece (Whisper decoding without timestamps often stops at a piece's first full stop), a
sentence too short to be heard alone joined to the next, clauses joined into their sentence."""

from __future__ import annotations

from engine.tts.intelligibility import MIN_PIECE_S, _pieces

RATE = 1000  # Hz: one sample per ms keeps the sizes readable


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
