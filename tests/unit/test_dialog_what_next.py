"""A line that only asks what to do now ("怎么办？", "what should I do?") at a flow's question
(newcomer17): 我的银行卡丢了，怎么办？ spoken with a 550 ms pause at the comma ended the turn at
the comma, and 怎么办？ alone at the card-digits question got "抱歉，我没有听懂。" before the
question. The question itself says what to do: it is asked again, with no apology and no
failed attempt. The first lines are the newcomer's, the others paraphrases written for this
test; the second list must not be read so (a request, an answer, a question with more in it)."""

from __future__ import annotations

import pytest

from dialog.commands import asks_what_next
from tests.support.dialog_sessions import session_at
from tests.support.dialog_visitor import said

WHAT_NEXT = ["怎么办？", "那怎么办", "我该怎么办呢", "然后呢", "接下来怎么做", "What should I do?",
             "what now", "so what do I do now?", "OK, what do you need from me?"]  # fmt: skip
NOT_WHAT_NEXT = ["我的卡丢了怎么办", "怎么办理信用卡", "what should I do to open an account",
                 "4417", "no", "what is my balance", "what time do you close"]  # fmt: skip


@pytest.mark.parametrize("line", WHAT_NEXT)
def test_a_line_asking_what_to_do_now(line: str) -> None:
    assert asks_what_next(line)


@pytest.mark.parametrize("line", NOT_WHAT_NEXT)
def test_a_line_with_more_in_it(line: str) -> None:
    assert not asks_what_next(line)


@pytest.mark.parametrize(
    ("domain", "opening", "line", "language", "question"),
    [
        ("bank", "我的银行卡丢了", "怎么办？", "zh", "后四位"),
        ("bank", "I lost my bank card", "what should I do?", "en", "last four digits"),
        ("tax", "我想查一下退税进度", "那我该怎么办呢", "zh", "后四位"),
    ],
)
async def test_the_question_is_asked_again(
    domain: str, opening: str, line: str, language: str, question: str
) -> None:
    name = f"what-next-{domain}"
    async with session_at(domain, opening, name=name, language=language) as session:
        stack = list(session.state.stack)
        turn = await session.handle_text(line)
        reply = said(turn)
        assert question in reply, reply
        assert "didn't get" not in reply and "没有听懂" not in reply, reply
        assert session.awaited_answer() == "digits"
        assert [f.attempts for f in session.state.stack] == [f.attempts for f in stack]
