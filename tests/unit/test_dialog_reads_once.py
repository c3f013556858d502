"""A turn embeds each clause of the visitor's line once (:func:`dialog.reading.read_line`): a
line cut into clauses whose opening clause is then read again for a free-text flow
(我的预约不去了，帮我取消) ran the sentence encoder on that clause twice, one of the slowest
turns of ``benchmarks/dialog_turn.py`` (4 encoder passes, refactor18). The reading, and so the
reply, is the same: a clause read alone reads as it does among others
(:meth:`dialog.understanding.Understanding.read_many`)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from dialog.embedding import SentenceEncoder
from tests.support.dialog_sessions import session_at
from tests.support.dialog_visitor import said


@pytest.mark.parametrize(
    ("domain", "line", "language"),
    [("tax", "我的预约不去了，帮我取消", "zh"), ("bank", "我想到窗口办业务，取个号吧", "zh")],
)
async def test_no_clause_is_embedded_twice_in_a_turn(
    domain: str, line: str, language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with session_at(domain, "你好", name="reads-once", language=language, awaits=None) as s:
        encoded: list[str] = []
        encode = SentenceEncoder.encode

        def recording(self: SentenceEncoder, texts: Sequence[str], batch_size: int = 64):
            if self is s.engine.understanding.classifier._embedding().encoder:
                encoded.extend(texts)
            return encode(self, texts, batch_size)

        monkeypatch.setattr(SentenceEncoder, "encode", recording)  # records; encodes for real
        turn = await s.handle_text(line)
        monkeypatch.undo()
        assert encoded, "the line was read without the encoder"
        assert len(encoded) == len(set(encoded)), encoded
        assert said(turn), turn
