"""A typed turn's NLU and FAQ search run off the event loop (newcomer12: the sentence encoder
on the loop held every session's media and ICE consent checks while it ran), so readings of
several sessions run on worker threads at once: each must be the one it gets alone."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from dialog.understanding import Understanding
from tests.conftest import trained_dialog


async def test_the_understanding_of_a_line_runs_off_the_event_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine = trained_dialog("bank")
    threads: list[threading.Thread] = []
    read = Understanding.read

    def spied(self, text, language):  # the real reading, noting the thread it ran on
        threads.append(threading.current_thread())
        return read(self, text, language)

    monkeypatch.setattr(Understanding, "read", spied)
    turn = await engine.new_session("off-loop").handle_text("what are your opening hours")
    assert turn.replies and turn.intent is not None
    assert threads and threads[0] is not threading.current_thread()


#: Lines of both languages that take every shared part of a reading: the encoder's tokenizer
#: and onnxruntime session, the classifier's features, BM25 (jieba for Chinese), the English
#: section reranker.
LINES = [
    ("what are your opening hours", "en"),
    ("someone is using my card without my permission", "en"),
    ("how much does it cost to send money abroad", "en"),
    ("I lost my card", "en"),
    ("营业时间是几点", "zh"),
    ("我的车可以放哪儿", "zh"),
    ("我要查余额", "zh"),
    ("转账手续费是多少", "zh"),
]


def test_readings_from_several_threads_at_once_are_each_their_own() -> None:
    # A turn reads its line on a worker thread (asyncio.to_thread): two sessions typing at once
    # read at once, through one Understanding. Each reading must be the one it gets alone.
    understanding = trained_dialog("bank").understanding
    alone = [understanding.read(text, language) for text, language in LINES]
    work = LINES * 6
    with ThreadPoolExecutor(max_workers=8) as pool:
        together = list(pool.map(lambda line: understanding.read(*line), work))
    for (text, _), reading, expected in zip(work, together, alone * 6, strict=True):
        nlu, kb = reading
        assert (nlu.intent, nlu.topic, nlu.command) == (
            expected[0].intent,
            expected[0].topic,
            expected[0].command,
        ), text
        assert nlu.confidence == pytest.approx(expected[0].confidence, abs=1e-6), text
        assert (kb and kb.source) == (expected[1] and expected[1].source), text
    assert any(kb is not None for _, kb in alone)  # the FAQ search took part


async def test_two_sessions_typing_at_once_keep_their_own_flows() -> None:
    engine = trained_dialog("bank")
    lines = ["I lost my card", "what are your opening hours"]
    alone = [await engine.new_session(f"alone-{n}").handle_text(t) for n, t in enumerate(lines)]
    first, second = engine.new_session("one"), engine.new_session("two")
    together = await asyncio.gather(
        *(s.handle_text(t) for s, t in zip((first, second), lines, strict=True))
    )
    for turn, expected in zip(together, alone, strict=True):
        assert (turn.intent, [r.text for r in turn.replies]) == (
            expected.intent,
            [r.text for r in expected.replies],
        )
    # the lost-card flow waits for its question in the first session only
    assert first.awaited_answer() is not None and second.awaited_answer() is None


async def test_the_awaited_answer_of_a_closed_session_is_none() -> None:
    # the ASR's worker thread asks at each decode; one under way when the session closes
    # gets "no question", not SessionClosedError
    session = trained_dialog("bank").new_session("closing")
    await session.handle_text("I lost my card")
    assert session.awaited_answer() == "digits"
    session.close()
    assert session.awaited_answer() is None
