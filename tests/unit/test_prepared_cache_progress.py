"""``python -m engine.prepared_cache`` says how long is left at the pace so far: newcomer10's
busy machine took 26 minutes over the Mandarin replies, printing "10 of 133 synthesized" every
~40 s with no idea of the end. The pace is per character: the short fixed replies come
first and the long knowledge-base answers last, so a pace per text promised too little."""

from __future__ import annotations

from engine.prepared_cache import time_left


def test_time_left_follows_the_pace_so_far_per_character() -> None:
    assert time_left(400.0, 400, 5320) == ", about 82 min left"  # 1 s a character, 4920 to go
    assert time_left(20.0, 1000, 6100) == ", about 2 min left"
    assert time_left(5.0, 1000, 1100) == ", about 1 min left"  # never "0 min"
    assert time_left(100.0, 7100, 7100) == ""  # done: nothing left to say
    assert time_left(0.0, 0, 7100) == ""


def test_short_texts_first_do_not_shrink_the_estimate() -> None:
    """Ten short replies (30 characters each) in 60 s, then 120 long answers (300 each) to go:
    the time left is the long answers' characters at the short ones' pace (120 min), where a
    pace per text said 12 min."""
    assert time_left(60.0, 10 * 30, 10 * 30 + 120 * 300) == ", about 120 min left"
