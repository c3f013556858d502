"""A newcomer's line at the tax hall, through a real session (the pack's trained classifier and
knowledge base, the interpreter, the reply plans): 要带什么材料 ("what do I need to bring") was
answered with "what the annual reconciliation is". It must cite the materials section on the
Chinese page, on the English page in ``auto`` (the line switches the session to Chinese), and
right after a reconciliation answer, whose topic must not carry over."""

from __future__ import annotations

import pytest

from dialog import DialogEngine
from tests.conftest import trained_dialog

MATERIALS = "faq.zh.md § 需要带的材料"


@pytest.fixture(scope="module")
def tax() -> DialogEngine:
    return trained_dialog("tax")


@pytest.mark.parametrize("page", ["zh", "en"])
@pytest.mark.parametrize("line", ["要带什么材料", "要带什么材料？", "那我要带什么材料呢"])
async def test_what_to_bring_cites_the_materials(tax: DialogEngine, page: str, line: str) -> None:
    session = tax.new_session(f"materials-{page}", language="auto", start_language=page)
    turn = await session.handle_text(line)
    assert turn.language == "zh"
    assert [r.source for r in turn.replies if r.source] == [MATERIALS], turn
    session.close()


async def test_what_to_bring_after_a_reconciliation_answer(tax: DialogEngine) -> None:
    session = tax.new_session("materials-after", language="zh")
    first = await session.handle_text("我想了解一下汇算")
    assert any(r.source and "汇算" in r.source for r in first.replies), first
    turn = await session.handle_text("要带什么材料")
    assert [r.source for r in turn.replies if r.source] == [MATERIALS], turn
    session.close()
