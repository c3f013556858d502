"""A typed turn's NLU and FAQ search run off the event loop (newcomer12: the sentence encoder
on the loop held every session's media and ICE consent checks while it ran)."""

from __future__ import annotations

import threading

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
