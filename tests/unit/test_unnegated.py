""":func:`dialog.slot_values.unnegated` at a choice question (fixes19 #5): a clause that refuses
an option is dropped; words that only hold 别 or 不是 inside another word (特别 "especially",
是不是 "is it") refuse nothing, and a time's point (10.30) breaks no clause (review19)."""

from __future__ import annotations

import pytest

from dialog.slot_values import unnegated


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("not the second one", ""),
        ("不要第二个", ""),
        ("别选第二个", ""),
        ("not the first one, the second one", "the second one"),
        ("不要第一个，要第二个", "要第二个"),
        ("no, the second one", "no, the second one"),
        # review19: these refused nothing and chose nothing
        ("特别早的那个", "特别早的那个"),
        ("第二个是不是九点的", "第二个是不是九点的"),
        ("the 10.30 one, not the 9.30", "the 10.30 one"),
    ],
)
def test_unnegated(text: str, kept: str) -> None:
    assert unnegated(text) == kept
