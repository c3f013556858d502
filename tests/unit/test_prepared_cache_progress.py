"""``python -m engine.prepared_cache`` says how long is left at the pace so far: newcomer10's
busy machine took 26 minutes over the Mandarin replies, printing "10 of 133 synthesized" every
~40 s with no idea of the end."""

from __future__ import annotations

from engine.prepared_cache import time_left


def test_time_left_follows_the_pace_so_far() -> None:
    assert time_left(400.0, 10, 133) == ", about 82 min left"  # 40 s a text, 123 to go
    assert time_left(20.0, 10, 61) == ", about 2 min left"
    assert time_left(5.0, 10, 11) == ", about 1 min left"  # never "0 min"
    assert time_left(100.0, 133, 133) == ""  # done: nothing left to say
    assert time_left(0.0, 0, 10) == ""
